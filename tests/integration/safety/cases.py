"""lineprof's safety rules (lineprof(1), SAFETY): never clobber, never lose a run, never hang.

Every case of the red-team pass of issue 12, as root and, where the rule is
about privileges, as an unprivileged user too (setpriv --reuid=65534). No case
depends on how fast this machine is: waits poll /proc for a state, and a
timeout only bounds how long a broken lineprof is given before the case fails.
"""
import json
import os
import pty
import re
import resource
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys

from lp import (LINEPROF, NOBODY_ARGV, PROGRAMS_SRC, SKIP, Result, case, check, cpu_seconds, main, marker_line,
                maxrss_mib_of, one_line_error, parse_tables, pct, probe_group, probe_lines, prog, record_copy, row_of,
                run, run_as_nobody, samples, shared_workdir, tracefs, uprobe_events, uprobes_usable, wait_for,
                workdir)



def is_root():
    return os.geteuid() == 0


def can_drop_privileges():
    return is_root() and shutil.which("setpriv") is not None


def status_field(pid, name):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split()[1]
    except OSError:
        return None
    return None


def has_bit(pid, field, sig):
    v = status_field(pid, field)
    return v is not None and (int(v, 16) >> (sig - 1)) & 1 == 1


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def exe_of(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def target_of(lp_pid, exe):
    """The pid of lineprof's child running exe (not its sentinel), once it runs it."""
    exe = os.path.realpath(exe)

    def find():
        for c in children(lp_pid):
            if exe_of(c) == exe:
                return c
        return None
    return wait_for(find, "%s to run under lineprof %d" % (exe, lp_pid))


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def popen(args, cwd, **kw):
    return subprocess.Popen([LINEPROF] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace", **kw)


def finish(p, args=("run",), timeout=120):
    out, err = p.communicate(timeout=timeout)

    class P:
        pass
    q = P()
    q.returncode, q.stdout, q.stderr = p.returncode, out, err
    return Result(q, list(args))


def files_in(d):
    return sorted(os.listdir(d))


def loads(path, cwd):
    a = run(["annotate", path], cwd=cwd)
    return a.code == 0 and "Timer unit" in a.out


def hot_share(result, function="hot_work", source="hotline.c", marker="HOT"):
    t = parse_tables(result.report)
    check(function in t, "a table for %s" % function, result)
    return pct(row_of(t[function], marker_line(source, marker)))


def compile_c(d, name, text):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("no C compiler")
        sys.exit(SKIP)
    src = os.path.join(d, name + ".c")
    with open(src, "wb") as f:
        f.write(text)
    subprocess.run([cc, "-g", "-O0", "-o", os.path.join(d, name), src], check=True)
    return os.path.join(d, name)


def hotline_source():
    with open(os.path.join(PROGRAMS_SRC, "hotline.c"), "rb") as f:
        return f.read()


EXPORTS = [["--csv"], ["--json"], ["--dot"], ["--callgrind"], ["--folded"], ["--png"], ["--svg"],
           ["--flamegraph"], ["--pprof"], ["--html"]]


# ---- writing: never through a symlink, never over a special file ----

def symlink_case(runner, d):
    victim = os.path.join(d, "victim.conf")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chmod(victim, 0o644)
    # The old fixed temporary name, planted: lineprof no longer uses it, nor follows it.
    os.symlink(victim, os.path.join(d, "app.lprof.tmp"))
    r = runner(["record", "-o", "app.lprof", prog("hotline")], d)
    check(r.code == 0, "record with a planted app.lprof.tmp", r)
    check(os.path.isfile(os.path.join(d, "app.lprof")) and not os.path.islink(os.path.join(d, "app.lprof")),
          "app.lprof is a regular file", r)
    # A symlink at the output name itself: refused before the run.
    os.symlink(victim, os.path.join(d, "link.lprof"))
    r = runner(["-o", "link.lprof", prog("emit")], d)
    one_line_error(r, 2, "symbolic link")
    for opt in EXPORTS:
        name = "link" + opt[0].replace("-", "_")
        os.symlink(victim, os.path.join(d, name))
        r = runner(opt + [name, "-o", "x.lprof", prog("emit")], d)
        one_line_error(r, 2, "%s %s: is a symbolic link" % (opt[0], name))
    with open(victim) as f:
        check(f.read() == "precious\n", "the symlinks' target is untouched")
    check(not os.path.exists(os.path.join(d, "x.lprof")), "nothing was run")
    leftovers = [n for n in files_in(d) if n.startswith(".")]
    check(not leftovers, "no temporaries left: %s" % leftovers)


@case
def symlink_never_followed():
    """Planted symlinks (the old <out>.tmp, the output name, each export's name) are never written through."""
    symlink_case(lambda args, d: run(args, cwd=d), workdir())
    if can_drop_privileges():
        symlink_case(lambda args, d: run_as_nobody(args, d), shared_workdir())


@case
def special_files_never_replaced():
    """-o /dev/null, a FIFO, a socket, a directory, /dev/stdout: refused before the run, left as they were."""
    d = workdir()
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(d, "sock"))
    os.mkdir(os.path.join(d, "dir.lprof"))
    cases = [("/dev/null", "a character device"), ("fifo", "a FIFO"), ("sock", "a socket"),
             ("dir.lprof", "a directory"), ("/dev/stdout", "a symbolic link")]
    for path, what in cases:
        r = run(["-o", path, prog("emit")], cwd=d)
        one_line_error(r, 2, what)
        r = run(["--csv", path, prog("emit")], cwd=d)
        one_line_error(r, 2, what)
        r = run(["annotate", "--json", path, "nothing.lprof"], cwd=d)
        one_line_error(r, 2, what)
    check(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null is still a device")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO is still a FIFO")
    check(stat.S_ISSOCK(os.lstat(os.path.join(d, "sock")).st_mode), "the socket is still a socket")
    if can_drop_privileges():
        u = shared_workdir()
        r = run_as_nobody(["-o", "/dev/null", prog("emit")], u)
        one_line_error(r, 2, "a character device")
        check(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null is still a device")


@case
def small_lock_limit_still_records():
    """A user who may lock only perf_event_mlock_kb per CPU and 64 KiB more (ulimit -l 64): the run
    records, its mappings too (the side-band rings would not fit beside the sampling rings)."""
    if not can_drop_privileges() or not shutil.which("prlimit"):
        print("needs root, setpriv and prlimit")
        sys.exit(SKIP)
    with open("/proc/sys/kernel/perf_event_paranoid") as f:
        paranoid = int(f.read())
    with open("/proc/sys/kernel/perf_event_mlock_kb") as f:
        mlock_kb = int(f.read())
    if paranoid > 2 or mlock_kb < 516:
        print("perf_event_paranoid %d, perf_event_mlock_kb %d: no unprivileged run with the default "
              "ring here" % (paranoid, mlock_kb))
        sys.exit(SKIP)
    u = shared_workdir()
    r = run_as_nobody(["-o", "p.lprof", "-f", "hot_work", prog("hotline")], u,
                      prefix=["prlimit", "--memlock=65536:65536"])
    check(r.code == 0 and os.path.exists(os.path.join(u, "p.lprof")), "the run records", r)
    check("hot_work" in parse_tables(r.report), "its samples are placed in the program: hot_work's table", r)


@case
def outputs_checked_before_run():
    """Every output is checked before the run: a bad one is a usage error, and the command never runs."""
    d = workdir()
    for opt in [["-o"]] + EXPORTS:
        r = run(opt + ["no/such/dir/out", prog("emit")], cwd=d)
        one_line_error(r, 2, "%s no/such/dir/out: directory no/such/dir" % opt[0])
    r = run(["--csv", "same", "--json", "same", prog("emit")], cwd=d)
    one_line_error(r, 2, "both name same")
    exe = os.path.join(d, "emit")
    shutil.copy(prog("emit"), exe)
    r = run(["-o", "emit", "./emit"], cwd=d)
    one_line_error(r, 2, "would replace the program")
    if can_drop_privileges():
        # A directory the user cannot write to: said before the run, not after it.
        u = shared_workdir()
        ro = os.path.join(u, "readonly")
        os.mkdir(ro, 0o755)
        r = run_as_nobody(["-o", os.path.join(ro, "x.lprof"), prog("emit")], u)
        one_line_error(r, 2, "cannot create a file there")
    check(files_in(d) == ["emit"], "nothing was written: %s" % files_in(d))


@case
def concurrent_same_output():
    """6 runs at once writing one name: all succeed, and the file left is always a whole profile.

    The targets wait for one file, so that the 6 runs end, and save, together.
    """
    d = workdir()
    wait = "until [ -e go ]; do sleep 0.01; done; exec %s exit 0" % prog("behave")
    for round in range(10):
        go = os.path.join(d, "go")
        procs = [popen(["record", "-o", "same.lprof", "sh", "-c", wait], d) for _ in range(6)]
        for p in procs:
            target_of(p.pid, "/bin/sh")
        open(go, "w").close()
        for p in procs:
            r = finish(p, ["record"])
            check(r.code == 0, "round %d: each run succeeds" % round, r)
            check("Wrote profile results to same.lprof" in r.err, "each says where it wrote", r)
        os.remove(go)
        check(loads("same.lprof", d), "round %d: the profile left loads" % round)
        # same.lprof.old is the profile before (lineprof keeps one, as perf does).
        check([n for n in files_in(d) if n != "same.lprof.old"] == ["same.lprof"],
              "no temporaries left: %s" % files_in(d))
        with open(os.path.join(d, "same.lprof")) as f:
            check(f.read().endswith("\nend\n"), "the profile is whole")


def fallback_checks(r, d, tmp, program_status=0):
    check(r.code == program_status, "exit status stays the program's (%d)" % program_status, r)
    check("cannot write" in r.err, "the failure is said", r)
    m = re.search(r"Wrote profile results to (\S+) \(instead of", r.err)
    check(m, "the fallback path is said", r)
    check(os.path.dirname(m.group(1)) == tmp, "the fallback is in $TMPDIR (%s)" % tmp, r)
    check(loads(m.group(1), d), "the fallback profile loads")
    check("Timer unit" in r.report, "the report is still printed", r)


@case
def save_fails_falls_back():
    """The output directory removed during the run: the profile goes to $TMPDIR, the report still prints."""
    def one(runner, d):
        tmp = os.path.join(d, "tmp")
        os.mkdir(tmp)
        os.chmod(tmp, 0o777)
        os.mkdir(os.path.join(d, "out"))
        os.chmod(os.path.join(d, "out"), 0o777)
        r = runner(["-o", "out/p.lprof", "sh", "-c", "rmdir out && exec %s exit 7" % prog("behave")], d,
                   dict(os.environ, TMPDIR=tmp))
        fallback_checks(r, d, tmp, 7)
        r = runner(["-o", "out2/p.lprof", "sh", "-c", "rmdir out2; exec %s" % prog("hotline")], d,
                   dict(os.environ, TMPDIR=tmp))
        check(r.code == 2, "a missing directory is refused before the run", r)
    d = workdir()
    one(lambda args, cwd, env: run(args, cwd=cwd, env=env), d)
    if can_drop_privileges():
        u = shared_workdir()
        one(lambda args, cwd, env: run_as_nobody(args, cwd, env=env), u)


@case
def save_fails_disk_full_or_readonly():
    """A full disk and a file system turned read-only during the run (root: a private tmpfs)."""
    if not is_root() or not shutil.which("unshare"):
        print("needs root and unshare(1)")
        sys.exit(SKIP)
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        print("unshare -m is not allowed here")
        sys.exit(SKIP)
    d = workdir()
    tmp = os.path.join(d, "tmp")
    os.mkdir(tmp)
    mnt = os.path.join(d, "mnt")
    os.mkdir(mnt)
    hot = prog("hotline")
    for name, spoil in (("full", "dd if=/dev/zero of=%s/fill bs=4096 2>/dev/null; exec %s" % (mnt, hot)),
                        ("readonly", "mount -o remount,ro %s && exec %s" % (mnt, hot))):
        # On the full disk an earlier profile is there: it is kept as .old, and that is said.
        old = "printf old > %s/p.lprof && " % mnt if name == "full" else ""
        script = ('mount -t tmpfs -o size=256k tmpfs %s && %sexec "$0" -o %s/p.lprof sh -c "$1"'
                  % (mnt, old, mnt))
        proc = subprocess.run(["unshare", "-m", "sh", "-c", script, LINEPROF, spoil], cwd=d,
                              capture_output=True, text=True, errors="replace", timeout=120,
                              env=dict(os.environ, TMPDIR=tmp))
        if proc.stderr.startswith("mount:"):
            print("cannot mount a private tmpfs here: %s" % proc.stderr)
            sys.exit(SKIP)
        fallback_checks(Result(proc, ["run"]), d, tmp, 0)
        check(("No space left" if name == "full" else "Read-only") in proc.stderr,
              "%s: the cause is said" % name, Result(proc, ["run"]))
        check(name != "full" or "the previous %s/p.lprof is now %s/p.lprof.old" % (mnt, mnt) in proc.stderr,
              "full: where the previous profile went is said", Result(proc, ["run"]))


# ---- rebuilt binaries without a build-id ----

@case
def rebuilt_without_buildid():
    """No GNU build-id: size, mtime and a code hash are recorded; a rebuild is refused, a copy is not."""
    d = workdir()
    exe = record_copy(d, "nobuildid", "prog", "p.lprof")
    with open(os.path.join(d, "p.lprof")) as f:
        # module INDEX BUILDID SIZE MTIME-NS HASH PATH
        mods = [l.split() for l in f if l.startswith("module ") and l.split()[-1] == exe]
    check(len(mods) == 1 and mods[0][2] == "-" and len(mods[0]) == 7 and int(mods[0][5], 16) != 0,
          "the module has no build-id, and size, mtime and hash: %s" % mods)
    check(int(mods[0][3]) == os.path.getsize(exe), "the size recorded is the file's")
    # The same code copied anew (another mtime): still the binary profiled.
    shutil.copyfile(prog("nobuildid"), exe)
    a = run(["annotate", "-f", "hot_work", "p.lprof"], cwd=d)
    check(a.code == 0, "a copy with a new mtime is accepted", a)
    check(hot_share(a) > 60, "and annotated", a)
    # Rebuilt (-O2): the lines moved. Refused, as for a changed build-id.
    shutil.copyfile(prog("nobuildid_o2"), exe)
    one_line_error(run(["annotate", "-f", "hot_work", "p.lprof"], cwd=d), 1, "has no build-id")


# ---- reading what a profile names: never block, never read unbounded ----

def profile_text(d, exe):
    r = run(["record", "-o", "base.lprof", exe], cwd=d)
    check(r.code == 0, "record", r)
    with open(os.path.join(d, "base.lprof")) as f:
        return f.read()


@case
def fifo_module_no_hang():
    """A profile whose module paths are a FIFO, a device, a directory, /proc files: annotate never blocks."""
    d = workdir()
    exe = os.path.join(d, "prog")
    shutil.copy(prog("hotline"), exe)
    text = profile_text(d, exe)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    for path, what in ((fifo, "a FIFO"), ("/dev/zero", "a character device"), (d, "a directory"),
                       ("/proc/kmsg", "kernel file system"), ("/proc/self/mem", "kernel file system")):
        with open(os.path.join(d, "bad.lprof"), "w") as f:
            f.write(text.replace(" " + exe + "\n", " " + path + "\n"))
        for view in ([], ["-f", "hot_work"], ["--listing"], ["--functions"]):
            a = run(["annotate"] + view + ["bad.lprof"], cwd=d, timeout=60)
            check(what in a.err, "%s: says it is %s" % (path, what), a)
            check(a.code == (1 if view[:1] == ["-f"] else 0), "%s %s: exit status" % (path, view), a)


@case
def proc_and_fifo_sources_no_hang():
    """DWARF naming /proc/kmsg or a FIFO as the source: numbers only, a note, no hang."""
    d = workdir()
    fifo = os.path.join(d, "src.fifo")
    os.mkfifo(fifo)
    for name, what in (("/proc/kmsg", "kernel file system"), (fifo, "a FIFO")):
        exe = compile_c(d, "prog", b'#line 1 "' + name.encode() + b'"\n' + hotline_source())
        r = run(["-f", "hot_work", exe], cwd=d, timeout=120)
        check(r.code == 0, "exit 0", r)
        check(what in r.err and "numbers only" in r.err, "a note for %s" % name, r)
        check(hot_share(r) > 60, "the numbers are there", r)


@case
def alias_modules_share_one_file():
    """4096 spellings of one ELF (./, //, symlinked directories): one file's memory, the right table."""
    d = workdir()
    exe = os.path.join(d, "prog")
    shutil.copy(prog("hotline"), exe)
    text = profile_text(d, exe)
    for i in range(64):
        os.symlink(d, os.path.join(d, "l%d" % i))
    lines = text.splitlines()
    mod = [l.split()[1] for l in lines if l.startswith("module ") and l.split()[-1] == exe][0]
    # Format 2: addr CONTEXT MODULE:OFFSET SAMPLES VALUE...; the profile below is written in format 1.
    addrs = [l.split()[2:5] for l in lines if l.startswith("addr ") and l.split()[2].startswith(mod + ":")]
    check(addrs, "samples in the program")
    spellings = ["%s/l%d/%s%s" % (d, i % 64, "./" * (i // 64), "prog") for i in range(4096)]
    body, total, value = [], 0, 0
    for i, sp in enumerate(spellings):
        body.append("module %d - %s" % (i, sp))
    for i in range(len(spellings)):
        loc, n, v = addrs[i % len(addrs)]
        body.append("addr %d:%s %s %s" % (i, loc.split(":")[1], n, v))
        total += int(n)
        value += int(v)
    with open(os.path.join(d, "alias.lprof"), "w") as f:
        f.write("\n".join(["lineprof-profile 1", "command ./prog", "samples %d" % total,
                           "event 0 4000 0 %d cycles cpu-clock" % value] + body + ["end"]) + "\n")
    rc, mib, _ = maxrss_mib_of(["annotate", "-f", "hot_work", "alias.lprof"], d)
    check(rc == 0, "annotate succeeds (exit %d)" % rc)
    # ~13 MiB here; each spelling opened anew: ~190 MiB with this small binary, 3.5 GB with a big one.
    check(mib < 80, "peak memory %.0f MiB, bounded by the one distinct file" % mib)
    a = run(["annotate", "-f", "hot_work", "alias.lprof"], cwd=d)
    check(hot_share(a) > 60, "the samples of all spellings land on the HOT line", a)
    # diff builds its reports the same way: the same bound, and one row per line, not per spelling.
    rc, mib, _ = maxrss_mib_of(["diff", "alias.lprof", "alias.lprof"], d)
    check(rc == 0 and mib < 80, "diff of it: exit %d, peak memory %.0f MiB" % (rc, mib))
    j = run(["diff", "--json", "-", "alias.lprof", "alias.lprof"], cwd=d)
    hot = [l for l in json.loads(j.out)["lines"] if l["function"] == "hot_work" and l["base_s"]]
    check(j.code == 0 and len(hot) == len({(l["file"], l["line"]) for l in hot}),
          "diff: one row per line of hot_work (%d rows)" % len(hot), j)


@case
def big_source_not_read():
    """A source path naming a 1.5 GB file: not read (said), numbers shown, memory stays small."""
    d = workdir()
    big = os.path.join(d, "big.c")
    with open(big, "wb") as f:
        f.truncate(1536 << 20)  # sparse: no disk is used
    exe = compile_c(d, "prog", b'#line 1 "' + big.encode() + b'"\n' + hotline_source())
    r = run(["record", "-o", "p.lprof", exe], cwd=d)
    check(r.code == 0, "record", r)
    rc, mib, _ = maxrss_mib_of(["annotate", "-f", "hot_work", "--listing", "p.lprof"], d)
    check(rc == 0 and mib < 200, "annotate exits 0 (%d) in %.0f MiB" % (rc, mib))
    a = run(["annotate", "-f", "hot_work", "p.lprof"], cwd=d)
    check("is 1536 MiB, more than the 64 MiB lineprof reads" in a.err, "the cap is said", a)
    check(hot_share(a) > 60, "the numbers are there", a)


# ---- output hygiene ----

@case
def control_chars_escaped():
    """ESC and C1 controls in a source line are shown escaped, in the table and the listing."""
    d = workdir()
    src = hotline_source().replace(b"/* HOT */", b"/* HOT \x1b[2J\x1b]0;pwned\x07 \xc2\x9b31m */")
    exe = compile_c(d, "prog", src)
    r = run(["-f", "hot_work", "--listing", "--color=never", exe], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("\x1b" not in r.err and "\x07" not in r.err and "\x9b" not in r.err,
          "no raw control character reaches the terminal", r)
    check("^[[2J^[]0;pwned^G \\u009b31m" in r.err, "they are shown escaped", r)
    check(r.err.count("^[[2J") >= 2, "in the table and in the listing", r)


@case
def no_colour_on_dumb_terminal():
    """On a terminal: colour with TERM=xterm, none with TERM=dumb or without TERM; never on a pipe."""
    d = workdir()
    r = run(["record", "-o", "p.lprof", prog("hotline")], cwd=d)
    check(r.code == 0, "record", r)

    def on_tty(term):
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        env.pop("TERM", None)
        if term:
            env["TERM"] = term
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(d)
            os.execve(LINEPROF, [LINEPROF, "annotate", "-f", "hot_work", "p.lprof"], env)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        check(os.waitstatus_to_exitcode(status) == 0, "annotate on a tty (TERM=%s) exits 0" % term)
        return out
    check(b"\x1b[" in on_tty("xterm"), "colour on an xterm (else this case proves nothing)")
    check(b"\x1b" not in on_tty("dumb"), "no colour with TERM=dumb")
    check(b"\x1b" not in on_tty(None), "no colour without TERM")
    a = run(["annotate", "-f", "hot_work", "p.lprof"], cwd=d, env=dict(os.environ, TERM="xterm"))
    check("\x1b" not in a.out, "no colour on a pipe", a)


@case
def callgrind_command_escaped():
    """An argument with a newline cannot inject Callgrind records; callgrind_annotate reads the file."""
    d = workdir()
    evil = "8\nfn=injected\n0 999999999\nsummary: 1"  # callgraph reads 8 rounds from it
    r = run(["-g", "--callgrind", "cg.out", prog("callgraph"), evil], cwd=d)
    check(r.code == 0, "exit 0", r)
    with open(os.path.join(d, "cg.out")) as f:
        text = f.read()
    check("fn=injected" not in text.splitlines(), "no injected record", r)
    cmd = [l for l in text.splitlines() if l.startswith("cmd: ")]
    check(len(cmd) == 1 and "$'8\\nfn=injected\\n0 999999999\\nsummary: 1'" in cmd[0],
          "the command is one line, its argument $'...'-quoted: %s" % cmd)
    if shutil.which("callgrind_annotate"):
        ca = subprocess.run(["callgrind_annotate", "cg.out"], cwd=d, capture_output=True, text=True)
        check(ca.returncode == 0, "callgrind_annotate reads it: %s" % ca.stderr)
        check("main" in ca.stdout, "and lists the functions:\n" + ca.stdout)
        check(not re.search(r"[:\s]injected\s*$", ca.stdout, re.M), "no injected function:\n" + ca.stdout)


@case
def output_names_with_dash():
    """Output names that begin with '-' are file names, never options; --svg - is standard output."""
    d = workdir()
    r = run(["-g", "--png", "-graph.png", "--svg", "-", "--csv", "-lines.csv", "-o", "-p.lprof",
             prog("callgraph")], cwd=d)
    if "needs Graphviz" in r.err:
        print("no Graphviz")
        sys.exit(SKIP)
    check(r.code == 0, "exit 0", r)
    with open(os.path.join(d, "-graph.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "-graph.png is a PNG")
    check("<svg" in r.out and "Timer unit" not in r.out, "the SVG alone is on standard output", r)
    check(os.path.getsize(os.path.join(d, "-lines.csv")) > 0, "-lines.csv written")
    check(loads("./-p.lprof", d), "-p.lprof written")


@case
def annotate_fails_when_a_view_fails():
    """The binary gone: -f work cannot be shown, annotate says so and exits 1 (the other views still print)."""
    d = workdir()
    os.remove(record_copy(d, "hotline", "prog", "p.lprof"))
    a = run(["annotate", "-f", "hot_work", "--functions", "p.lprof"], cwd=d)
    check(a.code == 1, "exit 1 when -f hot_work cannot be shown", a)
    check("-f hot_work: not found" in a.err, "the failure is said", a)
    check("Function: hot_work (not looked up in prog: binary not readable)" in a.out, "the table says it too", a)
    a = run(["annotate", "p.lprof"], cwd=d)
    check(a.code == 0, "the hottest lines alone (raw addresses) are no failure", a)


@case
def stdout_byte_exact():
    """`lineprof ./prog > out` leaves out byte-identical to the program's own output, root or not."""
    def check_runner(runner, d):
        direct = subprocess.run([prog("emit"), "7"], capture_output=True, timeout=120)
        check(direct.returncode == 0 and len(direct.stdout) == 1 << 20, "emit writes 1 MiB")
        out_path = os.path.join(d, "out")
        with open(out_path, "wb") as out:
            r = runner([prog("emit"), "7"], d, out)
        with open(out_path, "rb") as f:
            got = f.read()
        check(r.returncode == 0, "exit 0: %s" % r.stderr)
        check(got == direct.stdout, "stdout is the program's, byte for byte (%d vs %d bytes)"
              % (len(got), len(direct.stdout)))
        check(b"Timer unit" in r.stderr and b"Wrote profile results" in r.stderr,
              "the report is on stderr")

    def as_root(args, d, out):
        return subprocess.run([LINEPROF] + args, cwd=d, stdout=out, stderr=subprocess.PIPE, timeout=120)

    def as_nobody(args, d, out):
        return subprocess.run(NOBODY_ARGV + [LINEPROF] + args, cwd=d, stdout=out, stderr=subprocess.PIPE,
                              timeout=120)
    check_runner(as_root, workdir())
    if can_drop_privileges():
        check_runner(as_nobody, shared_workdir())


# ---- signals: once each, the second interrupt kills, the profile is saved ----

def count_file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def took(pid, sig):
    """lineprof has taken sig from its queue (it is pending neither for the process nor a thread)."""
    return not has_bit(pid, "ShdPnd", sig) and not has_bit(pid, "SigPnd", sig)


def stopped(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def count_run(deliver, hold=True):
    """sigcount under lineprof: deliver(lineprof_pid) sends one SIGINT; then a SIGHUP to lineprof ends it.

    The exit status is the number of SIGINTs the target got. Two SIGINTs that
    meet while pending in the target merge into one, which would hide a second
    delivery; so with hold, lineprof is stopped (SIGSTOP) while the signal is
    sent, and continued once the target has counted it: anything lineprof then
    forwards is a second delivery the target counts. The SIGHUP is sent once
    lineprof has taken the SIGINT from its queue: whatever it forwards for it,
    it forwards before it reads the SIGHUP, so the count is final.
    """
    d = workdir()
    counted = os.path.join(d, "count")
    p = popen(["-o", "c.lprof", prog("sigcount"), "count", counted], d, start_new_session=True)
    t = target_of(p.pid, prog("sigcount"))
    wait_for(lambda: has_bit(t, "SigCgt", signal.SIGHUP), "the target's handlers")
    if hold:
        os.kill(p.pid, signal.SIGSTOP)
        wait_for(lambda: stopped(p.pid), "lineprof to stop")
    deliver(p.pid)
    wait_for(lambda: count_file_size(counted) >= 1, "the SIGINT to reach the target")
    if hold:
        os.kill(p.pid, signal.SIGCONT)
    wait_for(lambda: took(p.pid, signal.SIGINT), "lineprof to take the SIGINT")
    os.kill(p.pid, signal.SIGHUP)
    r = finish(p)
    check(os.path.exists(os.path.join(d, "c.lprof")), "the profile is written", r)
    check(count_file_size(counted) == r.code, "the exit status is the count", r)
    return r


@case
def signal_to_group_delivered_once():
    """kill -INT -PGID reaches lineprof and the target: the target sees one SIGINT, not two."""
    r = count_run(lambda pid: os.killpg(pid, signal.SIGINT))
    check(r.code == 1, "the target counted 1 SIGINT (exit status %d)" % r.code, r)


@case
def signal_to_lineprof_delivered_once():
    """kill -INT <lineprof>: forwarded once."""
    r = count_run(lambda pid: os.kill(pid, signal.SIGINT), hold=False)
    check(r.code == 1, "the target counted 1 SIGINT (exit status %d)" % r.code, r)


@case
def signal_from_tty_delivered_once():
    """^C on lineprof's terminal (lineprof and the target in its foreground group): one SIGINT."""
    d = workdir()
    counted = os.path.join(d, "count")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(d)
        os.execv(LINEPROF, [LINEPROF, "-o", "c.lprof", prog("sigcount"), "count", counted])
    out = []

    def drain():
        while select.select([fd], [], [], 0)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            out.append(chunk)
        return False
    t = target_of(pid, prog("sigcount"))
    wait_for(lambda: drain() or has_bit(t, "SigCgt", signal.SIGHUP), "the target's handlers")
    # Held while the ^C arrives, as in count_run: a second delivery cannot merge with the first.
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: drain() or stopped(pid), "lineprof to stop")
    os.write(fd, b"\x03")  # the terminal sends SIGINT to its foreground process group
    wait_for(lambda: drain() or count_file_size(counted) >= 1, "the ^C to reach the target")
    os.kill(pid, signal.SIGCONT)
    wait_for(lambda: drain() or took(pid, signal.SIGINT), "lineprof to take the ^C")
    os.kill(pid, signal.SIGHUP)
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break  # EIO: the terminal's last user is gone
        if not chunk:
            break
        out.append(chunk)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os.close(fd)
    text = b"".join(out).decode(errors="replace")
    check(code == 1 and count_file_size(counted) == 1,
          "the target counted 1 SIGINT (exit %d):\n%s" % (code, text))
    check("Wrote profile results to c.lprof" in text, "the profile is written:\n" + text)


@case
def second_interrupt_kills_target():
    """A target that ignores SIGINT and SIGTERM: the second one kills it; the profile is saved and reported."""
    d = workdir()
    p = popen(["-f", "spin", "-o", "i.lprof", prog("sigcount"), "ignore"], d)
    t = target_of(p.pid, prog("sigcount"))
    wait_for(lambda: has_bit(t, "SigIgn", signal.SIGTERM), "the target to ignore its signals")
    # Past that it only spins: once it has used CPU time, spin has samples to report.
    wait_for(lambda: cpu_seconds(t) >= 0.05, "the target to spin")
    os.kill(p.pid, signal.SIGINT)
    wait_for(lambda: took(p.pid, signal.SIGINT), "lineprof to take the first SIGINT")
    check(alive(t), "the target ignored it")
    os.kill(p.pid, signal.SIGTERM)
    r = finish(p)
    check(r.code == 128 + signal.SIGKILL, "exit 137: the target was killed", r)
    check("again: killing the target" in r.err, "said", r)
    check("Wrote profile results to i.lprof" in r.err and loads("i.lprof", d), "the profile is saved", r)
    t = parse_tables(r.report)
    check("spin" in t and max(samples(row) for row in t["spin"]["rows"]) > 0, "and reported", r)


@case
def sigquit_and_sighup_save():
    """SIGQUIT and SIGHUP to lineprof reach the target; the run is saved and reported."""
    for sig in (signal.SIGQUIT, signal.SIGHUP):
        d = workdir()
        p = popen(["-f", "burn", "-o", "q.lprof", prog("behave"), "spin"], d,
                  preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
        t = target_of(p.pid, prog("behave"))
        wait_for(lambda: cpu_seconds(t) >= 0.05, "the target to run burn()")
        os.kill(p.pid, sig)
        r = finish(p)
        check(r.code == 128 + sig, "exit %d: the target got %s" % (128 + sig, sig.name), r)
        check("Wrote profile results to q.lprof" in r.err and loads("q.lprof", d), "saved", r)
        check("burn" in parse_tables(r.report), "reported", r)


@case
def killed_lineprof_kills_target():
    """lineprof killed by SIGKILL: the target does not run on unprofiled (PR_SET_PDEATHSIG)."""
    d = workdir()
    p = popen(["-o", "k.lprof", prog("behave"), "spin"], d)
    t = target_of(p.pid, prog("behave"))
    p.kill()
    p.communicate(timeout=60)
    wait_for(lambda: not alive(t), "the target to go with lineprof")


# ---- uprobes (--hits) ----

def start_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def dead_pid():
    """A pid no process has (a child that was reaped)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@case
def uprobes_of_live_runs_kept():
    """A run removes the probes of dead runs only: never those of a live one, nor of another pid namespace."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    d = workdir()
    exe = os.path.join(d, "behave")
    shutil.copy(prog("behave"), exe)
    ns = os.stat("/proc/self/ns/pid").st_ino
    me = os.getpid()
    dead = dead_pid()
    planted = {
        "lineprof_%d_%d_%d" % (ns, me, start_ticks(me)): True,      # alive: this test
        "lineprof_%d_%d_%d" % (ns, me, start_ticks(me) + 1): False,  # its pid reused: gone
        "lineprof_%d_%d_1" % (ns, dead): False,                       # gone
        "lineprof_%d_5_5" % (ns + 1): True,                           # another namespace
        "lineprof_1": True,                                           # old style, pid 1 alive
        "lineprof_%d" % dead: False,                                  # old style, gone
    }
    defs = "".join("p:%s/l0 %s:0x%x\n" % (g, exe, 0x1000) for g in planted)
    r = tracefs("printf '%s' >> uprobe_events" % defs.replace("\n", "\\n"))
    check(r.returncode == 0, "plant probes: %s" % r.stderr)
    try:
        live = popen(["--hits", "-f", "burn", "-o", "live.lprof", exe, "spin"], d)
        target_of(live.pid, exe)
        live_group = wait_for(lambda: probe_lines(live.pid), "the live run's probes")
        other = run(["--hits", "-f", "work", "-o", "other.lprof", prog("hitthreads")], cwd=d)
        check(other.code == 0, "another --hits run", other)
        events = uprobe_events()
        for line in live_group:
            check(line in events, "the live run's probe is kept: %s" % line)
        for g, keep in planted.items():
            check((":%s/" % g in events) == keep, "%s: %s" % (g, "kept" if keep else "removed"))
        live.send_signal(signal.SIGINT)
        r = finish(live)
        check(r.code == 128 + signal.SIGINT, "the live run ends normally", r)
        check("Hits" in r.err, "with its Hits column", r)
    finally:
        tracefs(" ; ".join("echo '-:%s/l0' >> uprobe_events" % g for g in planted) + " ; true")


def uprobe_hits(exe):
    """{event: hits} of the uprobes on file exe, from uprobe_profile ("  PATH EVENT HITS")."""
    prof = tracefs("cat uprobe_profile").stdout
    return {l.split()[1]: int(l.split()[-1]) for l in prof.splitlines() if l.split()[:1] == [exe]}


@case
def killed_run_probes_not_armed():
    """A --hits run killed by SIGKILL: its probes count nothing after it, and the next run removes them."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    d = workdir()
    exe = os.path.join(d, "behave")  # a path of our own: uprobe_profile names it
    shutil.copy(prog("behave"), exe)
    p = popen(["--hits", "-f", "burn", "-o", "k.lprof", exe, "spin"], d)
    t = target_of(p.pid, exe)
    group = wait_for(lambda: re.findall(r":(%s)/" % probe_group(p.pid), uprobe_events()),
                     "the run's probes")[0]
    # Defined is not yet hit: the target counts on the probes before the kill, whatever its pace.
    wait_for(lambda: sum(uprobe_hits(exe).values()) > 0, "the probes to count while the run lives")
    p.kill()
    p.communicate(timeout=60)
    wait_for(lambda: not alive(t), "the target to go with lineprof")
    check(":%s/" % group in uprobe_events(), "a SIGKILL leaves the definitions behind")
    before = uprobe_hits(exe)
    check(before and sum(before.values()) > 0, "the probes counted while the run lived: %s" % before)
    # Not armed: running the probed code now counts nothing. Every probe still defined keeps its
    # count; one may be gone, removed by another --hits run on this machine (as it must be).
    subprocess.run([exe, "segv"], capture_output=True, timeout=120)
    after = uprobe_hits(exe)
    check(all(before.get(e) == n for e, n in after.items()),
          "no probe of the dead run fired: %s -> %s" % (before, after))
    r = run(["--hits", "-f", "work", "-o", "n.lprof", prog("hitthreads")], cwd=d)
    check(r.code == 0, "the next run", r)
    check(":%s/" % group not in uprobe_events(), "removed the dead run's probes")


if __name__ == "__main__":
    main()
