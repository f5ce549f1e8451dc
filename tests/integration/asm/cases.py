"""Integration cases of the 'asm' work: --asm, loops, callgrind with instructions, cheaper --hits.

Truth comes from outside lineprof: the marker lines of the test programs, their known
shares (tests/programs/asm/loopnest.c: the inner loop holds 90 % of the work), objdump's
disassembly for addresses and mnemonics, callgrind_annotate for the callgrind file, and
the per-row probes of LINEPROF_HITS=rows for the counts.
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys

from lp import (LINEPROF, SKIP, case, check, cpu_seconds, main, marker_line, one_line_error, parse_tables,
                prog, record_copy, row_of, run, uprobes_usable, wait_for, workdir)

NEST = "asm/loopnest.c"


def record(d, name, args=(), extra=()):
    r = run(["record", "-o", name + ".lprof"] + list(extra) + [prog(name)] + list(args), cwd=d)
    check(r.code == 0, "record %s" % name, r)
    return name + ".lprof"


def objdump_function(exe, function):
    """objdump -d's instructions of function: [(address, mnemonic)], in address order.

    The function's extent comes from the symbol table (st_value, st_size): objdump starts a
    new block at every symbol, and the test programs put labels inside functions.
    """
    syms = subprocess.run(["nm", "-S", "--defined-only", exe], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r"^([0-9a-f]+) ([0-9a-f]+) [tT] %s$" % re.escape(function), syms, re.M)
    check(m, "nm shows %s in %s" % (function, exe))
    lo, size = int(m.group(1), 16), int(m.group(2), 16)
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--start-address=%#x" % lo,
                          "--stop-address=%#x" % (lo + size), exe], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)", line)
        if m:
            rows.append((int(m.group(1), 16), m.group(2)))
    check(rows, "objdump shows %s in %s" % (function, exe))
    return rows


def asm_sections(text):
    """The --asm sections: [{"function", "inlined", "heads", "insns": [{...}], "sources": [...]}]."""
    sections, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = re.match(r"Function: (\S+) at line \d+, machine code( \(inlined\))?$", lines[i])
        if not m:
            i += 1
            continue
        sec = {"function": m.group(1), "inlined": bool(m.group(2)), "insns": [], "sources": []}
        while not lines[i].endswith("Address  Code"):
            i += 1
        header = lines[i]
        loop_end = header.index("Loop") + len("Loop")
        sec["heads"] = re.findall(r"% Time|\S+", header[:loop_end])
        i += 2
        while i < len(lines) and lines[i] != "":
            row = lines[i]
            m = re.match(r"^(.{%d})  ([ *])([ >])\s*([0-9a-f]+):  (.*)$" % loop_end, row)
            if m:
                cells, pos = {}, 0
                for h in re.finditer(r"% Time|\S+", header[:loop_end]):
                    cells[h.group(0)] = row[pos:h.end()].strip()
                    pos = h.end()
                sec["insns"].append({"cells": cells, "hot": m.group(2) == "*",
                                     "target": m.group(3) == ">", "addr": int(m.group(4), 16),
                                     "text": m.group(5)})
            elif row.strip() != "...":
                sec["sources"].append(row.strip())
            i += 1
        sections.append(sec)
    return sections


def loops_view(text):
    """The --loops rows: [{"n", "samples", "total", "self", "parent", "depth", "file", "first", "last",
    "header", "function"}]."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+(\d*)\s+(\d+)\s+"
                     r"(\S+):(\d+)-(\d+)\s+(\d+)\s+(\S+)$", line)
        if m:
            rows.append({"n": int(m.group(1)), "samples": int(m.group(2)), "total": float(m.group(3)),
                         "self": float(m.group(4)), "parent": int(m.group(5)) if m.group(5) else None,
                         "depth": int(m.group(6)), "file": m.group(7), "first": int(m.group(8)),
                         "last": int(m.group(9)), "header": int(m.group(10)), "function": m.group(11)})
    return rows


def nest_loops(rows):
    """The outer and inner loops of loopnest.c's nest(), found by their marked header lines."""
    outer = [r for r in rows if r["file"].endswith("loopnest.c") and r["header"] == marker_line(NEST, "OUTER")]
    inner = [r for r in rows if r["file"].endswith("loopnest.c") and r["header"] == marker_line(NEST, "INNER")]
    check(len(outer) == 1 and len(inner) == 1, "one loop headed on each of OUTER and INNER: %r" % rows)
    return outer[0], inner[0]


@case
def loop_shares():
    """The inner loop of a nest holds 90 % (within 2 points), the outer all; every view says the same."""
    d = workdir()
    p = record(d, "loopnest")
    r = run(["annotate", "--loops", "-f", "nest", "--csv", "l.csv", "--json", "l.json", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    outer, inner = nest_loops(loops_view(r.report))
    check(abs(inner["total"] - 90.0) <= 2.0, "inner loop %.1f %% of the time, truth 90" % inner["total"], r)
    check(abs(outer["total"] - 100.0) <= 2.0, "outer loop %.1f %%, truth 100" % outer["total"], r)
    check(abs(outer["self"] - 10.0) <= 2.0, "outer loop's self %.1f %%, truth 10" % outer["self"], r)
    check(inner["depth"] == 2 and outer["depth"] == 1 and inner["parent"] == outer["n"],
          "the inner loop is nested in the outer", r)
    check((inner["first"], inner["last"]) == (marker_line(NEST, "INNER"), marker_line(NEST, "INNER_BODY")),
          "inner loop's lines", r)
    check(outer["first"] == marker_line(NEST, "OUTER") and
          outer["last"] in (marker_line(NEST, "INNER_BODY"), marker_line(NEST, "OUTER_END")),
          "outer loop's lines", r)
    # The line table notes both loops on their header lines, with the same shares.
    t = parse_tables(r.report)["nest"]
    for loop, marker in ((inner, "INNER"), (outer, "OUTER")):
        text = row_of(t, marker_line(NEST, marker))["text"]
        m = re.search(r"<== loop %d-%d: ([\d.]+) %%" % (loop["first"], loop["last"]), text)
        check(m and float(m.group(1)) == loop["total"], "%s's note in the table: %r" % (marker, text), r)
    # CSV loop rows and the JSON loops array: the same loops, the same numbers.
    with open(os.path.join(d, "l.csv"), newline="") as f:
        rows = [row for row in csv.DictReader(f)]
    lines = [row for row in rows if row["kind"] == "line"]
    loops = [row for row in rows if row["kind"] == "loop"]
    check(len(loops) == 2 and all(row["function"] == "nest" for row in lines), "2 loop rows", r)
    check(abs(sum(float(row["percent"]) for row in lines) - 100.0) < 0.5, "line rows still sum to 100", r)
    with open(os.path.join(d, "l.json")) as f:
        doc = json.load(f)
    check(len(doc["loops"]) == 2, "2 loops in the JSON", r)
    for c, j in zip(loops, doc["loops"]):
        check(int(c["header_line"]) == j["header_line"] and int(c["samples"]) == j["samples"] and
              abs(float(c["percent"]) - j["percent"]) < 1e-6, "CSV and JSON agree: %r %r" % (c, j), r)
        for key in ("file", "first_line", "last_line", "header_line", "depth", "parent", "samples",
                    "time_s", "self_samples", "self_time_s"):
            check(key in j, "loops have %s" % key, r)
    ji = next(j for j in doc["loops"] if j["header_line"] == inner["header"])
    check(doc["loops"][ji["parent"]]["header_line"] == outer["header"], "JSON parent is the outer loop", r)
    check(abs(ji["percent"] - inner["total"]) < 0.05, "JSON inner share", r)


@case
def loop_attribution():
    """A loop inlined into a loop is the inlined function's; the loop around it is its caller's."""
    src = "asm/loopinl.c"
    r = run(["--loops", "--json", "l.json", prog("loopinl")], cwd=workdir())
    check(r.code == 0, "exit 0", r)
    rows = {l["function"]: l for l in loops_view(r.report) if l["file"].endswith("loopinl.c")}
    check({"rows", "dot"} <= set(rows), "a loop of rows and one of dot: %r" % rows, r)
    outer, inner = rows["rows"], rows["dot"]
    check(outer["header"] == outer["first"] == marker_line(src, "ROWS_LOOP") and
          outer["last"] in (marker_line(src, "ROWS_CALL"), marker_line(src, "ROWS_END")),
          "rows' loop on rows' lines: %r" % outer, r)
    check((inner["first"], inner["last"], inner["header"]) ==
          (marker_line(src, "DOT_LOOP"), marker_line(src, "DOT_BODY"), marker_line(src, "DOT_LOOP")),
          "dot's loop on dot's lines: %r" % inner, r)
    check(inner["parent"] == outer["n"] and inner["depth"] == 2, "nested in rows' loop", r)
    check(inner["total"] > 80.0 and outer["total"] >= inner["total"], "the time is in dot's loop", r)


@case
def asm_hottest_in_inner_loop():
    """--asm: the hottest instruction lies inside the inner loop (its range from objdump's back jump)."""
    d = workdir()
    p = record(d, "loopnest")
    r = run(["annotate", "--asm", "-f", "nest", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    secs = asm_sections(r.report)
    check(len(secs) == 1 and not secs[0]["inlined"], "one section: nest's own code", r)
    insns = secs[0]["insns"]
    hot = max(insns, key=lambda x: int(x["cells"]["Samples"] or 0))
    # objdump: the inner loop is the shortest backward jump's range.
    code = objdump_function(prog("loopnest"), "nest")
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", prog("loopnest")], capture_output=True,
                         text=True).stdout
    back = []
    for a, mn in code:
        m = re.search(r"^\s+%x:\s+j\w+\s+([0-9a-f]+) <" % a, out, re.M)
        if m and mn.startswith("j") and int(m.group(1), 16) < a:
            back.append((int(m.group(1), 16), a))
    check(len(back) == 2, "objdump shows two backward jumps in nest: %r" % back)
    lo, hi = min(back, key=lambda b: b[1] - b[0])
    check(lo <= hot["addr"] <= hi, "hottest instruction %x in the inner loop [%x, %x]" % (hot["addr"], lo, hi), r)
    check(hot["cells"]["Loop"] == "1.1" and hot["hot"], "marked hot, in loop 1.1", r)
    # Loop ids, jump targets and back edges where objdump puts the loops.
    for x in insns:
        if lo <= x["addr"] <= hi:
            check(x["cells"]["Loop"] == "1.1", "%x in loop 1.1" % x["addr"], r)
        if x["addr"] == lo:
            check(x["target"] and "# loop 1.1: lines" in x["text"], "the inner loop's header", r)
        if x["addr"] == hi:
            check(x["text"].endswith("# loop 1.1 back edge"), "the inner loop's back edge", r)
    # Each line's source row comes before its instructions.
    check(any("/* INNER */" in s for s in secs[0]["sources"]), "source rows interleaved", r)


def normalize(mnemonic):
    return mnemonic.strip()


@case
def asm_matches_objdump():
    """--asm lists exactly objdump's instructions of a function, address for address, mnemonic for mnemonic."""
    d = workdir()
    compared = 0
    for name, function, extra in (("loopnest", "nest", ()), ("hotline_o2", "hot_work", ()),
                                  ("hotline", "hot_work", ())):
        p = record(d, name)
        r = run(["annotate", "--asm", "-f", function, p], cwd=d)
        check(r.code == 0, "exit 0", r)
        secs = [s for s in asm_sections(r.report) if not s["inlined"]]
        check(len(secs) == 1, "%s: its own code" % function, r)
        ours = [(x["addr"], x["text"].split()[0]) for x in secs[0]["insns"]]
        ref = objdump_function(prog(name), function)
        check([a for a, _ in ours] == [a for a, _ in ref],
              "%s: the addresses are objdump's:\n%r\n%r" % (name, ours, ref), r)
        bad = [(hex(a), m, n) for (a, m), (_, n) in zip(ours, ref) if normalize(m) != normalize(n)]
        check(not bad, "%s: mnemonics differ from objdump's: %r" % (name, bad), r)
        compared += len(ours)
    check(compared > 40, "compared %d instructions" % compared)


@case
def asm_top_lines():
    """--asm without -f: the hottest lines, then their sampled instructions."""
    d = workdir()
    p = record(d, "loopnest")
    r = run(["annotate", "--asm", "--top", "3", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("Hottest lines of the program" in r.report, "the top table", r)
    part = r.report[r.report.index("Instructions of the hottest lines"):]
    inner = "loopnest.c:%d  " % marker_line(NEST, "INNER")
    check(inner in part, "the INNER line's instructions", r)
    addrs = {a for a, _ in objdump_function(prog("loopnest"), "nest")}
    # The instructions under loopnest.c's lines (a stray sample elsewhere, in ld.so, may be a top line too).
    shown, source = [], None
    for line in part.splitlines():
        m = re.search(r"  [ *][ >]\s*([0-9a-f]+):  ", line)
        if m and source == "loopnest.c":
            shown.append(int(m.group(1), 16))
        elif not m and re.search(r"\S+\.\w+:\d+  ", line):
            source = re.search(r"(\S+)\.(\w+):\d+  ", line).group(0).split(":")[0]
    check(shown and set(shown) <= addrs, "every instruction of loopnest.c's lines is nest's: %r" % shown, r)


@case
def callgrind_instructions():
    """--callgrind has instruction positions (objdump's addresses) and callgrind_annotate reads it."""
    if not shutil.which("callgrind_annotate"):
        print("callgrind_annotate (valgrind) is not installed")
        sys.exit(SKIP)
    d = workdir()
    p = record(d, "loopnest")
    r = run(["annotate", "-f", "nest", "--callgrind", "cg.out", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    text = open(os.path.join(d, "cg.out")).read()
    check("\npositions: instr line\n" in text, "instr positions", r)
    addrs = {a for a, _ in objdump_function(prog("loopnest"), "nest")}
    body = text[text.index("fn=nest\n"):].split("\n\n")[0].splitlines()[1:]
    costs = [l.split() for l in body if re.match(r"^0x[0-9a-f]+ \d+ ", l)]
    check(costs and all(int(c[0], 16) in addrs for c in costs), "cost lines at nest's instructions", r)
    a = subprocess.run(["callgrind_annotate", "--auto=yes", "--threshold=100", "cg.out"], cwd=d,
                       capture_output=True, text=True)
    check(a.returncode == 0 and "nest" in a.stdout, "callgrind_annotate reads it:\n%s%s" % (a.stdout, a.stderr))
    # Its per-line samples are the table's.
    t = parse_tables(r.report)["nest"]
    for row in t["rows"]:
        if not row["Samples"]:
            continue
        src = open(os.path.join(os.environ["PROGRAMS_SRC"], NEST)).read().splitlines()[int(row["Line #"]) - 1]
        # (sys and off_cpu, where recorded, are two more columns: "0" or "." where 0, padded.)
        m = re.search(r"^\s*[\d,]+ \([ \d.]+%\)\s+([\d,]+) \([ \d.]+%\)"
                      r"(?:\s+(?:[\d,]+ \([ \d.]+%\)|[\d,]+|\.))*\s+" + re.escape(src.strip()) + "$",
                      a.stdout, re.M)
        check(m and int(m.group(1).replace(",", "")) == int(row["Samples"]),
              "line %s: callgrind_annotate's samples are the table's %s: %r\n%s"
              % (row["Line #"], row["Samples"], m.group(0) if m else None, a.stdout), r)


@case
def loop_callees_with_stacks():
    """With -g a loop's total holds what its calls cost; without, only its own instructions."""
    d = workdir()
    call_loop = marker_line("asm/loopcall.c", "CALL_LOOP")
    r = run(["-g", "--loops", prog("loopcall")], cwd=d)
    check(r.code == 0, "exit 0", r)
    loop = [l for l in loops_view(r.report) if l["header"] == call_loop and l["function"] == "drive"]
    check(len(loop) == 1, "drive's loop", r)
    check(loop[0]["total"] >= 95.0 and loop[0]["self"] < 10.0,
          "total %.1f %% (its callee), self %.1f %%" % (loop[0]["total"], loop[0]["self"]), r)
    nog = run(["--loops", prog("loopcall")], cwd=d)
    check(nog.code == 0, "exit 0", nog)
    loop = [l for l in loops_view(nog.report) if l["header"] == call_loop]
    check(not loop or loop[0]["total"] < 10.0, "without stacks, no callees: %r" % loop, nog)


@case
def asm_unsupported_architecture():
    """Code of another machine: one line saying --asm is not supported there; the tables still work."""
    d = workdir()
    p = record(d, "hotline")
    arm = os.path.join(d, "hotline_arm")
    shutil.copy(prog("hotline"), arm)
    with open(arm, "r+b") as f:
        f.seek(18)
        f.write((183).to_bytes(2, "little"))    # e_machine = EM_AARCH64, the build-id is unchanged
    with open(os.path.join(d, p)) as f:
        text = f.read()
    with open(os.path.join(d, p), "w") as f:
        f.write(text.replace(" " + prog("hotline") + "\n", " " + arm + "\n"))
    r = run(["annotate", "--asm", "-f", "hot_work", p], cwd=d)
    check(r.code == 0, "exit 0", r)
    msgs = [l for l in r.err.splitlines() if "not supported yet" in l]
    check(msgs == ["lineprof: --asm is not supported yet on this architecture (aarch64)"],
          "one line: %r" % msgs, r)
    t = run(["annotate", "-f", "hot_work", p], cwd=d)
    check(t.code == 0 and "hot_work" in parse_tables(t.report), "the line table still works", t)


@case
def asm_binary_gone():
    """--asm on a profile whose binary is gone: said, not an empty table."""
    d = workdir()
    os.unlink(record_copy(d, "hotline", "gone", "g.lprof"))
    r = run(["annotate", "--asm", "-f", "hot_work", "g.lprof"], cwd=d)
    # A view asked for that cannot be shown fails annotate (lineprof(1), EXIT STATUS).
    check(r.code == 1 and "-f hot_work: not found" in r.err, "exit 1, said", r)
    check("Function: hot_work, machine code: no samples in code that lineprof can read" in r.report,
          "says there is no code", r)


def probe_hits(err):
    m = re.search(r"^lineprof: --hits: (\d+) probe hits x", err, re.M)
    check(m, "the probe hits are said:\n" + err)
    return int(m.group(1))


def hits_csv(d, name):
    with open(os.path.join(d, name), newline="") as f:
        return {(row["function"], int(row["line"])): int(row["hits"]) for row in csv.DictReader(f)
                if row["hits"]}


@case
def hits_fewer_probe_hits():
    """--hits probes blocks, not rows: the same counts as a probe per row, with at least 2x fewer hits."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    gcc = shutil.which("gcc")
    if not gcc:
        print("gcc is needed")
        sys.exit(SKIP)
    d = workdir()
    shutil.copy(os.path.join(os.environ["PROGRAMS_SRC"], "hitcount.c"), d)
    subprocess.run([gcc, "-g", "-O0", "-o", "hc", "hitcount.c"], cwd=d, check=True)
    subprocess.run([gcc, "-g", "-O2", "-o", "hc2", "hitcount.c"], cwd=d, check=True)
    # Loop nests (-O0 and -O2): at least 2x fewer probe hits. Other shapes: fewer, same counts.
    cases = ((["./hc", "200"], ["loops"], 2.0), ([prog("loopnest"), "3000"], ["nest"], 2.0),
             (["./hc2", "200"], ["loops"], 1.0), (["./hc", "200"], ["loops", "branches", "jumps"], 1.0))
    for cmd, funcs, factor in cases:
        args = ["--hits"] + sum([["-f", f] for f in funcs], []) + ["--csv"]
        rows = run(args + ["rows.csv"] + cmd, cwd=d, env=dict(os.environ, LINEPROF_HITS="rows"))
        blocks = run(args + ["blocks.csv"] + cmd, cwd=d)
        check(rows.code == 0 and blocks.code == 0, "exit 0", blocks)
        check("counted by" in blocks.err and "flow conservation" in blocks.err, "the placement is said", blocks)
        a, b = hits_csv(d, "rows.csv"), hits_csv(d, "blocks.csv")
        check(a and a == b, "%s %s: the same counts as a probe per row:\n%r\n%r" % (cmd, funcs, a, b), blocks)
        hr, hb = probe_hits(rows.err), probe_hits(blocks.err)
        check(hr >= factor * hb and hb < hr, "%s %s: %d probe hits per row, %d per block: %.1fx fewer" %
              (cmd, funcs, hr, hb, factor), blocks)
    bad = run(["--hits", "-f", "loops", "./hc"], cwd=d, env=dict(os.environ, LINEPROF_HITS="edges"))
    one_line_error(bad, 2, "LINEPROF_HITS")


def burning_in(pid, cpu=0.3):
    """Waits until lineprof's child (the target) has run cpu seconds: it is inside burn()."""
    def burnt():
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = [int(x) for x in f.read().split()]
            return any(cpu_seconds(k) >= cpu for k in kids)
        except (OSError, ValueError, IndexError):
            return False
    wait_for(burnt, "the target to run %.1f s of CPU" % cpu)


@case
def hits_interrupted():
    """^C inside a -f function: rows counted only through flow conservation get no Hits, and it is said."""
    if not uprobes_usable():
        print("uprobes need root and the uprobe PMU")
        sys.exit(SKIP)
    d = workdir()
    p = subprocess.Popen([LINEPROF, "--hits", "-f", "burn", prog("behave"), "spin"], cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    burning_in(p.pid)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 128 + signal.SIGINT, "exit 130 after ^C:\n" + err)
    check(re.search(r"^lineprof: --hits: \d+ line rows have no count: their function was left fewer "
                    r"times than entered", err, re.M), "the lost counts are said:\n" + err)
    t = parse_tables(err)["burn"]
    brace = [r for r in t["rows"] if r["text"].strip() == "{"]
    check(len(brace) == 1 and brace[0]["Hits"], "the entry is counted directly:\n" + err)


if __name__ == "__main__":
    main()
