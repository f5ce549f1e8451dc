"""lineprof diff, end to end: profiles of the halve programs (tests/programs/diff).

halve and halve_fast come from one source; in halve_fast the HALVED line does
half the work and the STEADY lines the same work, so their shares rise while
their times stay put. The diff must mark HALVED and not the STEADY lines.

Sampling and the machine's drift are random: where a case asserts that a line
is NOT marked, it asks for a false-discovery rate of 0.1 % (--fdr 0.001), so
a false mark is a one-in-a-thousand event even at the test's nominal rate; the
real sampling noise of a clock event is far below Poisson's, so far rarer.
A case that asserts a mark uses an effect (a halving, a doubling) that no
plausible drift hides at the run counts used.
"""
import csv
import io
import itertools
import json
import os
import re
import shutil

from lp import PROGRAMS_SRC, case, check, main, marker_line, one_line_error, parse_tables, prog, run, workdir

SRC = "diff/halve.c"
MARKERS = ("HALVED", "STEADY_A", "STEADY_B")


def record(d, exe, name, args=()):
    out = os.path.join(d, name + ".lprof")
    r = run(["record", "-e", "cpu-clock", "-o", out, exe] + list(args), cwd=d)
    check(r.code == 0, "record %s" % name, r)
    return out


def records(d, exe, name, n, args=()):
    return [record(d, exe, "%s%d" % (name, i), args) for i in range(n)]


def top_rows(text):
    """The default view's rows: {(file, line): {heading: cell, "function", "was"}}."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("Lines whose time changed most"))
    header = lines[start + 2]
    text_at = header.index("  Line ")
    edges, heads, pos = [], [], 0
    for h in re.finditer(r"\S+", header[:text_at]):
        heads.append(h.group(0))
        edges.append((pos, h.end()))
        pos = h.end()
    rows = {}
    for l in lines[start + 4:]:
        if not l.strip():
            break
        row = {h: l[a:b].strip() for h, (a, b) in zip(heads, edges)}
        if l[text_at + 2:].strip().startswith("(no line info)"):
            continue  # a stray sample in code without line info (libc, _start): no line to match
        m = re.match(r"(\S+):(\d+)(?: \(was (\d+)\))?\s+(\S+)$", l[text_at + 2:].strip())
        check(m is not None, "a row names file:line and function: %r" % l)
        row["function"] = m.group(4)
        row["was"] = int(m.group(3)) if m.group(3) else None
        rows[(os.path.basename(m.group(1)), int(m.group(2)))] = row
    return rows


def row_at(rows, line, result, source="halve.c"):
    check((source, line) in rows, "a row for %s:%d" % (source, line), result)
    return rows[(source, line)]


def marked(row):
    return row["Sig"] == "*"


@case
def diff_halved_line():
    """5+5 runs of the two builds: HALVED marked in every view; the STEADY lines, whose share rose, not."""
    d = workdir()
    base = records(d, prog("halve"), "base", 5)
    new = records(d, prog("halve_fast"), "new", 5)
    lines = {m: marker_line(SRC, m) for m in MARKERS}

    r = run(["diff"] + base + ["--"] + new, cwd=d)
    check(r.code == 0, "exit 0", r)
    check("drift" in r.out and "5+5 runs" in r.out, "says drift is estimated from 5+5 runs", r)
    check("1 run per side" not in r.out, "no single-run caveat", r)
    rows = top_rows(r.out)
    halved = row_at(rows, lines["HALVED"], r)
    check(marked(halved), "HALVED is marked", r)
    change = float(halved["Change"].rstrip("%"))
    check(-75 < change < -25, "HALVED's time about halved (%s)" % halved["Change"], r)

    # The strict run: nothing else may be marked, though the STEADY shares rose by ~8 points.
    strict = run(["diff", "--fdr", "0.001"] + base + ["--"] + new, cwd=d)
    check(strict.code == 0, "exit 0", strict)
    srows = top_rows(strict.out)
    for m in ("STEADY_A", "STEADY_B"):
        row = row_at(srows, lines[m], strict)
        check(not marked(row), "%s is not marked" % m, strict)
        check(float(row["New%"]) > float(row["Base%"]) + 3,
              "%s's share rose (%s -> %s)" % (m, row["Base%"], row["New%"]), strict)
    check(marked(row_at(srows, lines["HALVED"], strict)), "HALVED is marked at --fdr 0.001", strict)
    check(sum(marked(row) for row in srows.values()) == 1, "exactly one line marked", strict)

    # -f: line_profiler's table with before/after columns, every line of the function.
    t = run(["diff", "-f", "halved_work", "-f", "steady_work", "--fdr", "0.001"] + base + ["--"] + new,
            cwd=d)
    check(t.code == 0, "exit 0", t)
    tables = parse_tables(t.out)
    check(set(tables) == {"halved_work", "steady_work"}, "a table per -f function", t)
    ht = tables["halved_work"]
    check(ht["heads"][:9] == ["Line #", "Base", "New", "Delta", "Change", "Base%", "New%", "q", "Sig"],
          "the diff table's columns (%s)" % ht["heads"], t)
    hrow = next(row for row in ht["rows"] if row["Line #"] == str(lines["HALVED"]))
    check(hrow["Sig"] == "*" and "/* HALVED */" in hrow["text"], "HALVED's row is marked", t)
    check(ht["rows"][0]["Line #"] == str(ht["line"]), "rows start at the declaration", t)
    srow = next(row for row in tables["steady_work"]["rows"] if row["Line #"] == str(lines["STEADY_A"]))
    check(srow["Sig"] == "" and srow["Base"] and srow["New"], "STEADY_A's row: times, no mark", t)

    # --functions: halved_work marked, steady_work not.
    f = run(["diff", "--functions", "--fdr", "0.001"] + base + ["--"] + new, cwd=d)
    check(f.code == 0 and "Functions by change in self time" in f.out, "--functions view", f)
    fl = {l.split()[-1]: l for l in f.out.splitlines() if re.search(r"\s(halved|steady)_work$", l)}
    check(fl["halved_work"].rstrip().split()[-3] == "*", "halved_work is marked", f)
    check(fl["steady_work"].rstrip().split()[-3] != "*", "steady_work is not marked", f)

    # --json and --csv carry the same verdicts and the documented fields.
    j = run(["diff", "--json", "-", "--csv", os.path.join(d, "diff.csv"), "--fdr", "0.001"] + base
            + ["--"] + new, cwd=d)
    check(j.code == 0, "exit 0", j)
    doc = json.loads(j.out)
    check(doc["test"] == "quasi-poisson" and doc["drift_estimated"] and doc["df"] == 8,
          "JSON says how it tested", j)
    check(len(doc["base"]["runs"]) == 5 and len(doc["new"]["runs"]) == 5, "JSON lists the runs", j)
    by_line = {(os.path.basename(l["file"] or ""), l["line"]): l for l in doc["lines"]}
    jh = by_line[("halve.c", lines["HALVED"])]
    for key in ("base_s", "new_s", "delta_s", "base_percent", "new_percent", "significant", "p", "q"):
        check(key in jh, "JSON line has %s" % key, j)
    check(jh["significant"] and jh["new_s"] < jh["base_s"] and jh["q"] <= 0.001, "JSON: HALVED", j)
    check(abs(jh["delta_s"] - (jh["new_s"] - jh["base_s"])) < 1e-6, "delta_s = new_s - base_s", j)
    for m in ("STEADY_A", "STEADY_B"):
        js = by_line[("halve.c", lines[m])]
        check(not js["significant"] and js["new_percent"] > js["base_percent"], "JSON: %s" % m, j)
    with open(os.path.join(d, "diff.csv"), newline="") as fh:
        crows = list(csv.DictReader(fh))
    ch = next(c for c in crows if c["file"].endswith("halve.c") and c["line"] == str(lines["HALVED"]))
    check(ch["significant"] == "1" and float(ch["delta_s"]) < 0, "CSV: HALVED", j)
    check(sum(c["significant"] == "1" for c in crows) == 1, "CSV: one line marked", j)


@case
def diff_one_run():
    """One run per side: exact Poisson test, HALVED marked, and the output says drift is ignored."""
    d = workdir()
    base = record(d, prog("halve"), "base")
    new = record(d, prog("halve_fast"), "new")
    r = run(["diff", base, new], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("1 run per side: marks ignore run-to-run drift" in r.out, "the single-run caveat", r)
    rows = top_rows(r.out)
    check(marked(row_at(rows, marker_line(SRC, "HALVED"), r)), "HALVED is marked", r)
    # Options may come after the files, as in the synopsis.
    j = run(["diff", base, new, "--json", "-"], cwd=d)
    doc = json.loads(j.out)
    check(doc["test"] == "exact-poisson" and not doc["drift_estimated"], "JSON: exact test", j)


@case
def diff_same_binary():
    """Six runs of one binary, split every way into 3+3: no line is marked in any split."""
    d = workdir()
    runs = records(d, prog("halve"), "run", 6)
    splits = [c for c in itertools.combinations(range(6), 3) if 0 in c]  # the 10 distinct splits
    for c in splits:
        base = [runs[i] for i in c]
        new = [runs[i] for i in range(6) if i not in c]
        r = run(["diff", "--fdr", "0.001", "--json", "-"] + base + ["--"] + new, cwd=d)
        check(r.code == 0, "exit 0", r)
        doc = json.loads(r.out)
        check(doc["line_tests"]["tested"] >= 3, "the program's lines were tested", r)
        bad = [l for l in doc["lines"] + doc["functions"] if l["significant"]]
        check(not bad, "split %s: nothing marked (%s)" % (c, bad), r)


@case
def diff_moved_lines():
    """Code inserted above the loops: lines are followed through the two versions of the source."""
    d = workdir()
    moved_src = os.environ["HALVE_MOVED_SRC"]
    base = record(d, prog("halve"), "base")
    new = record(d, prog("halve_moved"), "moved")
    old_line = marker_line(SRC, "HALVED")
    with open(moved_src) as f:
        new_line = next(i for i, l in enumerate(f, 1) if "/* HALVED */" in l)
    check(new_line == old_line + 4, "the generated copy moved HALVED down by 4")

    # Two trees (the source tree and the build tree's copy): both versions on disk.
    r = run(["diff", base, new], cwd=d)
    check(r.code == 0, "exit 0", r)
    check("Lines followed through BASE's and NEW's versions of 1 file" in r.out, "says it followed", r)
    row = row_at(top_rows(r.out), new_line, r)
    check(row["was"] == old_line and marked(row), "HALVED found at its new line, marked", r)

    # One path edited in place: the old text only under --base-source.
    inplace = record(d, prog("halve_inplace"), "inplace")
    old_tree = os.path.join(d, "old")
    os.makedirs(os.path.join(old_tree, "tests", "programs", "diff"))
    shutil.copy(os.path.join(PROGRAMS_SRC, SRC), os.path.join(old_tree, "tests", "programs", "diff"))
    r = run(["diff", "--base-source", old_tree, inplace, new], cwd=d)
    check(r.code == 0, "exit 0", r)
    row = row_at(top_rows(r.out), new_line, r)
    check(row["was"] == old_line and marked(row), "--base-source: HALVED followed and marked", r)
    # Without it the lines are taken by number: nothing is followed (and the man page says so).
    r = run(["diff", inplace, new], cwd=d)
    check(r.code == 0 and "Lines followed" not in r.out and "(was " not in r.out,
          "without --base-source no line is followed", r)


@case
def diff_rebuilt_binary():
    """The usual loop: profile, rebuild in place, profile. The old build is needed, and named by --binary."""
    d = workdir()
    exe = os.path.join(d, "prog")
    shutil.copy(prog("halve"), exe)
    base = record(d, exe, "base")
    shutil.copy(prog("halve"), os.path.join(d, "prog.old"))
    shutil.copy(prog("halve_fast"), exe)
    new = record(d, exe, "new")
    one_line_error(run(["diff", base, new], cwd=d), 1, "--binary")
    r = run(["diff", "--binary", "prog.old", base, new], cwd=d)
    check(r.code == 0, "exit 0 with --binary", r)
    check(marked(row_at(top_rows(r.out), marker_line(SRC, "HALVED"), r)), "HALVED is marked", r)
    one_line_error(run(["diff", "--binary", "nonexistent", base, new], cwd=d), 2, "nonexistent")


@case
def diff_scale():
    """NEW does twice the work: per unit of work (--scale 1:2) nothing changed; per run everything did."""
    d = workdir()
    base = records(d, prog("halve"), "one", 3, ["1"])
    new = records(d, prog("halve"), "two", 3, ["2"])
    r = run(["diff", "--scale", "1:2", "--fdr", "0.001", "--json", "-"] + base + ["--"] + new, cwd=d)
    check(r.code == 0, "exit 0", r)
    doc = json.loads(r.out)
    check(doc["per_work_unit"] and doc["new"]["runs"][0]["work"] == 2, "JSON: per work unit", r)
    check(not any(l["significant"] for l in doc["lines"]), "scaled: nothing marked", r)
    r = run(["diff", "--json", "-"] + base + ["--"] + new, cwd=d)
    doc = json.loads(r.out)
    # The three loops by their marker lines: a stray sample on another line of halve.c (a
    # loop's exit) is a line too, untested, and no loop.
    loops = {marker_line(SRC, m) for m in MARKERS}
    ours = [l for l in doc["lines"] if (l["file"] or "").endswith("halve.c") and l["line"] in loops]
    check(len(ours) == 3 and all(l["significant"] and l["new_s"] > l["base_s"] for l in ours),
          "unscaled: the three loops' doubling is marked", r)
    one_line_error(run(["diff", "--scale", "1,1:2"] + base + ["--"] + new, cwd=d), 2, "--scale")


@case
def diff_errors():
    d = workdir()
    a = record(d, prog("halve"), "a")
    r = run(["record", "-e", "task-clock", "-o", "t.lprof", prog("halve")], cwd=d)
    check(r.code == 0, "record task-clock", r)
    one_line_error(run(["diff", a, "t.lprof"], cwd=d), 2, "same -e")
    one_line_error(run(["diff", a], cwd=d), 2, "two profiles")
    one_line_error(run(["diff", a, a, a], cwd=d), 2, "--")
    one_line_error(run(["diff", a, "--"], cwd=d), 2, "no NEW profile")
    one_line_error(run(["diff", a, "--", a, "--", a], cwd=d), 2, "one '--'")
    one_line_error(run(["diff", "--listing", a, a], cwd=d), 2, "does not apply to diff")
    one_line_error(run(["diff", "-e", "cpu-clock", a, a], cwd=d), 2, "does not apply to diff")
    one_line_error(run(["diff", "--fdr", "2", a, a], cwd=d), 2, "--fdr")
    one_line_error(run(["diff", "--scale", "x", a, a], cwd=d), 2, "--scale")
    one_line_error(run(["annotate", "--fdr", "0.1", a], cwd=d), 2, "diff only")
    one_line_error(run(["diff", a, "missing.lprof"], cwd=d), 1, "missing.lprof")
    # -f with a name neither side has: said, not an empty table.
    r = run(["diff", "-f", "no_such_function", a, a], cwd=d)
    check(r.code == 0 and "no_such_function (not found in either profile)" in r.out, "unknown -f", r)
    # The same profile against itself: every line tested, none marked, p = 1.
    r = run(["diff", "--json", "-", a, a], cwd=d)
    doc = json.loads(r.out)
    check(all(not l["significant"] and (not l["tested"] or l["p"] == 1) for l in doc["lines"]),
          "a profile against itself: no mark", r)


if __name__ == "__main__":
    main()
