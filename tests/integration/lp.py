"""Helpers for lineprof's integration tests: run the built binary, parse its tables."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LINEPROF = os.environ["LINEPROF"]
PROGRAMS_SRC = os.environ["PROGRAMS_SRC"]
SKIP = 77  # meson's exit status for a skipped test

# Each test file registers its cases with @case and ends with main(): one case
# per meson test, named on the command line.
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit("usage: %s CASE (one of: %s)" % (os.path.basename(sys.argv[0]),
                                                 ", ".join(sorted(CASES))))
    CASES[sys.argv[1]]()
    print("ok")


def prog(name):
    return os.environ["PROG_" + name.upper()]


def marker_line(source, marker):
    """Line number of the line carrying /* MARKER */ in a test program's source."""
    path = os.path.join(PROGRAMS_SRC, source)
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if "/* %s */" % marker in text:
                return number
    raise AssertionError("no /* %s */ in %s" % (marker, path))


class Result:
    def __init__(self, proc, args=()):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        # Where the tables are: a one-shot run reports on stderr (the program's
        # stdout is its own), `annotate` on stdout, `record` nowhere.
        args = list(args)
        self.report = self.out if args[:1] in (["annotate"], ["diff"], ["merge"]) else self.err

    def __repr__(self):
        return "exit %d\n--- stdout\n%s--- stderr\n%s" % (self.code, self.out, self.err)


def run(args, cwd=None, timeout=120, **kw):
    proc = subprocess.run([LINEPROF] + list(args), cwd=cwd, capture_output=True,
                          text=True, errors="replace", timeout=timeout, **kw)
    return Result(proc, args)


def workdir():
    return tempfile.mkdtemp(prefix="lp-int-")


def record_copy(d, name, exe_name, out):
    """Records a copy of test program NAME made at d/EXE_NAME into d/OUT, for tests that then
    remove or rebuild the binary; returns the copy's path."""
    exe = os.path.join(d, exe_name)
    shutil.copy(prog(name), exe)
    r = run(["record", "-o", out, exe], cwd=d)
    check(r.code == 0, "record a copy of %s" % name, r)
    return exe


def check(cond, what, result=None):
    if not cond:
        sys.stderr.write("FAILED: %s\n" % what)
        if result is not None:
            sys.stderr.write("%r\n" % (result,))
        sys.exit(1)


def shared_workdir():
    """A work directory an unprivileged user can write into too (its profile, its files)."""
    d = workdir()
    os.chmod(d, 0o777)
    return d


# An unprivileged user: uid/gid 65534 (nobody), no groups, no capabilities.
NOBODY = 65534
NOBODY_ARGV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]


def run_as_nobody(args, cwd, timeout=120, prefix=(), **kw):
    """lineprof ARGS as user nobody (after PREFIX, e.g. a prlimit); its report is on stderr, as a run's is."""
    proc = subprocess.run(list(prefix) + NOBODY_ARGV + [LINEPROF] + list(args), cwd=cwd, capture_output=True,
                          text=True, errors="replace", timeout=timeout, **kw)
    return Result(proc, args)


def running_target(lp, exe, cpu=0.1):
    """The pid of lineprof's target once it runs exe and has used cpu seconds of CPU."""
    exe = os.path.realpath(exe)

    def find():
        check(lp.poll() is None, "lineprof still running (it exited %s)" % lp.returncode)
        for d in os.listdir("/proc"):
            try:
                if (d.isdigit() and int(proc_stat(int(d))[1]) == lp.pid and
                        os.readlink("/proc/%s/exe" % d) == exe and cpu_seconds(int(d)) >= cpu):
                    return int(d)
            except (OSError, ValueError):
                continue  # gone meanwhile, or not ours to read
        return None
    return wait_for(find, "%s to run under lineprof" % exe)


def tracefs(cmd):
    """Runs cmd in a shell whose cwd is a tracefs root (a private mount if none is mounted)."""
    for root in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(os.path.join(root, "uprobe_events")):
            return subprocess.run(["sh", "-c", "cd %s && %s" % (root, cmd)], capture_output=True, text=True)
    return subprocess.run(["unshare", "-m", "sh", "-c",
                           "mount -t tracefs nodev /sys/kernel/tracing && cd /sys/kernel/tracing && " + cmd],
                          capture_output=True, text=True)


def uprobe_events():
    """uprobe_events as the kernel has it."""
    r = tracefs("cat uprobe_events")
    check(r.returncode == 0, "read uprobe_events: %s" % r.stderr)
    return r.stdout


def probe_group(pid):
    """The pattern of the probe group a --hits run of pid makes: lineprof_<pid namespace>_<pid>_<start time>."""
    return r"lineprof_\d+_%d_\d+" % pid


def probe_lines(pid):
    """The uprobe_events lines of pid's run."""
    return [l for l in uprobe_events().splitlines() if re.search(r":%s/" % probe_group(pid), l)]


def maxrss_mib_of(args, cwd):
    """lineprof ARGS as the only child of a fresh Python: (exit code, its peak RSS in MiB, its stdout)."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
            "sys.stdout.write('%d %d\\n' % (p.returncode, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
            "sys.stdout.write(p.stdout.decode(errors='replace'))\n")
    proc = subprocess.run([sys.executable, "-c", code, LINEPROF] + list(args), cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    first, _, out = proc.stdout.partition("\n")
    rc, kib = first.split()
    return int(rc), int(kib) / 1024.0, out


def wait_for(cond, what, timeout=60.0):
    """Polls cond() until it returns something true: a state, never a guess at timing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.01)
    check(False, "timed out after %.0f s waiting for %s" % (timeout, what))


def proc_stat(pid, tid=None):
    """Fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [6] flags, [11] utime, [12] stime."""
    path = "/proc/%d/task/%d/stat" % (pid, tid) if tid else "/proc/%d/stat" % pid
    with open(path) as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid, tid=None):
    """The CPU time (user + system) pid (or its thread tid) has used so far, in seconds."""
    st = proc_stat(pid, tid)
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


def uprobes_usable():
    """Root, and a kernel with uprobes (--hits places them)."""
    return os.geteuid() == 0 and os.path.exists("/sys/bus/event_source/devices/uprobe/type")


def one_line_error(result, code, needle):
    check(result.code == code, "exit status %d expected" % code, result)
    lines = [l for l in result.err.splitlines() if l.startswith("lineprof:")]
    check(len(lines) >= 1, "a 'lineprof:' message on stderr", result)
    check(any(needle in l for l in lines), "message mentions %r" % needle, result)
    check(result.out == "", "nothing on stdout for an error", result)


# A column heading: the ones with a blank in them, else one word (event columns
# follow "% Time" after a single space, like every column).
HEADING = (r"Line #|% Time|% Prog|Per Hit|Incl\. Time|Incl\. Wall|Cache Miss %|Branch Miss %|"
           r"Self (?:%|sys|off|wall|s)|Total (?:%|sys|off|wall|s)|\S+")


def check_ratios(times, want, what, result=None, points=3.0):
    """Each group's share of the summed times within `points` percentage points of its share of
    the work. Shares, not ratios to the smallest: a loaded machine's noise in the smallest time
    would be multiplied into every ratio. 1:2:3:4 is 10/20/30/40 %, balanced would be 25 % each."""
    total, wtotal = sum(times), float(sum(want))
    check(total > 0, "%s: times for the groups" % what, result)
    for t, w in zip(times, want):
        share, expect = 100.0 * t / total, 100.0 * w / wtotal
        check(abs(share - expect) <= points,
              "%s: share %.1f %%, want %.1f %% within %.0f points (times %r)"
              % (what, share, expect, points, times), result)


def parse_tables(text):
    """line_profiler-style tables: {function: {"total": s, "file": f, "line": n, "rows": [...]}}.

    Columns are right-aligned under their headings, so each cell is cut at its
    heading's right edge; rows are dicts of heading -> string, plus "text".
    """
    tables = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        # Names may hold blanks and brackets: "operator() [stl_function.h:412]".
        m = re.match(r"Function: (.+) at line (\d+)$", lines[i])
        if not m:
            i += 1
            continue
        name, decl = m.group(1), int(m.group(2))
        total = float(re.match(r"Total time: (\S+) s", lines[i - 2]).group(1))
        source = lines[i - 1][len("File: "):]
        header = lines[i + 2]
        edges, heads, pos = [], [], 0
        text_at = header.index("  Line Contents")
        for h in re.finditer(HEADING, header[:text_at]):
            heads.append(h.group(0))
            edges.append((pos, h.end()))
            pos = h.end()
        rows = []
        i += 4
        while i < len(lines) and lines[i] != "":
            row = {"text": lines[i][text_at + 2:]}
            for h, (a, b) in zip(heads, edges):
                row[h] = lines[i][a:b].strip()
            rows.append(row)
            i += 1
        tables[name] = {"total": total, "file": source, "line": decl, "rows": rows,
                        "heads": heads}
    return tables


def row_of(table, line):
    for r in table["rows"]:
        if r["Line #"] == str(line):
            return r
    raise AssertionError("no row for line %d" % line)


def pct(row):
    return float(row["% Time"]) if row.get("% Time") else 0.0


def samples(row):
    return int(row["Samples"]) if row.get("Samples") else 0


def parse_top(text):
    """--top rows, hottest first: dicts of heading -> string, plus "where" (file:line) and "function".

    The numeric columns are right-aligned under their headings; the line and
    the function follow, as in the header "Line   Function".
    """
    lines = text.splitlines()
    at = next(i for i, l in enumerate(lines) if l.startswith("Hottest lines"))
    header = lines[at + 2]
    text_at = header.index("  Line ")
    heads, edges, pos = [], [], 0
    for h in re.finditer(HEADING, header[:text_at]):
        heads.append(h.group(0))
        edges.append((pos, h.end()))
        pos = h.end()
    rows = []
    for l in lines[at + 4:]:
        if not l.strip():
            break
        row = {h: l[a:b].strip() for h, (a, b) in zip(heads, edges)}
        rest = l[text_at + 2:]
        if rest.startswith("(no line info)"):
            row["where"], row["function"] = "(no line info)", rest[len("(no line info)"):].strip()
        else:
            where, _, fn = rest.partition(" ")
            row["where"], row["function"] = where, fn.strip()
        rows.append(row)
    return rows


def parse_functions(text):
    """--functions rows: {name: {"samples", "self", "total", "self_s", "total_s", "module", "where",
    and, where recorded, "self_sys", "total_sys", "self_off", "total_off", "self_wall", "total_wall"}}.

    Seconds that were not measured ("-") are None.
    """
    lines = text.splitlines()
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("Samples") and "Self %" in l)
    header = lines[at]
    numeric = [h.group(0) for h in re.finditer(r"Self (?:%|sys|off|wall|s)|Total (?:%|sys|off|wall|s)|"
                                               r"Mean s|Max s|Max/Mean|\S+",
                                               header[:header.index("Module")])]
    keys = {"Samples": "samples", "Self %": "self", "Total %": "total", "Self s": "self_s",
            "Total s": "total_s", "Self sys": "self_sys", "Total sys": "total_sys",
            "Self off": "self_off", "Total off": "total_off", "Self wall": "self_wall",
            "Total wall": "total_wall"}
    rows = {}
    for l in lines[at + 2:]:
        if not re.match(r"\s*\d", l):  # a blank line, or a note after the table
            break
        f = l.split()
        n = len(numeric)
        row = {}
        for h, v in zip(numeric, f[:n]):
            if v == "-":
                row[keys.get(h, h)] = None  # not measured (or, for MPI's row, no total)
            elif h == "Samples":
                row["samples"] = int(v)
            else:
                try:
                    row[keys.get(h, h)] = float(v)
                except ValueError:
                    row[keys.get(h, h)] = v  # a rank, tid or pid column
        row["module"], row["where"] = f[n], f[n + 1]
        rows[" ".join(f[n + 2:])] = row
    return rows
