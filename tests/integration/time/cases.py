"""Honest time per line: user CPU (Time), kernel time (Sys), off-CPU time, Wall.

Nothing here depends on how fast this machine is: the programs measure their
own phases (or do fixed work in two runs compared with each other), and the
cases compare lineprof's numbers with those, as shares with margins. The
machine may be loaded: preemption is part of a line's wall time, and so of
the truth the programs print.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

from lp import (LINEPROF, SKIP, Result, case, check, cpu_seconds, main, marker_line, maxrss_mib_of, parse_tables,
                prog, row_of, run, run_as_nobody, running_target, shared_workdir, wait_for, workdir)

PARANOID = "/proc/sys/kernel/perf_event_paranoid"


def time_prog(name):
    return os.environ["PROG_TIME_" + name.upper()]


def lines_of(doc, function=None, line=None):
    return [l for l in doc["lines"]
            if (function is None or l["function"] == function) and (line is None or l["line"] == line)]


def load_json(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return json.load(f)


def crunch_total(result):
    t = parse_tables(result.report)
    check("crunch" in t, "a table for crunch", result)
    return t["crunch"]


def crunch_rate(result):
    """crunch's Time per second of its own CPU clock (the program prints it): the machine's speed
    drifts between runs, so runs are compared by this, not by their Times."""
    m = re.search(r"^crunch cpu ([\d.]+) s$", result.out, re.M)
    check(m is not None and float(m.group(1)) > 0, "the program's own CPU time for crunch", result)
    return crunch_total(result)["total"] / float(m.group(1))


class Paranoid:
    """kernel.perf_event_paranoid at 2 (its default) for the block, restored after."""

    def __enter__(self):
        with open(PARANOID) as f:
            self.old = f.read().strip()
        if self.old != "2":
            try:
                with open(PARANOID, "w") as f:
                    f.write("2")
            except OSError:
                print("cannot set %s to 2 here" % PARANOID)
                sys.exit(SKIP)
        return self

    def __exit__(self, *exc):
        if self.old != "2":
            with open(PARANOID, "w") as f:
                f.write(self.old)


@case
def syscalls_not_smeared():
    """A compute function's Time is the same in a run that is half system calls and one that is not.

    As root the calls' kernel time is Sys of the lines that made them (libc's
    pread/pwrite), nearly all of the run's system time; unprivileged, it is
    said, not spread: no Sys column, and the header names the sysctl.
    """
    if os.geteuid() != 0:
        print("needs root (kernel samples, and setpriv for the unprivileged half)")
        sys.exit(SKIP)
    d = shared_workdir()
    exe = time_prog("syscalls")
    with_calls = run(["-f", "crunch", "-o", "with.lprof", exe, "syscalls"], cwd=d)
    without = run(["-f", "crunch", "-o", "without.lprof", exe], cwd=d)
    for r in (with_calls, without):
        check(r.code == 0, "exit 0", r)
    a, b = crunch_rate(with_calls), crunch_rate(without)
    check(abs(a - b) <= 0.10 * b, "crunch's Time per second of its own CPU: %.3f with system calls, %.3f "
          "without: within 10 %%" % (a, b), with_calls)
    j = run(["annotate", "--json", "-", "with.lprof"], cwd=d)
    check(j.code == 0, "annotate --json", j)
    doc = json.loads(j.report)
    # The calls' own CPU time (the program's clock) is nearly all kernel time, on any machine.
    m = re.search(r"^calls cpu ([\d.]+) s$", with_calls.out, re.M)
    check(m is not None, "the program's own CPU time for the calls", with_calls)
    check(doc["kernel_samples"] and doc["sys_s"] >= 0.5 * float(m.group(1)),
          "the run's system time (%.3f s) holds the calls' (%.3f s of CPU)" % (doc["sys_s"], float(m.group(1))),
          with_calls)
    check(doc["unattributed_s"] <= 0.1 * doc["cpu_s"],
          "nearly all CPU time is on lines (%.3f s not)" % doc["unattributed_s"], with_calls)
    calls = sum(l["sys_s"] for l in doc["lines"] if re.search(r"pread|pwrite", l["function"] or ""))
    check(calls >= 0.6 * doc["sys_sampled_s"],
          "the calls' lines hold the system time (%.3f of %.3f s)" % (calls, doc["sys_sampled_s"]),
          with_calls)
    t = crunch_total(with_calls)
    check("Sys" in t["heads"], "a Sys column: %s" % t["heads"], with_calls)
    crunch_sys = sum(float(row["Sys"]) for row in t["rows"] if row.get("Sys"))
    check(crunch_sys * 1e-6 < 0.1 * calls, "crunch's own Sys is small (%.3f s)" % (crunch_sys * 1e-6),
          with_calls)

    # The same two runs as an unprivileged user, with perf_event_paranoid at its default.
    if not shutil.which("setpriv"):
        print("no setpriv: the unprivileged half is not run")
        return
    with Paranoid():
        uw = run_as_nobody(["-f", "crunch", "-o", "uwith.lprof", exe, "syscalls"], cwd=d)
        uo = run_as_nobody(["-f", "crunch", "-o", "uwithout.lprof", exe], cwd=d)
    for r in (uw, uo):
        check(r.code == 0, "unprivileged: exit 0", r)
        notes = [l for l in r.err.splitlines() if l.startswith("lineprof: Sys and Off-CPU")]
        check(len(notes) == 1 and "kernel.perf_event_paranoid is 2" in notes[0] and
              "sysctl -w kernel.perf_event_paranoid=1" in notes[0],
              "one line says Sys and Off-CPU are not recorded, and the sysctl", r)
        t = crunch_total(r)
        check(not {"Sys", "Off-CPU", "Wall"} & set(t["heads"]), "no Sys/Off-CPU/Wall column", r)
    ua, ub = crunch_rate(uw), crunch_rate(uo)
    check(abs(ua - ub) <= 0.10 * ub, "unprivileged: crunch's Time per second of its CPU %.3f vs %.3f, "
          "within 10 %%" % (ua, ub), uw)
    check(abs(ua - b) <= 0.10 * b, "no inflation: %.3f per second of its CPU unprivileged, %.3f as root"
          % (ua, b), uw)
    m = re.search(r"^CPU: sampled user [\d.]+ s of task-clock ([\d.]+) s \(rusage: user [\d.]+ s, "
                  r"sys ([\d.]+) s\); not attributed to a line: ([\d.]+) s, all system time included: "
                  r".*sysctl -w kernel.perf_event_paranoid=1", uw.report, re.M)
    check(m is not None, "the header says what is not attributed and how to allow it", uw)
    sys_s, unattributed = float(m.group(2)), float(m.group(3))
    check(unattributed >= 0.7 * sys_s, "the system time (%.3f s) is said unattributed (%.3f s)"
          % (sys_s, unattributed), uw)
    j = run(["annotate", "--json", "-", "uwith.lprof"], cwd=d)
    check(j.code == 0, "annotate --json", j)
    udoc = json.loads(j.report)
    check(not udoc["kernel_samples"] and not udoc["off_cpu"] and udoc["sys_sampled_s"] is None and
          all(l["sys_s"] is None and l["wall_s"] is None for l in udoc["lines"]),
          "JSON: Sys and Wall are null, not zero", uw)


def run_waits(args, d):
    """waits, blocked in read() on a pipe this test writes to after it says 'reading'."""
    rfd, wfd = os.pipe()
    p = subprocess.Popen([LINEPROF] + args + [time_prog("waits"), str(rfd)], cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(rfd,),
                         text=True, errors="replace")
    os.close(rfd)
    first = p.stdout.readline()
    time.sleep(0.9)
    os.write(wfd, b"x")
    out, err = p.communicate(timeout=120)
    os.close(wfd)
    m = re.search(r"compute=([\d.]+) sleep=([\d.]+) pipe=([\d.]+)", out)
    check(p.returncode == 0 and first == "reading\n" and m,
          "waits ran (exit %s):\n%s%s\n%s" % (p.returncode, first, out, err))
    return {"compute": float(m.group(1)), "sleep": float(m.group(2)), "pipe": float(m.group(3))}, err


@case
def wall_shares():
    """A sleeping line, a line blocked on a pipe and a compute line: each line's Wall share within
    3 points of the program's own clock, and the lines' Walls add up to the run's wall time."""
    if os.geteuid() != 0:
        print("needs kernel samples (root)")
        sys.exit(SKIP)
    d = workdir()
    truth, err = run_waits(["--json", "w.json"], d)
    doc = load_json(d, "w.json")
    check(doc["off_cpu"] and doc["kernel_samples"], "off-CPU and kernel time recorded:\n" + err)
    total = sum(l["wall_s"] for l in doc["lines"])
    check(abs(total - doc["wall_s"]) <= 0.05 * doc["wall_s"],
          "the lines' Walls (%.3f s) make the run's wall time (%.3f s) within 5 %%"
          % (total, doc["wall_s"]), err)
    compute = lines_of(doc, "main", marker_line("time/waits.c", "COMPUTE"))
    sleep = [l for l in doc["lines"] if l["wait"] == "sleep"]
    pipe = [l for l in doc["lines"] if l["wait"] == "io" and "read" in l["function"]]
    check(len(compute) == 1 and sleep and pipe, "the three lines, the waits classified:\n" + err)
    for name, got in (("compute", compute[0]["wall_s"]), ("sleep", sum(l["wall_s"] for l in sleep)),
                      ("pipe", sum(l["wall_s"] for l in pipe))):
        share, want = 100.0 * got / total, 100.0 * truth[name] / doc["wall_s"]
        check(abs(share - want) <= 3.0, "%s: Wall share %.1f%%, truly %.1f%%" % (name, share, want), err)
    check(compute[0]["time_s"] > 0 and compute[0]["off_blocked_s"] < 0.05 * truth["compute"],
          "COMPUTE ran (it never blocked: its off-CPU time is preemption)", err)

    # With call stacks the waits are the calling lines' Incl. Wall, in main's own table.
    truth, err = run_waits(["--call-graph=dwarf", "-f", "main"], d)
    t = parse_tables(err)["main"]
    check("Incl. Wall" in t["heads"] and "Wall" in t["heads"], "Wall and Incl. Wall columns:\n" + err)
    walls = {}
    for name, marker in (("compute", "COMPUTE"), ("sleep", "SLEEP"), ("pipe", "PIPE")):
        row = row_of(t, marker_line("time/waits.c", marker))
        walls[name] = float(row["Incl. Wall"] or row["Wall"] or 0) * 1e-6
    run_wall = float(re.search(r"; CPU time [\d.]+ s, wall ([\d.]+) s", err).group(1))
    for name, got in walls.items():
        share, want = 100.0 * got / run_wall, 100.0 * truth[name] / run_wall
        check(abs(share - want) <= 3.0, "dwarf: %s line's Incl. Wall %.1f%%, truly %.1f%%"
              % (name, share, want), err)


def read_until(f, needle, err, what, timeout=60.0):
    """Reads f (a pipe, bytes) into err[0] until needle shows: a condition, not a guess at timing."""
    deadline = time.monotonic() + timeout
    while needle not in err[0]:
        check(time.monotonic() < deadline, "%s:\n%s" % (what, err[0].decode(errors="replace")))
        ready, _, _ = select.select([f], [], [], 0.1)
        if ready:
            chunk = os.read(f.fileno(), 65536)
            check(chunk, "%s: EOF\n%s" % (what, err[0].decode(errors="replace")))
            err[0] += chunk


@case
def attach_waits():
    """lineprof -p records off-CPU time too: an attached process's sleep and pipe read are on
    their lines, with the Wall shares the program measures (among the three phases)."""
    if os.geteuid() != 0:
        print("needs kernel samples (root)")
        sys.exit(SKIP)
    d = workdir()
    pipe_r, pipe_w = os.pipe()
    go_r, go_w = os.pipe()
    prog_out = os.path.join(d, "waits.out")
    with open(prog_out, "w") as out:
        p = subprocess.Popen([time_prog("waits"), str(pipe_r), str(go_r)], stdout=out,
                             pass_fds=(pipe_r, go_r))
    os.close(pipe_r)
    os.close(go_r)
    lp = subprocess.Popen([LINEPROF, "-p", str(p.pid), "--json", "a.json"], cwd=d,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = [b""]
    try:
        # The phases begin once lineprof has attached: every wait starts under its eyes.
        read_until(lp.stderr, b"attached to process", err, "lineprof to attach")
        os.write(go_w, b"g")
        deadline = time.monotonic() + 60
        while "reading" not in open(prog_out).read():
            check(time.monotonic() < deadline and p.poll() is None, "waits to reach its read()")
            time.sleep(0.01)
        time.sleep(0.9)
        os.write(pipe_w, b"x")
        check(p.wait(timeout=60) == 0, "waits exits 0")
        _, rest = lp.communicate(timeout=120)
    finally:
        for proc in (p, lp):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        os.close(pipe_w)
        os.close(go_w)
    text = (err[0] + rest).decode(errors="replace")
    m = re.search(r"compute=([\d.]+) sleep=([\d.]+) pipe=([\d.]+)", open(prog_out).read())
    check(lp.returncode == 0 and m, "lineprof -p and waits ran:\n" + text)
    truth = {"compute": float(m.group(1)), "sleep": float(m.group(2)), "pipe": float(m.group(3))}
    doc = load_json(d, "a.json")
    check(doc["off_cpu"] and doc["kernel_samples"], "off-CPU and kernel time recorded:\n" + text)
    compute = lines_of(doc, "main", marker_line("time/waits.c", "COMPUTE"))
    sleep = [l for l in doc["lines"] if l["wait"] == "sleep"]
    pipe = [l for l in doc["lines"] if l["wait"] == "io" and "read" in l["function"]]
    check(len(compute) == 1 and sleep and pipe, "the three lines, the waits classified:\n" + text)
    got = {"compute": compute[0]["wall_s"], "sleep": sum(l["wall_s"] for l in sleep),
           "pipe": sum(l["wall_s"] for l in pipe)}
    for name in got:
        share = 100.0 * got[name] / sum(got.values())
        want = 100.0 * truth[name] / sum(truth.values())
        check(abs(share - want) <= 3.0, "%s: Wall share %.1f%%, truly %.1f%% (of the three phases)"
              % (name, share, want), text)


@case
def idle_pool():
    """Workers that wait the whole run show as their own lock wait, never in the busy line."""
    if os.geteuid() != 0:
        print("needs kernel samples (root)")
        sys.exit(SKIP)
    d = workdir()
    r = run(["--call-graph=dwarf", "-f", "worker", "-f", "main", time_prog("pool")], cwd=d)
    check(r.code == 0, "exit 0", r)
    j = run(["annotate", "--json", "-", "pool.lprof"], cwd=d)
    check(j.code == 0, "annotate --json", j)
    doc = json.loads(j.report)
    busy = lines_of(doc, "main", marker_line("time/pool.c", "BUSY"))
    check(len(busy) == 1, "the BUSY line", r)
    busy = busy[0]
    locks = [l for l in doc["lines"] if l["wait"] == "lock"]
    lock_wait = sum(l["off_cpu_s"] for l in locks)
    check(lock_wait >= 3.0 * busy["wall_s"],
          "four workers' lock waits (%.3f s) are about four runs of BUSY (%.3f s)"
          % (lock_wait, busy["wall_s"]), r)
    check(busy["off_blocked_s"] < 0.05 * busy["wall_s"],
          "BUSY's off-CPU time is only preemption (blocked %.3f s)" % busy["off_blocked_s"], r)
    check(busy["wall_s"] <= 1.1 * doc["wall_s"], "BUSY's Wall (%.3f s) fits in the run (%.3f s)"
          % (busy["wall_s"], doc["wall_s"]), r)
    t = parse_tables(r.report)["worker"]
    idle = row_of(t, marker_line("time/pool.c", "IDLE"))
    check(float(idle["Incl. Wall"] or 0) * 1e-6 >= 0.8 * lock_wait,
          "the workers' IDLE line holds their wait (Incl. Wall %s us)" % idle["Incl. Wall"], r)


@case
def mpi_yield_wait():
    """An MPI rank in yield mode waiting for a message: with stacks, the wait is the MPI_Recv
    line's Incl. Wall, as long as the rank's own clock says it waited.

    At 500 Hz into 32 MiB rings: every sample and every switch-out carries
    a 2 KiB stack, a yielding rank switches thousands of times a second on
    a loaded machine, and lineprof unwinds each (slowly under ASan). CI's
    ASan run filled 4 MiB rings and dropped half the switch records (said,
    but then the wait does not add up); 32 MiB holds the whole run.
    """
    exe = os.environ.get("PROG_TIME_MPIWAIT", "")
    if not exe or not shutil.which("mpirun") or os.geteuid() != 0:
        print("needs Open MPI (mpirun, mpi.h) and root")
        sys.exit(SKIP)
    d = workdir()
    r = run(["record", "-o", "mpi.lprof", "--call-graph=dwarf,2048", "-F", "500", "--mmap-pages", "8192",
             "mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "mpi_yield_when_idle", "1",
             "-np", "2", exe], cwd=d, timeout=170)
    m = re.search(r"received .* after waiting ([\d.]+) s", r.out)
    check(r.code == 0 and m, "the job ran", r)
    waited = float(m.group(1)) * 1e6
    a = run(["annotate", "-f", "main", "mpi.lprof"], cwd=d)
    check(a.code == 0, "annotate", a)
    t = parse_tables(a.report)["main"]
    recv = row_of(t, marker_line("time/mpiwait.c", "RECV"))
    rw = float(recv["Incl. Wall"] or 0)
    off = re.search(r"^Off-CPU: .*$", a.report, re.M)
    check(0.7 * waited <= rw <= 1.3 * waited,
          "rank 1's wait on the MPI_Recv line (%.0f us) is the %.0f us it waited (%s)"
          % (rw, waited, off.group(0) if off else "no Off-CPU line"), a)


@case
def many_switches():
    """A ping-pong that switches as fast as the machine can, with lineprof stopped for a while:
    LOST told, the lost waits said, memory bounded, the profile whole."""
    if os.geteuid() != 0:
        print("needs kernel samples (root)")
        sys.exit(SKIP)
    d = workdir()
    exe = time_prog("switches")
    # A tiny ring, and lineprof stopped while the target switches: records must be dropped.
    p = subprocess.Popen([LINEPROF, "--mmap-pages", "4", "--json", "s.json", exe, "4"], cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    pid = running_target(p, exe, 0.05)
    os.kill(p.pid, signal.SIGSTOP)
    try:
        # 0.2 s of the target's CPU is thousands of switches, whatever the machine's speed:
        # far more than a 16 KiB ring holds.
        start = cpu_seconds(pid)
        wait_for(lambda: cpu_seconds(pid) >= start + 0.2, "the target to switch on")
    finally:
        os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0 and "trips=" in out, "exit 0:\n%s%s" % (out, err))
    check(re.search(r"the kernel dropped \d+ records", err), "LOST is reported:\n" + err)
    doc = load_json(d, "s.json")
    check(doc["lost"] > 0 and doc["off_cpu"], "the profile keeps the count", err)
    said = "the waits in the %d dropped records are missing" % doc["lost"] in err
    check(said, "the waits lost with the records are said:\n" + err)
    a = run(["annotate", "--functions", "switches.lprof"], cwd=d)
    check(a.code == 0, "the saved profile loads", a)

    # Unstopped, at the default ring: memory that does not grow with the switches, and no wait
    # counted twice: two threads for the whole run make twice its wall time, whatever the
    # switch rate. (A few
    # percent more at this rate: the kernel's perf work at each switch, after the switch-out
    # record and before the switch-in one, is also the thread's CPU time; lineprof(1).)
    # Bounded: a run ten times longer (ten times the switches) needs about the memory of a short
    # one (47 MiB both here; under ASan, whose quarantine grows with frees, 88 and 105 MiB).
    code, short_mb, _ = maxrss_mib_of(["--json", "short.json", exe, "0.2"], d)
    check(code == 0, "the short run: exit %d" % code)
    code, rss_mb, out = maxrss_mib_of(["--json", "t.json", exe, "2"], d)
    check(code == 0 and "trips=" in out, "exit 0: %r" % out)
    check(rss_mb - short_mb < 40, "lineprof's peak RSS %.0f MiB for 2 s of switches, %.0f MiB for 0.2 s"
          % (rss_mb, short_mb))
    trips = int(re.search(r"trips=(\d+)", out).group(1))
    doc = load_json(d, "t.json")
    r = Result(subprocess.CompletedProcess([], code, out, ""), ["run"])
    waits = sum(l["off_cpu_count"] for l in doc["lines"])
    threads = sum(l["wall_s"] for l in doc["lines"])
    # A dropped record can hide at most one wait: with none dropped, every round trip's.
    check(waits + doc["lost"] >= trips,
          "%d waits (and %d dropped records) for %d round trips (each blocks at least one read)"
          % (waits, doc["lost"], trips), r)
    check(0.85 * 2 * doc["wall_s"] <= threads <= 1.15 * 2 * doc["wall_s"],
          "the threads' Walls (%.3f s) make two threads for the run (%.3f s)"
          % (threads, doc["wall_s"]), r)
    ping = [l for l in doc["lines"] if l["wait"] == "io"]
    check(ping and sum(l["off_cpu_s"] for l in ping) > 0.3 * doc["off_cpu_s"],
          "the reads and writes hold the waits", r)


if __name__ == "__main__":
    main()
