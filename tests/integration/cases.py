"""lineprof integration tests: one case per meson test, named on the command line.

Sampling is statistical: the programs make one line dominate and the cases
assert on shares with margins, never on sample counts or times.
"""
import csv
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

from lp import (HEADING, LINEPROF, SKIP, case, check, cpu_seconds, main, marker_line, one_line_error,
                parse_functions, parse_tables, parse_top, pct, probe_lines, prog, record_copy, row_of, run,
                running_target, samples, uprobes_usable, wait_for, workdir)


def hot_table(result, function, source, marker):
    tables = parse_tables(result.report)
    check(function in tables, "a table for %s" % function, result)
    t = tables[function]
    hot = row_of(t, marker_line(source, marker))
    top = max(t["rows"], key=samples)
    check(top is hot, "the %s line tops the table" % marker, result)
    check(pct(hot) > 60.0, "the %s line has > 60%% (%.1f)" % (marker, pct(hot)), result)
    return t


@case
def hotline_table():
    d = workdir()
    r = run(["-f", "hot_work", prog("hotline")], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("Wrote profile results to hotline.lprof" in r.err, "names the profile", r)
    check(os.path.exists(os.path.join(d, "hotline.lprof")), "hotline.lprof written", r)
    # The target's own output comes first; lineprof's report starts with the timer unit.
    check("\nTimer unit: 1e-06 s\n\n" in "\n" + r.report, "line_profiler's first line", r)
    t = hot_table(r, "hot_work", "hotline.c", "HOT")
    check(t["file"].endswith("hotline.c"), "File: names the source", r)
    # Every line of the function is a row, from its declaration to its closing brace.
    first, last = int(t["rows"][0]["Line #"]), int(t["rows"][-1]["Line #"])
    check(first == t["line"], "rows start at the declaration", r)
    check(last == marker_line("hotline.c", "END hot_work"), "rows end at the brace", r)
    check("for (long i = 0; i < n; i++) x = x" in row_of(t, marker_line("hotline.c", "HOT"))["text"],
          "the source text is shown", r)
    # Rows sum to the total (Time is in microseconds with one decimal).
    summed = sum(float(row["Time"]) for row in t["rows"] if row["Time"])
    check(abs(summed * 1e-6 - t["total"]) <= max(1e-4, 0.001 * t["total"]),
          "rows sum to Total time (%g vs %g)" % (summed * 1e-6, t["total"]), r)
    check(abs(sum(pct(row) for row in t["rows"]) - 100.0) < 0.5, "% Time sums to 100", r)


@case
def hotline_o2():
    r = run(["-f", "hot_work", prog("hotline_o2")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    hot_table(r, "hot_work", "hotline.c", "HOT")


@case
def nopie():
    r = run(["-f", "hot_work", prog("hotline_nopie")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    hot_table(r, "hot_work", "hotline.c", "HOT")


@case
def inlined_function():
    """hot_inner exists only inlined into outer at -O2: its lines are still found."""
    r = run(["-f", "hot_inner", "-f", "outer", prog("inlined")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    hot_table(r, "hot_inner", "inlined.c", "HOT")


@case
def unit_option():
    r = run(["-u", "1e-3", "-f", "hot_work", prog("hotline")], cwd=workdir())
    check(r.code == 0 and "Timer unit: 0.001 s\n" in r.report, "-u sets the unit", r)
    t = parse_tables(r.report)["hot_work"]
    summed = sum(float(row["Time"]) for row in t["rows"] if row["Time"])
    check(abs(summed * 1e-3 - t["total"]) <= max(2e-3, 0.01 * t["total"]), "Time in ms", r)


@case
def top_lines():
    r = run([prog("hotline")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    rows = [row for row in parse_top(r.report) if "hotline.c:" in row["where"]]
    check(rows, "hot lines listed", r)
    first = rows[0]
    check(first["where"] == "hotline.c:%d" % marker_line("hotline.c", "HOT") or
          first["where"].endswith("/hotline.c:%d" % marker_line("hotline.c", "HOT")),
          "the HOT line is the hottest", r)
    check(float(first["% Time"]) > 60.0, "with > 60%", r)
    check("Hint: lineprof -f hot_work" in r.report, "a hint names the hot function", r)


@case
def known_shares():
    """Lines with true shares 10/30/60 % come out within 5 points (the bench asks 2)."""
    r = run(["-f", "main", prog("shares")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    t = parse_tables(r.report)["main"]
    for marker, truth in (("SHARE10", 10.0), ("SHARE30", 30.0), ("SHARE60", 60.0)):
        got = pct(row_of(t, marker_line("shares.c", marker)))
        check(abs(got - truth) < 5.0, "%s: %.1f%% within 5 points of %.0f%%" % (marker, got, truth), r)


@case
def record_then_annotate():
    d = workdir()
    r = run(["record", "-o", "saved.lprof", prog("hotline")], cwd=d)
    check(r.code == 0 and "Timer unit" not in r.out + r.err, "record prints no table", r)
    check("Wrote profile results to saved.lprof" in r.err, "record names its file", r)
    a = run(["annotate", "-f", "hot_work", "saved.lprof"], cwd=d)
    check(a.code == 0, "annotate exit 0", a)
    hot_table(a, "hot_work", "hotline.c", "HOT")
    again = run(["annotate", "-f", "hot_work", "saved.lprof"], cwd=d)
    check(again.report == a.report, "annotating twice gives the same text", again)


@case
def target_exit_status():
    r = run([prog("behave"), "exit", "3"], cwd=workdir())
    check(r.code == 3, "the target's exit status 3 is lineprof's", r)


@case
def target_segv():
    d = workdir()
    r = run(["-f", "burn", prog("behave"), "segv"], cwd=d)
    check(r.code == 128 + signal.SIGSEGV, "exit 139 after SIGSEGV", r)
    check("killed by signal %d" % signal.SIGSEGV in r.err, "says the target was killed", r)
    check(os.path.exists(os.path.join(d, "behave.lprof")), "profile still written", r)
    hot_table(r, "burn", "behave.c", "BURN")


@case
def target_abort():
    d = workdir()
    r = run(["-f", "burn", prog("behave"), "abort"], cwd=d)
    check(r.code == 128 + signal.SIGABRT, "exit 134 after abort()", r)
    hot_table(r, "burn", "behave.c", "BURN")


def popen_lineprof(args, cwd):
    return subprocess.Popen([LINEPROF] + args, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")


def interrupt(sig):
    d = workdir()
    p = popen_lineprof(["-f", "burn", prog("behave"), "spin"], d)
    running_target(p, prog("behave"))
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)

    class R:
        pass
    r = R()
    r.code, r.out, r.err = p.returncode, out, err
    check(p.returncode == 128 + sig, "exit %d: the signal was forwarded (%d)" % (128 + sig, p.returncode))
    check(os.path.exists(os.path.join(d, "behave.lprof")), "profile written after the signal")
    check("Wrote profile results" in err, "profile reported:\n" + err)
    t = parse_tables(err)
    check("burn" in t and pct(row_of(t["burn"], marker_line("behave.c", "BURN"))) > 60,
          "the table is still printed:\n" + err)


@case
def sigint_forwarded():
    interrupt(signal.SIGINT)


@case
def sigterm_forwarded():
    interrupt(signal.SIGTERM)


@case
def child_process():
    """A target that forks and execs itself: the child's samples are resolved too."""
    r = run(["-f", "burn", prog("behave"), "fork"], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    hot_table(r, "burn", "behave.c", "BURN")


class Finished:
    def __init__(self, p, timeout=60):
        self.out, self.err = p.communicate(timeout=timeout)
        self.code = p.returncode
        self.report = self.err

    def __repr__(self):
        return "exit %d\n--- stdout\n%s--- stderr\n%s" % (self.code, self.out, self.err)


@case
def target_sigkill():
    """SIGKILL to the target mid-run: the profile is still written, and the exit status is 137."""
    d = workdir()
    p = popen_lineprof(["-f", "burn", prog("behave"), "spin"], d)
    os.kill(running_target(p, prog("behave")), signal.SIGKILL)
    r = Finished(p)
    check(r.code == 128 + signal.SIGKILL, "exit 137 after SIGKILL", r)
    check("killed by signal %d" % signal.SIGKILL in r.err, "says the target was killed", r)
    check("Wrote profile results to behave.lprof" in r.err, "names the profile", r)
    hot_table(r, "burn", "behave.c", "BURN")
    a = run(["annotate", "-f", "burn", "behave.lprof"], cwd=d)
    check(a.code == 0, "the saved profile loads", a)
    hot_table(a, "burn", "behave.c", "BURN")


@case
def threads8_all_lines():
    """8 threads, 8 kinds of work: every thread's line is found, each with about 1/8 of the time."""
    names = ["w%d" % i for i in range(8)]
    args = []
    for n in names:
        args += ["-f", n]
    r = run(args + [prog("threads8")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    tables = parse_tables(r.report)
    totals = {}
    for i, n in enumerate(names):
        t = hot_table(r, n, "threads8.c", "T8_%d" % i)
        totals[n] = t["total"]
    whole = sum(totals.values())
    for n, v in totals.items():
        check(v >= 0.04 * whole, "%s has %.1f%% of the threads' time (1/8 expected)" % (n, 100 * v / whole), r)
    check(len(tables) == 8, "one table per function", r)


@case
def dlopen_library():
    """A library loaded mid-run with dlopen(): its lines are resolved, live and from the saved profile."""
    d = workdir()
    lib = os.environ["PROG_LPPLUGIN"]
    r = run([prog("dlopener"), lib], cwd=d)
    check(r.code == 0, "exit 0", r)
    hot = "lpplugin.c:%d" % marker_line("lpplugin.c", "PLUGIN_HOT")
    rows = [row for row in parse_top(r.report) if "lpplugin.c:" in row["where"]]
    check(rows and rows[0]["where"].endswith(hot), "the library's PLUGIN_HOT line is the hottest", r)
    check(rows[0]["function"] == "lp_plugin_work", "in lp_plugin_work", r)
    check(float(rows[0]["% Time"]) > 60.0, "with > 60%", r)
    a = run(["annotate", "-f", "lp_plugin_work", "dlopener.lprof"], cwd=d)
    check(a.code == 0, "annotate -f on the saved profile", a)
    t = hot_table(a, "lp_plugin_work", "lpplugin.c", "PLUGIN_HOT")
    check(t["file"].endswith("lpplugin.c"), "File: the library's source", a)


def strip_copy(d, flag, name):
    strip = shutil.which("strip")
    if not strip:
        print("no strip (binutils) here")
        sys.exit(SKIP)
    out = os.path.join(d, name)
    subprocess.run([strip, flag, "-o", out, prog("hotline")], check=True)
    return out


@case
def stripped_binary():
    """strip --strip-all: a clear one-line note, a profile, addresses; --strip-debug: functions by name."""
    d = workdir()
    exe = strip_copy(d, "--strip-all", "stripped")
    r = run([exe], cwd=d)
    check(r.code == 0, "exit 0", r)
    notes = [l for l in r.err.splitlines() if l.startswith("lineprof:") and "is stripped" in l]
    check(len(notes) == 1 and "rebuild with -g" in notes[0] and exe in notes[0],
          "one line names the binary, says it is stripped and how to fix it", r)
    check("Hint:" not in r.report, "no -f hint: there is no function -f could show", r)
    check(os.path.exists(os.path.join(d, "stripped.lprof")), "profile written", r)
    rows = [row for row in parse_top(r.report) if row["where"] == "(no line info)"]
    check(rows and "[stripped+0x" in rows[0]["function"], "the hottest addresses, by offset in the file", r)
    check(float(rows[0]["% Time"]) > 20.0, "the hottest one stands out", r)
    # With the symbol table kept, the hot function is named even without lines.
    exe = strip_copy(d, "--strip-debug", "nodebuginfo")
    r = run([exe], cwd=d)
    check(r.code == 0 and "compile with -g" in r.err, "says there are no lines", r)
    rows = [row for row in parse_top(r.report) if row["where"] == "(no line info)"]
    check(rows and rows[0]["function"] == "hot_work" and float(rows[0]["% Time"]) > 60.0,
          "hot_work, from the ELF symbol table, is the hottest function", r)
    f = run(["annotate", "--functions", "nodebuginfo.lprof"], cwd=d)
    check(f.code == 0 and re.search(r"^\s*\d+\s+[\d.]+.*\shot_work$", f.report, re.M),
          "--functions names it too", f)


@case
def nodebug_functions():
    """Built without -g: one line saying so, and the hot function named from ELF symbols."""
    r = run([prog("nodebug")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    notes = [l for l in r.err.splitlines() if "compile with -g" in l]
    check(len(notes) == 1 and "no DWARF line info" in notes[0], "one clear line", r)
    rows = [row for row in parse_top(r.report) if row["where"] == "(no line info)"]
    check(rows and rows[0]["function"] == "main" and float(rows[0]["% Time"]) > 60.0,
          "main, where the loop is, is the hottest function", r)
    check("Hint:" not in r.report, "no -f hint: -f needs line info", r)


@case
def ring_overflow():
    """A one-page ring at a high rate while lineprof is stopped: LOST told, no crash, profile whole.

    SIGSTOP stands in for a profiler the scheduler keeps off the CPU: the
    target goes on sampling into a 4 KiB ring nobody drains, so the kernel
    must drop records, whatever the speed of this machine.
    """
    with open("/proc/sys/kernel/perf_event_max_sample_rate") as f:
        rate = min(50000, int(f.read()))
    d = workdir()
    p = popen_lineprof(["--mmap-pages", "1", "-F", str(rate), "-f", "burn", prog("behave"), "spin"], d)
    pid = running_target(p, prog("behave"))
    os.kill(p.pid, signal.SIGSTOP)
    try:
        start = cpu_seconds(pid)
        # 0.2 s of CPU at >= 1 kHz is hundreds of samples, a one-page ring holds about 100.
        wait_for(lambda: cpu_seconds(pid) >= start + 0.2, "the target to run on")
    finally:
        os.kill(p.pid, signal.SIGCONT)
    # Some samples after the gap, so the LOST record is written and read.
    running_target(p, prog("behave"), cpu=start + 0.3)
    p.send_signal(signal.SIGTERM)
    r = Finished(p)
    check(r.code == 128 + signal.SIGTERM, "exit 143: SIGTERM forwarded", r)
    m = re.search(r"the kernel dropped (\d+) records", r.err)
    check(m is not None and int(m.group(1)) > 0, "LOST is reported on stderr", r)
    hot_table(r, "burn", "behave.c", "BURN")
    j = run(["annotate", "--json", "-", "behave.lprof"], cwd=d)
    check(j.code == 0, "the saved profile loads (its sample count adds up)", j)
    doc = json.loads(j.report)
    check(doc["lost"] == int(m.group(1)) and doc["samples"] > 0, "the profile keeps the count", j)


@case
def annotate_empty_profile():
    """A profile without samples (a target that exits at once): every view copes, with a note."""
    d = workdir()
    with open(os.path.join(d, "empty.lprof"), "w") as f:
        f.write("lineprof-profile 1\ncommand true\nsamples 0\nend\n")
    for view in ([], ["--functions"], ["--listing"], ["--csv", "-"], ["--json", "-"],
                 ["--folded", "-"], ["--callgrind", "cg.out"], ["--dot", "-"], ["-f", "main"]):
        r = run(["annotate"] + view + ["empty.lprof"], cwd=d)
        check(r.code == 0, "annotate %s: exit 0" % " ".join(view), r)
        check("no samples were recorded" in r.err, "annotate %s: says why it is empty" % " ".join(view), r)


# ---- errors: one line, the right exit status, nothing half-done ----

@case
def err_not_found():
    d = workdir()
    one_line_error(run(["./no-such-program"], cwd=d), 127, "no-such-program")
    one_line_error(run(["no-such-program-in-path"], cwd=d), 127, "not found")


@case
def err_not_executable():
    d = workdir()
    path = os.path.join(d, "script")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    one_line_error(run(["./script"], cwd=d), 126, "not executable")


@case
def err_no_dwarf():
    d = workdir()
    one_line_error(run(["-f", "main", prog("nodebug")], cwd=d), 1, "compile with -g")
    check(not os.path.exists(os.path.join(d, "nodebug.lprof")), "refused before the run")


@case
def err_function_not_found():
    d = workdir()
    r = run(["-f", "hot_wrok", prog("hotline")], cwd=d)
    one_line_error(r, 1, "hot_wrok")
    check("hot_work" in r.err, "the closest name is suggested", r)
    check(not os.path.exists(os.path.join(d, "hotline.lprof")), "refused before the run", r)


@case
def err_function_in_library():
    """A -f name defined only in a DT_NEEDED library is accepted."""
    r = run(["-f", "lp_need_work", prog("needed")], cwd=workdir())
    check(r.code == 0, "a library function is accepted", r)


@case
def err_unknown_event():
    one_line_error(run(["-e", "no-such-event", prog("hotline")], cwd=workdir()), 2,
                   "--list-events")


@case
def err_usage():
    d = workdir()
    one_line_error(run([], cwd=d), 2, "no command")
    one_line_error(run(["-F", "abc", prog("hotline")], cwd=d), 2, "-F")
    one_line_error(run(["--frobnicate", prog("hotline")], cwd=d), 2, "--frobnicate")
    one_line_error(run(["annotate"], cwd=d), 2, "annotate")


@case
def err_paranoid():
    """perf_event_open denied: the kernel's answer is simulated by an LD_PRELOAD shim.

    Upstream kernels allow user-space sampling of one's own processes at every
    perf_event_paranoid level, so a real denial cannot be provoked here.
    """
    shim = os.environ.get("DENY_PERF", "")
    if not shim:
        print("no deny_perf shim on this architecture")
        sys.exit(SKIP)
    d = workdir()
    # Under AddressSanitizer the shim must not be refused for coming first.
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = dict(os.environ, LD_PRELOAD=shim,
               ASAN_OPTIONS=(asan + ":" if asan else "") + "verify_asan_link_order=0")
    r = run([prog("hotline")], cwd=d, env=env)
    one_line_error(r, 1, "perf_event_paranoid")
    check("sysctl" in r.err, "names the sysctl that fixes it", r)
    check(not os.path.exists(os.path.join(d, "hotline.lprof")), "no empty profile written", r)


@case
def err_bad_profiles():
    d = workdir()
    one_line_error(run(["annotate", "missing.lprof"], cwd=d), 1, "cannot read profile")
    with open(os.path.join(d, "junk.lprof"), "w") as f:
        f.write("this is not a profile\n")
    one_line_error(run(["annotate", "junk.lprof"], cwd=d), 1, "not a lineprof profile")
    r = run(["record", "-o", "good.lprof", prog("hotline")], cwd=d)
    check(r.code == 0, "record", r)
    with open(os.path.join(d, "good.lprof")) as f:
        text = f.read()
    with open(os.path.join(d, "cut.lprof"), "w") as f:
        f.write(text[: len(text) // 2])
    one_line_error(run(["annotate", "cut.lprof"], cwd=d), 1, "cut.lprof")
    with open(os.path.join(d, "v9.lprof"), "w") as f:
        f.write(re.sub(r"^lineprof-profile \d+", "lineprof-profile 9", text))
    one_line_error(run(["annotate", "v9.lprof"], cwd=d), 1, "version 9")


@case
def err_rebuilt_binary():
    d = workdir()
    exe = record_copy(d, "hotline", "hotline", "p.lprof")
    shutil.copy(prog("hotline_o2"), exe)
    one_line_error(run(["annotate", "-f", "hot_work", "p.lprof"], cwd=d), 1,
                   "has changed since it was profiled")


def compile_here(d, name="prog"):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("no C compiler")
        sys.exit(SKIP)
    src = os.path.join(d, name + ".c")
    shutil.copy(os.path.join(os.environ["PROGRAMS_SRC"], "hotline.c"), src)
    subprocess.run([cc, "-g", "-O0", "-o", os.path.join(d, name), src], check=True)
    return src


@case
def missing_source():
    d = workdir()
    src = compile_here(d)
    os.remove(src)
    r = run(["-f", "hot_work", "./prog"], cwd=d)
    check(r.code == 0, "still exit 0", r)
    check("not found" in r.err and "--source-dir" in r.err, "a one-line note", r)
    t = parse_tables(r.report)["hot_work"]
    check(max(pct(row) for row in t["rows"]) > 60, "the numbers are still there", r)
    # --source-dir finds it again under another root.
    other = os.path.join(d, "elsewhere")
    os.makedirs(other)
    shutil.copy(os.path.join(os.environ["PROGRAMS_SRC"], "hotline.c"), os.path.join(other, "prog.c"))
    a = run(["annotate", "--source-dir", other, "-f", "hot_work", "prog.lprof"], cwd=d)
    check(a.code == 0 and "x = x * 0.9999999" in a.report, "--source-dir finds the moved source", a)


@case
def stale_source():
    d = workdir()
    src = compile_here(d)
    later = time.time() + 60
    os.utime(src, (later, later))
    r = run(["-f", "hot_work", "./prog"], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("newer than" in r.err, "warns that the source is newer than the binary", r)


@case
def nodebug_without_f():
    """Without -f a binary without DWARF is still profiled, by function, with a note."""
    r = run([prog("nodebug")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    check("compile with -g" in r.err, "says why there are no lines", r)


def listing_section(text, source):
    """The --listing rows of one source file: {line number: {column: text}}."""
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines)
             if l.startswith("File: ") and l.endswith(source) and lines[k + 1].startswith("Samples: "))
    while not lines[i].startswith("Line #"):
        i += 1
    header = lines[i]
    text_at = header.index("  Line Contents")
    heads, pos = [], 0
    for h in re.finditer(HEADING, header[:text_at]):
        heads.append((h.group(0), pos, h.end()))
        pos = h.end()
    rows = {}
    for l in lines[i + 2:]:
        if l == "":
            break
        if l.strip() == "...":
            continue
        row = {h: l[a:b].strip() for h, a, b in heads}
        row["text"] = l[text_at + 2:]
        rows[int(row["Line #"])] = row
    return rows


def record_hotline(d):
    r = run(["record", "-o", "p.lprof", prog("hotline")], cwd=d)
    check(r.code == 0, "record", r)
    return os.path.join(d, "p.lprof")


@case
def listing_view():
    """--listing: the table's numbers, per line of the file; --context keeps the hot region."""
    d = workdir()
    p = record_hotline(d)
    hot, cold = marker_line("hotline.c", "HOT"), marker_line("hotline.c", "COLD")
    r = run(["annotate", "-f", "hot_work", "--listing", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    table = parse_tables(r.report)["hot_work"]
    rows = listing_section(r.report, "hotline.c")
    check(sorted(rows) == list(range(1, max(rows) + 1)), "every line of the file is listed", r)
    check("x = x * 0.9999999" in rows[hot]["text"], "with its source text", r)
    for line in (hot, cold):
        t = row_of(table, line)
        check(rows[line]["Samples"] == t["Samples"] and rows[line]["Time"] == t["Time"],
              "line %d: the listing's numbers are the table's" % line, r)
    check(float(rows[hot]["% Prog"]) > 60.0, "the HOT line has > 60%% of the program", r)
    # --context 0: the lines above the threshold only, and -u applies.
    c = run(["annotate", "--context", "0", "--threshold", "5", "-u", "1e-3", p], cwd=d)
    check(c.code == 0, "exit 0", c)
    check("Timer unit: 0.001 s\n" in c.report, "-u applies to the listing", c)
    crows = listing_section(c.report, "hotline.c")
    check(hot in crows and 1 not in crows, "only the hot region", c)
    check(abs(float(crows[hot]["Time"]) - float(rows[hot]["Time"]) / 1000) < 0.1,
          "Time in milliseconds", c)


@case
def csv_export():
    """--csv loads in Python's csv module; a function's rows sum to its table total."""
    d = workdir()
    p = record_hotline(d)
    r = run(["annotate", "-f", "hot_work", "--csv", "out.csv", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    with open(os.path.join(d, "out.csv"), "rb") as f:
        raw = f.read()
    check(raw.count(b"\r\n") == raw.count(b"\n") and raw.endswith(b"\r\n"), "CRLF records", r)
    check(b"\033" not in raw, "no colour in the file", r)
    with open(os.path.join(d, "out.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    check(rows and list(rows[0])[:9] == ["file", "line", "function", "samples", "time_s", "percent",
                                         "percent_of_function", "ci_low", "ci_high"], "columns", r)
    check(all(row["function"] == "hot_work" for row in rows), "-f keeps hot_work's rows only", r)
    check(all(os.path.isabs(row["file"]) for row in rows if row["file"]), "absolute paths", r)
    table = parse_tables(r.report)["hot_work"]
    total = sum(float(row["time_s"]) for row in rows)
    check(abs(total - table["total"]) <= 1e-5 * max(1.0, table["total"]),
          "rows sum to Total time (%g vs %g)" % (total, table["total"]), r)
    check(abs(sum(float(row["percent_of_function"]) for row in rows) - 100.0) < 1e-3,
          "percent_of_function sums to 100", r)
    hot = [row for row in rows if row["line"] == str(marker_line("hotline.c", "HOT"))]
    check(len(hot) == 1, "one row for the HOT line", r)
    t = row_of(table, marker_line("hotline.c", "HOT"))
    check(hot[0]["samples"] == t["Samples"], "samples as in the table", r)
    check(abs(float(hot[0]["percent_of_function"]) - float(t["% Time"])) <= 0.05, "% Time", r)
    check(float(hot[0]["ci_low"]) < float(hot[0]["percent"]) < float(hot[0]["ci_high"]),
          "the interval holds the share", r)
    # "-": the CSV alone on standard output.
    s = run(["annotate", "--csv", "-", p], cwd=d)
    check(s.code == 0 and s.report.startswith("file,line,function,"), "--csv - writes to stdout", s)
    check("Timer unit" not in s.report, "and nothing else", s)


@case
def json_export():
    """--json loads in Python's json module and agrees with the CSV."""
    d = workdir()
    p = record_hotline(d)
    r = run(["annotate", "--json", "out.json", "--csv", "out.csv", "--color", "always", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    for name in ("out.json", "out.csv"):
        with open(os.path.join(d, name), "rb") as f:
            check(b"\033" not in f.read(), "no colour in %s, even with --color always" % name, r)
    with open(os.path.join(d, "out.json"), encoding="utf-8") as f:
        doc = json.load(f)
    with open(os.path.join(d, "out.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for key in ("lineprof_version", "command", "start_time", "wall_s", "cpu_s", "events",
                "samples", "lost", "throttled", "exit_status", "timer_unit", "functions", "lines"):
        check(key in doc, "metadata has %s" % key, r)
    check(doc["exit_status"] == 0 and doc["samples"] > 0, "exit status and samples", r)
    check(doc["events"] and doc["events"][0]["measured"], "the event as measured", r)
    check(len(doc["lines"]) == len(rows), "the CSV's rows", r)
    for j, c in zip(doc["lines"], rows):
        check(j["function"] == c["function"] and j["samples"] == int(c["samples"]) and
              abs(j["time_s"] - float(c["time_s"])) < 1e-9, "row %r" % (c,), r)
    hot = next(f for f in doc["functions"] if f["name"] == "hot_work")
    summed = sum(l["time_s"] for l in doc["lines"] if l["function"] == "hot_work")
    check(abs(hot["self_s"] - summed) < 1e-6, "a function's self_s is its lines' sum", r)
    check(hot["file"].endswith("hotline.c") and hot["line"] > 0, "its declaration", r)
    check(abs(sum(l["percent"] for l in doc["lines"]) - 100.0) < 1e-3, "percent sums to 100", r)


# The call-graph views on callgraph.c: a -> b -> c, recursion, shared called from two places.
# Truth from the work units in its source, % of all samples: (self, total).
CALLGRAPH_TRUTH = {"a": (100 * 20 / 140, 100 * 100 / 140), "b": (100 * 30 / 140, 100 * 80 / 140),
                   "c": (100 * 50 / 140, 100 * 50 / 140), "rec": (100 * 20 / 140, 100 * 30 / 140),
                   "shared": (100 * 20 / 140, 100 * 20 / 140), "main": (0.0, 100.0)}


def record_callgraph(d, g=True, name="callgraph"):
    r = run(["record"] + (["-g"] if g else []) + ["-o", "cg.lprof", prog(name)], cwd=d)
    check(r.code == 0, "record %s" % name, r)
    return os.path.join(d, "cg.lprof")


def sample_count(text):
    m = re.search(r"^Samples: (\d+) of ", text, re.M)
    check(m is not None, "a Samples: line")
    return int(m.group(1))


@case
def callgraph_functions():
    """-g --functions: self and total within 3 points of the truth; total >= self; sorting."""
    d = workdir()
    r = run(["-g", "--functions", prog("callgraph")], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("total = self + callees, from the recorded call stacks (-g)" in r.report, "says -g totals", r)
    rows = parse_functions(r.report)
    for name, (self_truth, total_truth) in CALLGRAPH_TRUTH.items():
        check(name in rows, "a row for %s" % name, r)
        got = rows[name]
        check(abs(got["self"] - self_truth) <= 3.0,
              "%s self %.1f%% within 3 points of %.1f%%" % (name, got["self"], self_truth), r)
        check(abs(got["total"] - total_truth) <= 3.0,
              "%s total %.1f%% within 3 points of %.1f%%" % (name, got["total"], total_truth), r)
    for name, got in rows.items():
        check(got["total"] >= got["self"] and got["total_s"] >= got["self_s"],
              "%s: total >= self" % name, r)
    check(rows["c"]["where"].endswith("callgraph.c:%d" % (marker_line("callgraph.c", "C_SELF") - 2)),
          "c's File:Line is its definition", r)
    order = [l.split()[-1] for l in r.report.splitlines() if l.split()[-1:] and l.split()[-1] in rows]
    # By self samples, or by self Wall where the run recorded it (cProfile's wall clock).
    key = "self_wall" if "Self wall" in r.report else "samples"
    selfs = [rows[n][key] for n in order]
    check(selfs == sorted(selfs, reverse=True), "sorted by self", r)
    t = run(["annotate", "--functions", "--sort", "total", "callgraph.lprof"], cwd=d)
    check(t.code == 0, "annotate --sort total", t)
    trows = parse_functions(t.report)
    order = [n for n in (l.split()[-1] for l in t.report.splitlines() if l.split()) if n in trows]
    totals = [trows[n]["total_wall" if "Total wall" in t.report else "total"] for n in order]
    check(totals == sorted(totals, reverse=True), "--sort total sorts by total", t)
    # Without -g the header says what totals mean.
    n = run(["annotate", "--functions", record_callgraph(workdir(), g=False)], cwd=d)
    check("total = self + inlined callees; record with -g for call-graph totals" in n.report,
          "without -g: says totals are inlining only", n)


@case
def callgraph_incl_column():
    """-g -f a: the line calling b shows b's whole cost in Incl. Time (a's tree is 20/80 units)."""
    d = workdir()
    p = record_callgraph(d)
    r = run(["annotate", "-f", "a", "-f", "c", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    tables = parse_tables(r.report)
    check("Incl. Time" in tables["a"]["heads"], "a's table has an Incl. Time column", r)
    check("Incl. Time" not in tables["c"]["heads"], "c calls nothing: no Incl. Time column", r)
    self_row = row_of(tables["a"], marker_line("callgraph.c", "A_SELF"))
    call_row = row_of(tables["a"], marker_line("callgraph.c", "A_CALLS_B"))
    check(self_row["Incl. Time"] == "", "a plain line has no Incl. Time", r)
    ratio = float(call_row["Incl. Time"]) / float(self_row["Time"])
    check(abs(ratio - 4.0) <= 0.6, "b() costs 4x a's own work (%.2f)" % ratio, r)


@case
def callgraph_dot():
    """--dot is valid Graphviz with the truth's shares; --png/--svg draw it; no dot: one line."""
    d = workdir()
    p = record_callgraph(d)
    if not shutil.which("dot"):
        print("Graphviz's dot is not installed")
        sys.exit(SKIP)
    r = run(["annotate", "--dot", "g.dot", "--svg", "g.svg", "--png", "g.png", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    with open(os.path.join(d, "g.dot")) as f:
        text = f.read()
    v = subprocess.run(["dot", "-Tsvg", "-o", os.devnull, os.path.join(d, "g.dot")],
                       capture_output=True, text=True)
    check(v.returncode == 0 and v.stderr == "", "dot -Tsvg accepts the DOT: %s" % v.stderr)
    nodes = {}
    for m in re.finditer(r'"(\d+)" \[color="#[0-9a-f]{6}", [^]]*label="(?:[^"\\]*\\n)?(\w+)\\n'
                         r'([\d.]+)%\\n\(([\d.]+)%\)', text):
        nodes[m.group(2)] = (m.group(1), float(m.group(3)), float(m.group(4)))
    for name, (self_truth, total_truth) in CALLGRAPH_TRUTH.items():
        check(name in nodes, "a box for %s" % name)
        check(abs(nodes[name][1] - total_truth) <= 3.0 and abs(nodes[name][2] - self_truth) <= 3.0,
              "%s: total %.1f, self %.1f" % (name, nodes[name][1], nodes[name][2]))
    edges = {}
    for m in re.finditer(r'"(\d+)" -> "(\d+)" \[[^]]*label="([\d.]+)%', text):
        edges[(m.group(1), m.group(2))] = float(m.group(3))
    ids = {name: nodes[name][0] for name in nodes}
    for caller, callee, truth in (("main", "a", 100 * 100 / 140), ("a", "b", 100 * 80 / 140),
                                  ("b", "c", 100 * 50 / 140), ("main", "rec", 100 * 30 / 140),
                                  ("rec", "rec", 100 * 25 / 140), ("rec", "shared", 100 * 10 / 140),
                                  ("main", "shared", 100 * 10 / 140)):
        got = edges.get((ids[caller], ids[callee]))
        check(got is not None and abs(got - truth) <= 3.0,
              "edge %s -> %s: %s%% vs %.1f%%" % (caller, callee, got, truth))
    with open(os.path.join(d, "g.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "--png wrote a PNG")
    with open(os.path.join(d, "g.svg")) as f:
        check("<svg" in f.read(), "--svg wrote an SVG")
    # Thresholds drop small nodes and edges.
    t = run(["annotate", "--dot", "-", "--node-threshold", "30", "--edge-threshold", "60", p], cwd=d)
    check(t.code == 0 and t.report.startswith("digraph"), "--dot - writes the graph alone to stdout", t)
    check("\\nshared\\n" not in t.report and "\\nrec\\n" not in t.report and "\\nc\\n" in t.report,
          "--node-threshold 30 keeps c (35.7%) but not rec, shared", t)
    kept = [float(x) for x in re.findall(r' -> "\d+" \[[^]]*label="([\d.]+)%', t.report)]
    check(kept and min(kept) >= 60.0 and any(abs(x - 100 * 100 / 140) <= 3.0 for x in kept),
          "--edge-threshold 60 keeps main -> a (71%%) and nothing under 60%%: %s" % kept, t)
    # Without dot in PATH: one line naming the package, before any output.
    empty = workdir()
    e = run(["annotate", "--png", "x.png", p], cwd=d, env=dict(os.environ, PATH=empty))
    one_line_error(e, 1, "--png needs Graphviz's dot: apt-get install graphviz")


def callgrind_functions(report):
    """callgrind_annotate's per-function lines: {function: (event0, samples)}, summed over files."""
    out = {}
    for l in report.splitlines():
        # The first two events (cpu_clock, samples); more may follow (sys, off_cpu).
        m = re.match(r"\s*([\d,]+|\.)\s+(?:\([\d. ]+%\)\s+)?([\d,]+|\.)\s+(?:\([\d. ]+%\)\s+)?"
                     r"(?:(?:[\d,]+|\.)\s+(?:\([\d. ]+%\)\s+)?)*\S*:(\S+) \[", l)
        if m:
            v = [0 if x == "." else int(x.replace(",", "")) for x in m.group(1, 2)]
            a, b = out.get(m.group(3), (0, 0))
            out[m.group(3)] = (a + v[0], b + v[1])
    return out


@case
def callgraph_callgrind():
    """--callgrind: callgrind_annotate accepts it; its totals are lineprof's."""
    if not shutil.which("callgrind_annotate"):
        print("callgrind_annotate (valgrind) is not installed")
        sys.exit(SKIP)
    d = workdir()
    p = record_callgraph(d)
    r = run(["annotate", "--functions", "--callgrind", "callgrind.out", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    rows = parse_functions(r.report)
    n = sample_count(r.report)
    a = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", "callgrind.out"],
                       cwd=d, capture_output=True, text=True)
    check(a.returncode == 0 and "WARNING" not in a.stderr + a.stdout,
          "callgrind_annotate accepts the file:\n%s%s" % (a.stdout, a.stderr))
    m = re.search(r"^\s*[\d,]+ \(100.0%\)\s+([\d,]+) \(100.0%\)(?:\s+[\d,]+ \(100.0%\))*\s+"
                  r"PROGRAM TOTALS", a.stdout, re.M)
    check(m is not None and int(m.group(1).replace(",", "")) == n,
          "PROGRAM TOTALS has the %d samples:\n%s" % (n, a.stdout))
    got = callgrind_functions(a.stdout)
    for name, row in rows.items():
        check(got.get(name, (0, 0))[1] == row["samples"],
              "%s: %s samples in callgrind_annotate, %d in lineprof" % (name, got.get(name), row["samples"]))
    i = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", "--inclusive=yes",
                        "callgrind.out"], cwd=d, capture_output=True, text=True)
    check(i.returncode == 0, "callgrind_annotate --inclusive=yes")
    incl = callgrind_functions(i.stdout)
    for name in CALLGRAPH_TRUTH:
        share = 100.0 * incl[name][1] / n
        check(abs(share - rows[name]["total"]) <= 0.06,
              "%s: inclusive %.2f%% in callgrind_annotate, total %.1f%% in lineprof"
              % (name, share, rows[name]["total"]))
    # Per line: the annotated source carries lineprof's samples of the C_SELF line (c's own table:
    # c's total can hold a sample or two off that line, on its entry or exit).
    ft = run(["annotate", "-f", "c", p], cwd=d)
    crow = [row for row in parse_tables(ft.report)["c"]["rows"] if "/* C_SELF */" in row["text"]]
    check(len(crow) == 1 and crow[0]["Samples"], "c's table has the C_SELF line", ft)
    want = int(crow[0]["Samples"].replace(",", ""))
    check(want >= 0.95 * rows["c"]["samples"], "the C_SELF line holds c's self samples", ft)
    s = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=yes",
                        "--include=" + os.environ["PROGRAMS_SRC"], "callgrind.out"], cwd=d, capture_output=True,
                       text=True)
    line = next((l for l in s.stdout.splitlines() if "/* C_SELF */" in l), "")
    m = re.match(r"\s*[\d,]+ \([\d. ]+%\)\s+([\d,]+) ", line)
    check(m is not None and int(m.group(1).replace(",", "")) == want,
          "the C_SELF line has the %d samples of lineprof's table: %r" % (want, line))


@case
def callgraph_folded():
    """--folded: root;...;leaf COUNT lines that sum to the profile's samples."""
    d = workdir()
    p = record_callgraph(d)
    r = run(["annotate", "--folded", "-", p], cwd=d)
    check(r.code == 0 and r.report, "exit 0, stacks on stdout", r)
    h = run(["annotate", "--functions", p], cwd=d)
    n = sample_count(h.report)
    stacks = {}
    for l in r.report.splitlines():
        m = re.match(r"^(\S.*) (\d+)$", l)
        check(m is not None, "a folded line: %r" % l, r)
        stacks[m.group(1)] = int(m.group(2))
    check(sum(stacks.values()) == n, "counts sum to %d samples (%d)" % (n, sum(stacks.values())), r)
    def share(pred):
        return 100.0 * sum(c for s, c in stacks.items() if pred(s.split(";"))) / n
    for what, pred, units in (("main..a;b;c", lambda f: f[-3:] == ["a", "b", "c"], 50),
                              ("rec;shared", lambda f: f[-2:] == ["rec", "shared"], 10),
                              ("four levels of rec", lambda f: f.count("rec") == 4, 15)):
        got = share(pred)
        check(abs(got - 100 * units / 140) <= 3.0, "%s: %.1f %% of the samples, truly %.1f %%"
              % (what, got, 100 * units / 140), r)
    # (a few samples may fall in the dynamic loader, before main)
    check(share(lambda f: "main" in f) >= 99.0, "the stacks go through main", r)
    # Without -g: one-level (inline) stacks, said on stderr.
    q = run(["annotate", "--folded", "-", record_callgraph(workdir(), g=False)], cwd=d)
    check(q.code == 0 and "no call stacks in this profile (record with -g)" in q.err,
          "without -g: a note", q)
    # callgraph is built -O0: nothing is inlined in it (libc and ld.so may inline).
    own = {"main", "a", "b", "c", "rec", "shared"}
    check(all(";" not in l for l in q.report.splitlines() if l.rsplit(" ", 1)[0].split(";")[-1] in own),
          "one frame each for the program's functions", q)


@case
def framepointer_note():
    """-g on a program built without frame pointers: one note; with them: none."""
    d = workdir()
    r = run(["-g", "--functions", prog("callgraph_nofp")], cwd=d)
    check(r.code == 0, "exit 0", r)
    notes = [l for l in r.err.splitlines() if "without frame pointers" in l]
    check(len(notes) == 1 and "callgraph_nofp" in notes[0] and
          "-fno-omit-frame-pointer" in notes[0], "one note naming the program", r)
    ok = run(["-g", "--functions", prog("callgraph")], cwd=d)
    check(ok.code == 0 and "without frame pointers" not in ok.err, "no note for -fno-omit-frame-pointer", ok)
    nog = run(["--functions", prog("callgraph_nofp")], cwd=d)
    check(nog.code == 0 and "without frame pointers" not in nog.err, "no note without -g", nog)


# --call-graph=dwarf: stacks unwound from a copy of the user stack through the CFI.
@case
def callgraph_dwarf():
    """--call-graph=dwarf on callgraph (frame pointers kept): the same truth as -g."""
    d = workdir()
    r = run(["--call-graph=dwarf", "--functions", prog("callgraph")], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("from the recorded call stacks (--call-graph=dwarf)" in r.report, "says dwarf totals", r)
    check("frame pointers" not in r.err, "no frame-pointer note", r)
    rows = parse_functions(r.report)
    for name, (self_truth, total_truth) in CALLGRAPH_TRUTH.items():
        check(name in rows, "a row for %s" % name, r)
        got = rows[name]
        check(abs(got["self"] - self_truth) <= 3.0,
              "%s self %.1f%% within 3 points of %.1f%%" % (name, got["self"], self_truth), r)
        check(abs(got["total"] - total_truth) <= 3.0,
              "%s total %.1f%% within 3 points of %.1f%%" % (name, got["total"], total_truth), r)
    with open(os.path.join(d, "callgraph.lprof")) as f:
        check("\ncallchain 2\n" in f.read(), "the profile says how its stacks were recorded")


def leafcall_rows(args, d, name):
    r = run(["record"] + args + ["-o", name, prog("leafcall")], cwd=d)
    check(r.code == 0, "record %s" % args, r)
    a = run(["annotate", "--functions", name], cwd=d)
    check(a.code == 0, "annotate %s" % name, a)
    rows = parse_functions(a.report)
    for f in ("main", "caller", "other", "lp_nofp_work"):
        check(f in rows, "a row for %s" % f, a)
    return rows, r, a


@case
def dwarf_library_without_frame_pointers():
    """A leaf in a library without frame pointers: dwarf keeps its caller, -g loses it."""
    d = workdir()
    rows, r, a = leafcall_rows(["--call-graph=dwarf"], d, "dw.lprof")
    leaf, caller = rows["lp_nofp_work"], rows["caller"]
    check(leaf["module"] == "libnofp.so" and leaf["total"] >= 30.0,
          "the leaf holds a good share (%.1f%%)" % leaf["total"], a)
    # caller's total is its own time plus all of the leaf's (stacks through caller).
    check(abs(caller["total"] - (caller["self"] + leaf["total"])) <= 2.0,
          "dwarf: caller total %.1f%% = self %.1f%% + leaf %.1f%%"
          % (caller["total"], caller["self"], leaf["total"]), a)
    check(rows["main"]["total"] >= 99.0, "dwarf: main total %.1f%%" % rows["main"]["total"], a)
    check("frame pointers" not in r.err + a.err, "dwarf: no frame-pointer note", a)
    # The same program with -g: the leaf's samples skip caller.
    rows, r, a = leafcall_rows(["-g"], d, "fp.lprof")
    leaf, caller = rows["lp_nofp_work"], rows["caller"]
    check(caller["total"] < caller["self"] + 0.5 * leaf["total"],
          "-g: caller total %.1f%% misses most of the leaf's %.1f%%" % (caller["total"], leaf["total"]), a)
    notes = [l for l in a.err.splitlines() if "without frame pointers" in l]
    check(len(notes) == 1 and "libnofp.so" in notes[0] and "--call-graph=dwarf" in notes[0],
          "-g: the library note suggests --call-graph=dwarf", a)


@case
def err_call_graph():
    """Modes lineprof lacks, and stack sizes the kernel refuses, are usage errors."""
    d = workdir()
    one_line_error(run(["--call-graph=lbr", prog("hotline")], cwd=d), 2, "dwarf[,SIZE]")
    one_line_error(run(["--call-graph=dwarf,100", prog("hotline")], cwd=d), 2, "multiple of 8")
    one_line_error(run(["--call-graph=dwarf,65536", prog("hotline")], cwd=d), 2, "65528")
    one_line_error(run(["--call-graph=dwarf,", prog("hotline")], cwd=d), 2, "SIZE")
    # perf's spelling, the mode as the next word, and a size.
    r = run(["record", "--call-graph", "dwarf,4096", "-o", "h.lprof", prog("hotline")], cwd=d)
    check(r.code == 0, "--call-graph dwarf,4096 records", r)
    with open(os.path.join(d, "h.lprof")) as f:
        check("\ncallchain 2\n" in f.read(), "in dwarf mode")


# ---- counters in depth: several events, derived metrics, fallbacks, exact hits ----

@case
def event_columns():
    """-e cpu-clock,page-faults: a column per event in table, listing and CSV; faults on TOUCH.

    Nothing here depends on how fast this machine takes a page fault: TOUCH's
    share of the time does (a fault in a VM can cost more than all of BURN),
    so the time is checked between lines doing the same work, BURN and TAIL
    (1/20 of it).
    """
    d = workdir()
    r = run(["-e", "cpu-clock,page-faults", "-f", "main", "--csv", "f.csv", "--json", "f.json",
             prog("faults")], cwd=d)
    check(r.code == 0, "exit 0", r)
    burn, touch = marker_line("faults.c", "BURN"), marker_line("faults.c", "TOUCH")
    tail = marker_line("faults.c", "TAIL")
    with open(os.path.join(os.environ["PROGRAMS_SRC"], "faults.c")) as f:
        pages = int(re.search(r"lp_fault_pages = (\d+);", f.read()).group(1))
    minflt = int(re.search(r"minflt=(\d+)", r.out).group(1))
    check("Also counted: page-faults\n" in r.report, "the header names the second event", r)
    t = parse_tables(r.report)["main"]
    check(t["heads"][-1] == "page-faults", "a page-faults column in the table: %s" % t["heads"], r)
    faults = {int(row["Line #"]): int(row["page-faults"]) for row in t["rows"] if row["page-faults"]}
    total = sum(faults.values())
    check(faults.get(touch, 0) > 0.8 * total,
          "TOUCH has > 80%% of the page faults (%s of %d)" % (faults.get(touch), total), r)
    # Time is each line's own samples, never a share of the run: BURN does 20 times TAIL's work.
    ratio = float(row_of(t, burn)["Time"]) / max(float(row_of(t, tail)["Time"] or 0), 1e-9)
    check(12.0 < ratio < 35.0, "BURN's Time is ~20x TAIL's (%.1f)" % ratio, r)
    if "Sys" in t["heads"]:
        # The faults' kernel time is TOUCH's, not spread over BURN: BURN enters the kernel
        # only for the timer that samples it.
        check(float(row_of(t, touch)["Sys"] or 0) > float(row_of(t, burn)["Sys"] or 0),
              "TOUCH has more Sys than BURN", r)
    # The numbers: the run's page faults, as the program itself counts them (getrusage).
    with open(os.path.join(d, "f.json"), encoding="utf-8") as f:
        doc = json.load(f)
    check([e["measured"] for e in doc["events"]] == ["cpu-clock", "page-faults"], "JSON events", r)
    pf_total = doc["events"][1]["total"]
    # Counts reach a line only with the thread's next sample on the same CPU: what a
    # thread counts on a CPU it then leaves for good is not attributed (lineprof(1)).
    # Under load threads migrate more, so only most of the faults are guaranteed.
    check(0.5 * pages <= pf_total <= minflt,
          "page faults attributed (%d) between half the pages touched (%d) and getrusage's %d"
          % (pf_total, pages, minflt), r)
    with open(os.path.join(d, "f.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    head = list(rows[0])
    check("cpu-clock" in head and head.index("page-faults") == head.index("cpu-clock") + 1,
          "CSV columns per event", r)
    csv_touch = [row for row in rows if row["line"] == str(touch)]
    check(len(csv_touch) == 1 and int(csv_touch[0]["page-faults"]) == faults[touch],
          "the CSV's TOUCH faults are the table's", r)
    # Every line of the program: the per-line values add up to the event's total.
    a = run(["annotate", "--csv", "-", "faults.lprof"], cwd=d)
    every = list(csv.DictReader(a.report.splitlines()))
    check(sum(int(row["page-faults"]) for row in every) == pf_total, "lines sum to the total", a)
    check(sum(int(row["cpu-clock"]) for row in every) == doc["events"][0]["total"],
          "cpu-clock too", a)
    # The listing: the same column with the same numbers.
    l = run(["annotate", "--listing", "faults.lprof"], cwd=d)
    check(l.code == 0, "listing", l)
    lrows = listing_section(l.report, "faults.c")
    check("page-faults" in lrows[touch] and int(lrows[touch]["page-faults"]) == faults[touch],
          "the listing's page-faults column", l)
    # Repeated -e is the same as a list.
    again = run(["-e", "cpu-clock", "-e", "page-faults", "-f", "main", prog("faults")], cwd=d)
    check(again.code == 0 and parse_tables(again.report)["main"]["heads"] == t["heads"],
          "-e A -e B gives the columns of -e A,B", again)


def machine_can(event):
    lst = run(["--list-events"])
    m = re.search(r"^  %s\s+(yes|no|denied)\s" % re.escape(event), lst.out, re.M)
    check(m is not None, "--list-events lists %s" % event, lst)
    return m.group(1) == "yes"


@case
def fallback_no_pmu():
    """-e cycles,instructions without a PMU: cpu-clock leads, instructions is dropped, both said."""
    if machine_can("cycles"):
        print("this machine has a hardware PMU")
        sys.exit(SKIP)
    d = workdir()
    r = run(["-e", "cycles,instructions", "-f", "hot_work", "--csv", "h.csv", "--json", "h.json",
             prog("hotline")], cwd=d)
    check(r.code == 0, "exit 0", r)
    notes = [l for l in r.err.splitlines() if "hardware PMU" in l]
    check(notes == ["lineprof: no hardware PMU for 'cycles' on this machine; sampling cpu-clock instead",
                    "lineprof: no hardware PMU for 'instructions' on this machine; not counting it"],
          "one line per fallback: %s" % notes, r)
    check(re.search(r"^Samples: \d+ of cpu-clock at 4000 Hz \(asked for cycles, not available here\); ",
                    r.report, re.M), "the header names what was measured", r)
    tables = "\n".join(l for l in r.report.splitlines() if not l.startswith("lineprof:"))
    check("Also counted" not in tables and "instructions" not in tables and "IPC" not in tables,
          "no column for what was not counted", r)
    t = hot_table(r, "hot_work", "hotline.c", "HOT")
    # (Sys, Off-CPU and Wall come where the kernel lets them be recorded: not event columns.)
    check([h for h in t["heads"] if h not in ("Sys", "Off-CPU", "Wall")] ==
          ["Line #", "Samples", "Time", "% Time"], "the plain table: %s" % t["heads"], r)
    with open(os.path.join(d, "h.csv"), newline="") as f:
        head = next(csv.reader(f))
    check([h for h in head if h in ("cpu-clock", "cycles", "instructions")] == ["cpu-clock"],
          "CSV: the measured event only: %s" % head, r)
    check(head[-1] == "linkage_name", "CSV: linkage_name last: %s" % head, r)
    with open(os.path.join(d, "h.json")) as f:
        doc = json.load(f)
    check([(e["name"], e["measured"]) for e in doc["events"]] == [("cycles", "cpu-clock")] and
          doc["metrics"] == [], "JSON: cycles measured as cpu-clock, no metrics", r)


@case
def metrics_list():
    """--metrics: every metric with its inputs, 'no' where --list-events cannot count an input."""
    r = run(["--metrics"])
    check(r.code == 0 and r.err == "", "exit 0, nothing on stderr", r)
    lst = run(["--list-events"])
    can = dict(re.findall(r"^  (\S+)\s+(yes|no|denied)\s", lst.out, re.M))
    for key, num, den in (("ipc", "instructions", "cycles"),
                          ("cache_miss_ratio", "cache-misses", "cache-references"),
                          ("branch_miss_ratio", "branch-misses", "branches")):
        m = re.search(r"^  %s\s.*%s / %s\s+(yes|no|denied)\s+-e (\S+)" % (key, num, den), r.out, re.M)
        check(m is not None, "a line for %s" % key, r)
        here, inputs = m.group(1), m.group(2).split(",")
        check(num in inputs and den in inputs, "%s: recorded with -e %s" % (key, m.group(2)), r)
        if "no" in (can[num], can[den]):
            check(here == "no", "%s: 'no' when an input cannot be counted here" % key, r)
        if here == "yes":
            check(can[num] == can[den] == "yes", "%s: 'yes' only if both can be counted" % key, r)
    check("--metrics" in run(["--help"]).out, "--help mentions --metrics")
    if can.get("cycles") == can.get("instructions") == "yes":
        d = workdir()
        p = run(["-e", "cycles,instructions", "-f", "hot_work", prog("hotline")], cwd=d)
        check("IPC" in parse_tables(p.report)["hot_work"]["heads"], "an IPC column with a PMU", p)


def gcov_counts(d, exe, source, args):
    """Runs a --coverage build, returns gcov's {line: count} for source."""
    subprocess.run([exe] + args, cwd=d, check=True, capture_output=True)
    subprocess.run(["gcov", "--json-format", os.path.basename(exe) + "-" +
                    os.path.basename(source)[:-2] + ".gcda"], cwd=d, check=True, capture_output=True)
    import gzip
    name = os.path.basename(exe) + "-" + os.path.basename(source)[:-2] + ".gcov.json.gz"
    with gzip.open(os.path.join(d, name), "rt") as f:
        doc = json.load(f)
    counts = {}
    for fi in doc["files"]:
        if os.path.basename(fi["file"]) == os.path.basename(source):
            for l in fi["lines"]:
                counts[l["line_number"]] = (l["count"], l.get("function_name"))
    return counts


@case
def hits_vs_gcov():
    """--hits equals gcov's line counts at -O0 for loops, branches and calls; differences as documented."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    gcc = shutil.which("gcc")
    if not gcc or not shutil.which("gcov"):
        print("gcc and gcov are needed")
        sys.exit(SKIP)
    d = workdir()
    src = os.path.join(d, "hitcount.c")
    shutil.copy(os.path.join(os.environ["PROGRAMS_SRC"], "hitcount.c"), src)
    subprocess.run([gcc, "-g", "-O0", "-o", "hg", "hitcount.c"], cwd=d, check=True)
    subprocess.run([gcc, "-O0", "--coverage", "-o", "hcov", "hitcount.c"], cwd=d, check=True)
    n = "37"
    gc = gcov_counts(d, os.path.join(d, "hcov"), src, [n])
    funcs = ["square", "loops", "branches", "jumps"]
    r = run(["--hits"] + sum([["-f", f] for f in funcs], []) + ["--csv", "h.csv", "./hg", n], cwd=d)
    check(r.code == 0, "exit 0", r)
    check(re.search(r"^lineprof: --hits: \d+ probes through (tracefs uprobes|the uprobe PMU) .*each hit "
                    r"costs ~[\d.]+-[\d.]+ us here", r.err, re.M), "the cost is said before the run", r)
    check(re.search(r"^lineprof: --hits: \d+ probe hits x [\d.]+-[\d.]+ us \(measured before the run\)",
                    r.err, re.M), "and the overhead after it", r)
    with open(os.path.join(d, "h.csv"), newline="") as f:
        hits = {int(row["line"]): int(row["hits"]) for row in csv.DictReader(f) if row["hits"]}
    lines = open(src).read().splitlines()
    tables = parse_tables(r.report)
    for fn in funcs:
        for row in tables[fn]["rows"]:
            if row["Hits"]:
                check(int(row["Hits"]) == hits[int(row["Line #"])], "table and CSV agree", r)
    compared = 0
    for line, (count, fn) in sorted(gc.items()):
        if fn not in funcs:
            continue
        text = lines[line - 1].strip()
        if re.match(r"^(case .*|default|\w+):$", text):
            # gcov counts a label; its code is on the next line.
            check(line not in hits, "no code (so no Hits) on the label line %d" % line, r)
            continue
        if re.match(r"^__attribute__|^\w[\w\s\*]*\w\s*\(", text) and line + 1 not in gc:
            # gcov counts a function's entry on its declaration, lineprof on its '{'.
            check(lines[line].strip() == "{" and hits.get(line + 1) == count,
                  "%s: the '{' line has gcov's %d calls (%s)" % (fn, count, hits.get(line + 1)), r)
            continue
        check(hits.get(line) == count, "line %d %r: Hits %s, gcov %d" % (line, text, hits.get(line), count), r)
        compared += 1
    for marker in ("CALLED", "FOR_HEAD", "FOR_BODY", "FOR_ONE_LINE", "WHILE_HEAD", "NESTED_OUTER",
                   "NESTED_INNER", "NESTED_BODY", "DO_BODY", "DO_TEST", "IF_TEST", "IF_THEN", "IF_ELSE",
                   "AND_TEST", "AND_THEN", "OR_TEST", "OR_THEN", "TERNARY", "CONTINUE", "SWITCH",
                   "CASE0", "CASE1", "DEFAULT", "AFTER_LABEL", "GOTO"):
        check(marker_line("hitcount.c", marker) in hits, "%s was probed" % marker, r)
    check(compared >= 30, "most lines compared (%d)" % compared, r)
    # Lines with Hits that gcov has no count for: only closing braces (the epilogue).
    for line in hits:
        if line not in gc and line - 1 not in gc:
            check(lines[line - 1].strip() == "}", "line %d has Hits but no gcov count" % line, r)
    # The hits are in the profile: annotate shows them again.
    a = run(["annotate", "-f", "loops", "hg.lprof"], cwd=d)
    row = row_of(parse_tables(a.report)["loops"], marker_line("hitcount.c", "FOR_HEAD"))
    check(row["Hits"] == str(int(n) + 1), "annotate: the loop header ran n + 1 times", a)


@case
def hits_threads():
    """--hits counts every thread and a forked child (tracefs); the uprobe PMU: the main thread, said."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    d = workdir()
    work = marker_line("hitthreads.c", "WORK")
    r = run(["--hits", "-f", "work", prog("hitthreads")], cwd=d)
    check(r.code == 0, "exit 0: the target's pthread_create() and fork() worked", r)
    check("through tracefs uprobes (every thread and child)" in r.err, "tracefs as root", r)
    check(row_of(parse_tables(r.report)["work"], work)["Hits"] == "6000",
          "4 threads, a child and main: 6000 calls", r)
    p = run(["--hits", "-f", "work", prog("hitthreads")], cwd=d,
            env=dict(os.environ, LINEPROF_UPROBES="pmu"))
    check(p.code == 0, "exit 0 with the uprobe PMU too (not inherited, so fork() works)", p)
    check("--hits counted the target's main thread only" in p.err, "says main thread only", p)
    check(row_of(parse_tables(p.report)["work"], work)["Hits"] == "1000", "main's 1000 calls", p)
    bad = run(["--hits", "-f", "work", prog("hitthreads")], cwd=d,
              env=dict(os.environ, LINEPROF_UPROBES="bogus"))
    one_line_error(bad, 2, "LINEPROF_UPROBES")


@case
def hits_cleanup():
    """The trace events of --hits are gone after a run, after ^C, and (next run) after a SIGKILL."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    d = workdir()

    p = subprocess.Popen([LINEPROF, "--hits", "-f", "burn", prog("behave"), "spin"], cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    live = probe_lines(p.pid)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 128 + signal.SIGINT, "exit 130 after ^C:\n" + err)
    placed = re.search(r"^lineprof: --hits: (\d+) probes? through", err, re.M)
    check(placed and len(live) == int(placed.group(1)) > 0,
          "the probes lineprof placed existed during the run: %s\n%s" % (live, err))
    check(probe_lines(p.pid) == [], "and are gone after ^C")
    check("Hits" in err, "the table still has Hits:\n" + err)
    # SIGKILL leaves them behind; the next run removes them.
    k = subprocess.Popen([LINEPROF, "--hits", "-f", "burn", prog("behave"), "spin"], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    with open("/proc/%d/task/%d/children" % (k.pid, k.pid)) as f:
        target = [int(x) for x in f.read().split()]
    k.kill()
    k.wait()
    for t in target:
        try:
            os.kill(t, signal.SIGKILL)
        except ProcessLookupError:
            pass  # gone with lineprof already (PR_SET_PDEATHSIG)
    check(len(probe_lines(k.pid)) == len(live), "a killed lineprof leaves its probes")
    r = run(["--hits", "-f", "work", prog("hitthreads")], cwd=d)
    check(r.code == 0, "the next run", r)
    check(probe_lines(k.pid) == [], "removed the dead run's probes")


@case
def err_hits():
    d = workdir()
    one_line_error(run(["--hits", prog("hotline")], cwd=d), 2, "-f")
    one_line_error(run(["annotate", "--hits", "-f", "hot_work", "x.lprof"], cwd=d), 2, "annotate")
    if uprobes_usable():
        r = run(["--hits", "-f", "hot_wrok", prog("hotline")], cwd=d)
        one_line_error(r, 1, "hot_wrok")
        check(not os.path.exists(os.path.join(d, "hotline.lprof")), "refused before the run", r)
    if uprobes_usable() and shutil.which("setpriv"):
        # An unprivileged user: the kernel refuses uprobes; the message says what is needed.
        u = workdir()
        os.chmod(u, 0o777)
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               LINEPROF, "--hits", "-f", "hot_work", prog("hotline")], cwd=u,
                              capture_output=True, text=True, timeout=60)

        class R:
            pass
        r = R()
        r.code, r.out, r.err = proc.returncode, proc.stdout, proc.stderr
        one_line_error(r, 1, "--hits needs root (or CAP_PERFMON)")


if __name__ == "__main__":
    main()
