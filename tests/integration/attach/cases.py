"""lineprof -p: attaching to running processes (tests/programs/attach/spin.c).

The processes are real, started here and killed here. Nothing waits on a
guess at timing: the tests poll /proc for the CPU time a target has used, and
sequence the target's steps through lines on its standard input.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time

from lp import (LINEPROF, SKIP, case, check, cpu_seconds, main, marker_line, one_line_error, parse_top,
                proc_stat, run, wait_for, workdir)

SPIN = os.path.realpath(os.environ["PROG_SPIN"])
SRC = "attach/spin.c"
NOBODY = 65534


def as_user(uid):
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]


class Spin:
    """tests/programs/attach/spin MODE, its stdout in a file, optionally fed lines on stdin."""

    def __init__(self, mode, stdin=False, user=None):
        self.dir = workdir()
        self.out_path = os.path.join(self.dir, "spin.out")
        self.out = open(self.out_path, "w")
        cmd = (as_user(user) if user is not None else []) + [SPIN, mode]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=self.out, stderr=subprocess.DEVNULL)
        self.pid = self.p.pid

    def running(self, cpu=0.1):
        """Once it runs spin (not setpriv) and has used cpu seconds."""
        def ready():
            try:
                return os.readlink("/proc/%d/exe" % self.pid) == SPIN and cpu_seconds(self.pid) >= cpu
            except OSError:
                check(self.p.poll() is None, "spin is running (exit %s)" % self.p.returncode)
                return False
        wait_for(ready, "spin %d to use %.1f s of CPU" % (self.pid, cpu))

    def output(self):
        with open(self.out_path) as f:
            return f.read()

    def said(self, word):
        wait_for(lambda: word in self.output().split(), "spin to say %r" % word)

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.out.close()


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err, self.report = code, out, err, err

    def __repr__(self):
        return "exit %d\n--- stdout\n%s--- stderr\n%s" % (self.code, self.out, self.err)


class Lineprof:
    """lineprof running in the background, its stderr read as it comes."""

    def __init__(self, args, cwd):
        self.p = subprocess.Popen([LINEPROF] + args, cwd=cwd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.err = b""

    def wait_line(self, needle, timeout=60.0):
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.err:
            check(time.monotonic() < deadline, "lineprof to say %r:\n%s" % (needle, self.err.decode()))
            ready, _, _ = select.select([self.p.stderr], [], [], 0.1)
            if ready:
                chunk = os.read(self.p.stderr.fileno(), 65536)
                if not chunk:
                    check(False, "lineprof exited (%s) before saying %r:\n%s" % (
                        self.p.wait(), needle, self.err.decode()))
                self.err += chunk

    def finish(self, timeout=120):
        out, err = self.p.communicate(timeout=timeout)
        return Result(self.p.returncode, out.decode(errors="replace"),
                      (self.err + err).decode(errors="replace"))

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def top_rows(text):
    """The rows of "Hottest lines of the program": [(samples, pct, file, line, function)]."""
    rows = []
    for row in parse_top(text):
        path, _, line = row["where"].rpartition(":")
        if line.isdigit():
            rows.append((int(row["Samples"]), float(row["% Time"]), path, int(line), row["function"]))
    return rows


def row_at(rows, marker):
    line = marker_line(SRC, marker)
    for r in rows:
        if r[2].endswith("spin.c") and r[3] == line:
            return r
    return None


def hot_first(r):
    rows = top_rows(r.report)
    check(rows, "a table of the hottest lines", r)
    top = rows[0]
    check(top[2].endswith("spin.c") and top[3] == marker_line(SRC, "HOT_LOOP"),
          "the hot line tops the table: %r" % (top,), r)
    check(top[1] >= 60, "the hot line has most of the time (%.1f %%)" % top[1], r)


def contexts(path):
    """The .lprof file's contexts: [(kind, id, name)] (lineprof(1), PROFILE FILE FORMAT)."""
    out = []
    with open(path, errors="replace") as f:
        for l in f:
            w = l.split()
            if w and w[0] == "context":
                out.append((w[2], int(w[4]), w[5]))
    return out


def build_ids(path):
    """{module path: build-id} of a .lprof file ("-": unknown)."""
    out = {}
    with open(path, errors="replace") as f:
        for l in f:
            w = l.split()
            if w and w[0] == "module":
                out[w[6]] = w[2]
    return out


def sampled_seconds(cwd, profile):
    """What the samples' periods add up to (cpu-clock counts nanoseconds)."""
    r = run(["annotate", "--json", "-", profile], cwd=cwd)
    check(r.code == 0, "annotate --json", r)
    j = json.loads(r.out)
    check(j["events"][0]["measured"] == "cpu-clock", "a cpu-clock profile", r)
    return j, j["events"][0]["total"] * 1e-9


def no_more_than_ran(sampled, ran, what, r):
    """Every sample is CPU time the kernel charged to the processes: no thread is counted twice."""
    check(0 < sampled <= ran * 1.1 + 0.05,
          "%s: %.3f s sampled, %.3f s of CPU used meanwhile (/proc)" % (what, sampled, ran), r)


@case
def attach_duration():
    s = Spin("ticks")
    try:
        s.running()
        d = workdir()
        before = cpu_seconds(s.pid)
        r = run(["-p", str(s.pid), "--duration", "2", "-e", "cpu-clock"], cwd=d)
        ran = cpu_seconds(s.pid) - before
        ticks = len(s.output().splitlines())
        check(r.code == 0, "lineprof's own exit status: 0", r)
        check("attached to process %d (spin), 1 thread" % s.pid in r.err, "says whom it attached to", r)
        check("until --duration; it runs on, untouched" in r.err, "says why it stopped", r)
        check("Wrote profile results to spin.lprof" in r.err, "named after the program", r)
        hot_first(r)
        # Left as it was: running, not stopped, its output its own, its CPU time growing.
        check(s.p.poll() is None, "the program still runs")
        check(proc_stat(s.pid)[0] in "RS", "the program is not stopped (state %s)" % proc_stat(s.pid)[0])
        c0 = cpu_seconds(s.pid)
        wait_for(lambda: cpu_seconds(s.pid) >= c0 + 0.1, "the program's CPU time to grow after lineprof")
        wait_for(lambda: len(s.output().splitlines()) >= ticks + 2, "the program to go on ticking")
        out = s.output().splitlines()[:-1]  # the last line may be half written
        check(out == ["tick %d" % (i + 1) for i in range(len(out))], "its output is its own, unbroken")
        j, sampled = sampled_seconds(d, "spin.lprof")
        check(j["command"] == SPIN + " ticks", "the command is the process's: %r" % j["command"])
        check(j["exit_status"] is None, "no exit status of a process that is not ours")
        no_more_than_ran(sampled, ran, "duration", r)
        check(("process", s.pid, "spin") in contexts(os.path.join(d, "spin.lprof")),
              "the process is a context, named", r)
        # spin was mapped before lineprof came: its build-id is read from the file afterwards,
        # and is the one the kernel reports when it maps the file under a launched run.
        launched = run(["record", "-e", "cpu-clock", "-o", "l.lprof", SPIN, "exit"], cwd=d,
                       stdin=subprocess.DEVNULL)  # spin exit: one round, then EOF ends it
        check(launched.code == 0, "a launched run of spin", launched)
        kernel_id = build_ids(os.path.join(d, "l.lprof")).get(SPIN)
        check(kernel_id not in (None, "-"), "the kernel gave spin's build-id", launched)
        check(build_ids(os.path.join(d, "spin.lprof")).get(SPIN) == kernel_id,
              "the attached profile has the kernel's build-id for spin", r)
    finally:
        s.stop()


@case
def attach_exit():
    """The process exits while lineprof records it: the profile is saved and reported."""
    s = Spin("exit", stdin=True)
    lp = None
    try:
        s.running()
        d = workdir()
        lp = Lineprof(["-p", str(s.pid), "-e", "cpu-clock", "-o", "x.lprof"], d)
        lp.wait_line("attached to process %d (spin)" % s.pid)
        c0 = cpu_seconds(s.pid)
        wait_for(lambda: cpu_seconds(s.pid) >= c0 + 0.3, "samples to accumulate")
        s.send("exit")
        check(s.p.wait(timeout=60) == 0, "the program exits by itself")
        check(s.output().endswith("bye\n"), "its output is whole")
        r = lp.finish()
        check(r.code == 0, "lineprof's own exit status: 0", r)
        check("process %d (spin) exited" % s.pid in r.err, "says it exited", r)
        check("until it exited" in r.err, "says why it stopped", r)
        check("Wrote profile results to x.lprof" in r.err and os.path.exists(os.path.join(d, "x.lprof")),
              "profile saved", r)
        hot_first(r)
    finally:
        if lp:
            lp.kill()
        s.stop()


def thread_named(pid, name):
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                if f.read().strip() == name:
                    return int(t)
        except OSError:
            pass
    return None


def child_named(ppid, name):
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and int(proc_stat(int(d))[1]) == ppid:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == name:
                        return int(d)
        except (OSError, ValueError):
            pass
    return None


@case
def attach_threads():
    """Every thread: one there before, one started after attaching, and a child process."""
    s = Spin("threads", stdin=True)
    lp = None
    try:
        s.said("early")
        s.running()
        d = workdir()
        before = cpu_seconds(s.pid)
        lp = Lineprof(["-p", str(s.pid), "-e", "cpu-clock", "-o", "t.lprof"], d)
        lp.wait_line("attached to process %d (spin), 2 threads" % s.pid)
        s.send("go")
        late = wait_for(lambda: thread_named(s.pid, "late"), "thread 'late'")
        wait_for(lambda: cpu_seconds(s.pid, late) >= 0.2, "thread 'late' to run")
        s.send("fork")
        child = wait_for(lambda: child_named(s.pid, "child"), "process 'child'")
        wait_for(lambda: cpu_seconds(child) >= 0.2, "process 'child' to run")
        lp.p.send_signal(signal.SIGINT)
        r = lp.finish()
        ran = cpu_seconds(s.pid) - before + cpu_seconds(child)
        check(r.code == 0, "lineprof's own exit status after ^C: 0", r)
        check("until lineprof got Interrupt; it runs on, untouched" in r.err, "says why it stopped", r)
        rows = top_rows(r.report)
        for marker in ("SPIN_EARLY", "SPIN_LATE", "SPIN_CHILD"):
            row = row_at(rows, marker)
            check(row is not None and row[1] >= 5, "%s has its share: %r" % (marker, row), r)
        ctx = contexts(os.path.join(d, "t.lprof"))
        for want in [("thread", late, "late"), ("process", child, "child"), ("process", s.pid, "spin")]:
            check(want in ctx, "context %r in %r" % (want, ctx), r)
        check(any(k == "thread" and n == "early" for k, _, n in ctx), "thread 'early' named", r)
        # The per-thread view: each spinning thread has its own samples, under its name.
        v = run(["annotate", "--by", "thread", "t.lprof"], cwd=d)
        rows = {}
        for m in re.finditer(r"^\s*t\d+\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+) \(pid (\d+) \S+\)$",
                             v.out, re.M):
            rows[(m.group(3), int(m.group(4)))] = int(m.group(2))
        for name, pid in (("early", s.pid), ("late", s.pid), ("child", child)):
            check(rows.get((name, pid), 0) >= 50, "thread %s of %d has samples: %r" % (name, pid, rows), v)
        _, sampled = sampled_seconds(d, "t.lprof")
        no_more_than_ran(sampled, ran, "threads", r)
        check(s.p.poll() is None, "the program still runs")
    finally:
        if lp:
            lp.kill()
        s.stop()


@case
def attach_churn():
    """Threads that start threads all the time, some before lineprof follows their creator."""
    s = Spin("churn")
    try:
        s.said("churning")
        s.running()
        d = workdir()
        before = cpu_seconds(s.pid)
        r = run(["-p", str(s.pid), "-e", "cpu-clock", "--duration", "2", "-o", "c.lprof"], cwd=d)
        ran = cpu_seconds(s.pid) - before
        check(r.code == 0, "lineprof's own exit status: 0", r)
        top = top_rows(r.report)[0]
        check(top[3] == marker_line(SRC, "CHURN") and top[1] >= 80, "the churning line tops: %r" % (top,), r)
        threads = [c for c in contexts(os.path.join(d, "c.lprof")) if c[0] == "thread"]
        check(len(threads) > 8, "threads started while attached are followed (%d)" % len(threads), r)
        _, sampled = sampled_seconds(d, "c.lprof")
        no_more_than_ran(sampled, ran, "churn", r)
    finally:
        s.stop()


def free_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@case
def attach_err_no_process():
    pid = free_pid()
    d = workdir()
    r = run(["-p", str(pid)], cwd=d)
    one_line_error(r, 1, "-p %d: no such process" % pid)
    check(os.listdir(d) == [], "no profile written", r)


@case
def attach_err_zombie():
    s = Spin("exit", stdin=True)
    try:
        s.running()
        s.send("exit")
        wait_for(lambda: proc_stat(s.pid)[0] == "Z", "spin to be a zombie")
        r = run(["-p", str(s.pid)], cwd=workdir())
        one_line_error(r, 1, "zombie")
    finally:
        s.stop()


@case
def attach_err_thread():
    s = Spin("threads", stdin=True)
    try:
        s.said("early")
        early = wait_for(lambda: thread_named(s.pid, "early"), "thread 'early'")
        r = run(["-p", str(early)], cwd=workdir())
        one_line_error(r, 1, "-p %d is a thread of process %d" % (early, s.pid))
    finally:
        s.stop()


@case
def attach_err_kernel_thread():
    kthreads = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and int(proc_stat(int(d))[6]) & 0x00200000:
                kthreads.append(int(d))
        except (OSError, ValueError):
            pass
    if not kthreads:
        print("no kernel thread visible here (a container)")
        raise SystemExit(SKIP)
    r = run(["-p", str(kthreads[0])], cwd=workdir())
    one_line_error(r, 1, "is a kernel thread")


def paranoid():
    with open("/proc/sys/kernel/perf_event_paranoid") as f:
        return int(f.read())


def as_nobody_ok():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("needs root and setpriv to act as another user")
        raise SystemExit(SKIP)


def nobody_dir():
    """A working directory nobody may write in: the profile's place is not what is tested."""
    d = workdir()
    os.chown(d, NOBODY, NOBODY)
    return d


def denied_for(needle, pid, r):
    """What an unprivileged lineprof is told: the paranoid level where it forbids all, else needle."""
    if paranoid() > 2:
        one_line_error(r, 1, "kernel.perf_event_paranoid is %d" % paranoid())
    else:
        one_line_error(r, 1, needle)
    check(("-p %d: not allowed" % pid) in r.err, "names the process", r)


@case
def attach_err_other_user():
    """lineprof as nobody, the process root's: the one rule that applies is named."""
    as_nobody_ok()
    s = Spin("ticks")
    try:
        s.running()
        proc = subprocess.run(as_user(NOBODY) + [LINEPROF, "-p", str(s.pid), "--duration", "1"],
                              cwd=nobody_dir(), capture_output=True, text=True, timeout=60)
        r = Result(proc.returncode, proc.stdout, proc.stderr)
        denied_for("the process runs as root (uid 0), lineprof as nobody (uid 65534)", s.pid, r)
        check(s.p.poll() is None and proc_stat(s.pid)[0] in "RS", "the process runs on")
    finally:
        s.stop()


@case
def attach_err_not_dumpable():
    """Same user, but the process made itself not dumpable."""
    as_nobody_ok()
    s = Spin("nodump", user=NOBODY)
    try:
        s.running()
        proc = subprocess.run(as_user(NOBODY) + [LINEPROF, "-p", str(s.pid), "--duration", "1"],
                              cwd=nobody_dir(), capture_output=True, text=True, timeout=60)
        r = Result(proc.returncode, proc.stdout, proc.stderr)
        denied_for("not dumpable", s.pid, r)
    finally:
        s.stop()


@case
def attach_err_denied():
    """perf_event_open refused to lineprof altogether (the shim plays the kernel)."""
    shim = os.environ.get("DENY_PERF", "")
    if not shim:
        print("no deny_perf shim on this architecture")
        raise SystemExit(SKIP)
    s = Spin("ticks")
    try:
        s.running()
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, LD_PRELOAD=shim,
                   ASAN_OPTIONS=(asan + ":" if asan else "") + "verify_asan_link_order=0")
        r = run(["-p", str(s.pid)], cwd=workdir(), env=env)
        one_line_error(r, 1, "-p %d: not allowed" % s.pid)
        check("perf_event_paranoid" in r.err, "names the sysctl", r)
    finally:
        s.stop()


@case
def attach_err_usage():
    s = Spin("ticks")
    try:
        p = str(s.pid)
        for args, needle in [
            (["-p", p, SPIN], "give -p or a command, not both"),
            (["record", "-p", p, "--", SPIN], "give -p or a command, not both"),
            (["--duration", "1", SPIN], "--duration applies to -p"),
            (["-p", p, "--duration", "0"], "--duration needs a number of seconds"),
            (["-p", p, "--duration", "x"], "--duration"),
            (["-p", "0"], "-p needs a whole number"),
            (["-p", p + ",,1"], "-p needs process ids"),
            (["-p", "abc"], "-p needs a whole number"),
            (["-p", p, "--hits", "-f", "hot"], "--hits with -p"),
            (["annotate", "-p", p, "x.lprof"], "do not apply to annotate"),
            (["diff", "-p", p, "a.lprof", "b.lprof"], "does not apply to diff"),
        ]:
            r = run(args, cwd=workdir())
            one_line_error(r, 2, needle)
        check(s.p.poll() is None, "the process runs on")
    finally:
        s.stop()


if __name__ == "__main__":
    main()
