"""Integration cases of the 'names' work: what lineprof calls functions and what -f takes.

The programs (tests/programs/names): names_cpp (C++: a namespace, a class
template with two instances, two overloads, two lambdas, std::sort and
std::unordered_map), names_f90 (a gfortran module procedure), names_rs (Rust
generics, a method, a closure) and names_omp (a parallel region holding 75 %
of the CPU time, the serial loop before it 25 %). A program whose compiler
is missing has an empty path: its cases skip and say so.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys

from lp import SKIP, case, check, main, marker_line, parse_tables, pct, row_of, run, samples, workdir

CPP, F90, RS, OMP = (os.environ.get(v, "") for v in
                     ("PROG_NAMES_CPP", "PROG_NAMES_F90", "PROG_NAMES_RS", "PROG_NAMES_OMP"))
OMP_ENV = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="passive")
# A mangled C++ or Rust name: _Z or _R, then letters and digits (source text has no digits there).
MANGLED = re.compile(r"(?<![A-Za-z0-9_])_(Z[NLSZKIt0-9][A-Za-z0-9_]*[0-9]|R[NCMXYIB][A-Za-z0-9_]*[0-9])")


def source_line(source, text):
    """The first line of a test program's source holding text (Fortran and Rust have no /* */)."""
    with open(os.path.join(os.environ["PROGRAMS_SRC"], source)) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError("no %r in %s" % (text, source))


def function_rows(text, *names):
    """The --functions rows (not the -f summary lines) of those functions."""
    return [l for l in text.splitlines() if re.match(r"^\s+\d+\s+[\d.]+\s+[\d.]+\s", l) and
            any(l.endswith(" " + n) for n in names)]


def need(path, what):
    if not path:
        print("%s is not built here (no compiler for it): skipped" % what)
        sys.exit(SKIP)
    return path


def titles(text):
    """The "Function:" of every table, in order."""
    return re.findall(r"^Function: (.+) at line \d+$", text, re.M)


def file_of(text, title):
    lines = text.splitlines()
    i = lines.index("Function: %s at line %s" % (title, re.search(
        r"^Function: %s at line (\d+)$" % re.escape(title), text, re.M).group(1)))
    return lines[i - 1][len("File: "):]


def record(d, exe, name, args=(), env=None, opts=()):
    r = run(["record", "-o", name] + list(opts) + [exe] + list(args), cwd=d, env=env)
    check(r.code == 0, "record %s" % name, r)
    return name


def annotate(d, prof, *args):
    return run(["annotate"] + list(args) + [prof], cwd=d)


@case
def cpp_spellings():
    """Every spelling a perf user types: qualified, template without arguments, overloads, linkage, globs, lambdas, FILE:LINE."""
    exe = need(CPP, "names_cpp")
    d = workdir()
    prof = record(d, exe, "cpp.lprof")
    src = "names/names.cpp"

    def tables(*names, merge=False):
        args = ["--merge-instances"] if merge else []
        for n in names:
            args += ["-f", n]
        r = annotate(d, prof, *args)
        check(r.code == 0, "annotate -f %s" % " -f ".join(names), r)
        return r

    # One instance, by its full name or a suffix of it.
    for spelling in ("geo::Cloud<double>::energy", "Cloud<double>::energy", "geo::Cloud<double >::energy"):
        r = tables(spelling)
        check(titles(r.report) == ["geo::Cloud<double>::energy"], "%s: one table" % spelling, r)
        t = parse_tables(r.report)["geo::Cloud<double>::energy"]
        check(t["file"].endswith("names.cpp"), "its own source file", r)
        energy = row_of(t, marker_line(src, "ENERGY"))
        check(samples(energy) > 0 and "/* ENERGY */" in energy["text"], "the ENERGY line, with its text", r)
    # A template without arguments, a bare name, a glob: every instance, one table each.
    for spelling in ("geo::Cloud::energy", "energy", "*::energy"):
        r = tables(spelling)
        check(sorted(titles(r.report)) == ["geo::Cloud<double>::energy", "geo::Cloud<float>::energy"],
              "%s: two instances, two tables" % spelling, r)
    sep = parse_tables(tables("geo::Cloud::energy").report)
    r = tables("geo::Cloud::energy", merge=True)
    check(titles(r.report) == ["geo::Cloud::energy (2 instances)"], "--merge-instances: one table", r)
    merged = parse_tables(r.report)["geo::Cloud::energy (2 instances)"]
    line = marker_line(src, "ENERGY")
    check(samples(row_of(merged, line)) == sum(samples(row_of(t, line)) for t in sep.values()),
          "the merged line holds both instances' samples", r)
    # Overloads: the plain name gives both, told apart; a parameter list picks one.
    r = tables("text::countWords")
    both = titles(r.report)
    check(len(both) == 2 and len(set(both)) == 2 and all(t.startswith("text::countWords [names.cpp:") for t in both),
          "two overloads, two labelled tables: %s" % both, r)
    for spelling, marker in (("text::countWords(int)", "COUNT_INT"), ("countWords(const std::string &)", "COUNT_STR"),
                             ("text::countWords(std::string const&)", "COUNT_STR"),
                             ("_ZN4text10countWordsEi", "COUNT_INT")):
        r = tables(spelling)
        check(len(titles(r.report)) == 1, "%s: one overload" % spelling, r)
        t = list(parse_tables(r.report).values())[0]
        check(samples(row_of(t, marker_line(src, marker))) > 0, "%s: its %s line" % (spelling, marker), r)
        # A label lineprof prints is a spelling it takes back.
        again = tables(titles(r.report)[0])
        check(titles(again.report) == titles(r.report), "the label %s selects it again" % titles(r.report)[0], again)
    # Lambdas, named as the demangler names them even where they are inlined away.
    for spelling, marker in (("main::{lambda(int, int)#1}::operator()", "LAMBDA"),
                             ("{lambda(std::__cxx11::basic_string<char, std::char_traits<char>, "
                              "std::allocator<char> > const&, char const*, unsigned long)#2}::operator()", "TALLY")):
        r = tables(spelling)
        t = parse_tables(r.report)
        check(len(t) == 1, "%s: one table" % spelling, r)
        t = list(t.values())[0]
        check(t["file"].endswith("names.cpp") and samples(row_of(t, marker_line(src, marker))) > 0,
              "%s: names.cpp, the %s line" % (spelling, marker), r)
    # The STL: std::sort's own header.
    r = tables("std::sort")
    check(any(file_of(r.report, t).endswith("stl_algo.h") for t in titles(r.report)), "std::sort is in stl_algo.h", r)
    # A region of source: those lines, whoever's they are.
    lam = marker_line(src, "LAMBDA")
    r = tables("names.cpp:%d-%d" % (lam - 1, lam + 1))
    region = parse_tables(r.report)["names.cpp:%d-%d" % (lam - 1, lam + 1)]
    check([row["Line #"] for row in region["rows"]] == [str(n) for n in (lam - 1, lam, lam + 1)], "three rows", r)
    lam_table = list(parse_tables(tables("main::{lambda(int, int)#1}::operator()").report).values())[0]
    check(samples(row_of(region, lam)) == samples(row_of(lam_table, lam)), "the region shows the lambda's line", r)


@case
def cpp_no_merging():
    """No two functions share a row, a node, a name; no mangled name in any view; -f operator() is one table each."""
    exe = need(CPP, "names_cpp")
    d = workdir()
    opts = ["--call-graph=dwarf"] if os.uname().machine == "x86_64" else ["-g"]
    prof = record(d, exe, "cpp.lprof", opts=opts)
    views = {
        "functions": annotate(d, prof, "--functions"),
        "top": annotate(d, prof, "--top", "300"),
        "listing": annotate(d, prof, "--listing"),
        "dot": annotate(d, prof, "--dot", "-", "--node-threshold", "0", "--edge-threshold", "0"),
        "callgrind": annotate(d, prof, "--callgrind", "-"),
        "folded": annotate(d, prof, "--folded", "-"),
        "csv": annotate(d, prof, "--csv", "-"),
        "json": annotate(d, prof, "--json", "-"),
    }
    for name, r in views.items():
        check(r.code == 0, "annotate --%s" % name, r)
    rows = list(csv.DictReader(io.StringIO(views["csv"].report)))
    doc = json.loads(views["json"].report)
    # Names: everything but the linkage-name fields.
    texts = [views[v].report for v in ("functions", "top", "dot", "callgrind", "folded")]
    texts += [v for r in rows for k, v in r.items() if k != "linkage_name"]
    texts += [str(v) for f in doc["functions"] + doc["lines"] for k, v in f.items() if k != "linkage_name"]
    bad = [m.group(0) for t in texts for m in MANGLED.finditer(t)]
    check(not bad, "no mangled name in any view: %s" % bad[:5])
    # --functions: one row per function.
    fn_rows = [l.split("  ")[-1].strip() for l in views["functions"].report.splitlines()
               if re.match(r"^\s+\d+\s+[\d.]+\s+[\d.]+\s", l)]
    check(len(fn_rows) == len(set(fn_rows)) and len(fn_rows) > 10, "--functions: distinct rows", views["functions"])
    # DOT: one node per function, each label once.
    labels = re.findall(r'^\t"\d+" \[.*label="(?:[^\\"]*\\n)?([^"]*?)\\n[\d.]+%', views["dot"].report, re.M)
    check(labels and len(labels) == len(set(labels)), "DOT: distinct nodes: %d" % len(labels), views["dot"])
    # Callgrind: every fn= a function of its own, with one file.
    fns = {}
    fl = None
    for l in views["callgrind"].report.splitlines():
        if l.startswith("fl="):
            fl = l[3:]
        elif l.startswith("fn="):
            check(fns.setdefault(l[3:], fl) == fl, "callgrind: %s in one file" % l[3:], views["callgrind"])
    # CSV and JSON: a function name is one linkage name.
    linkage = {}
    for r in rows:
        linkage.setdefault(r["function"], set()).add(r["linkage_name"])
    check(all(len(v) == 1 for v in linkage.values()), "CSV: one function per name", views["csv"])
    energy = [f for f in doc["functions"] if f["name"] == "geo::Cloud<double>::energy"]
    check(energy and energy[0]["linkage_name"] == "_ZNK3geo5CloudIdE6energyEv", "JSON carries the linkage name",
          views["json"])
    # The case: -f 'operator()' was one table mixing a lambda and the STL's.
    r = annotate(d, prof, "-f", "operator()")
    check(r.code == 0, "-f operator()", r)
    ts = titles(r.report)
    check(len(ts) == len(set(ts)) and len(ts) >= 3, "one table per operator(): %s" % ts, r)
    lam = [t for t in ts if t.startswith("main::{lambda(int, int)#1}")]
    check(lam and file_of(r.report, lam[0]).endswith("names.cpp"), "the lambda's table is names.cpp's", r)
    check(any("equal_to" in t for t in ts) and any("hash<" in t for t in ts), "std::equal_to and std::hash apart", r)


@case
def cpp_suggestions():
    """A miss is said before the run with suggestions from qualified names; each one works typed."""
    exe = need(CPP, "names_cpp")
    d = workdir()
    r = run(["-f", "geo::Clod::energy", exe], cwd=d)
    check(r.code == 1 and not os.path.exists(os.path.join(d, "names_cpp.lprof")), "refused before the run", r)
    m = re.search(r"closest: (.*)$", r.err, re.M)
    check(m, "suggestions", r)
    suggested = m.group(1).split(", ")
    check(suggested[0].startswith("geo::Cloud<"), "closest first: %s" % suggested, r)
    prof = record(d, exe, "cpp.lprof")
    for name in suggested:
        live = run(["record", "-o", "x.lprof", "-f", name, exe, "0"], cwd=d)
        check(live.code == 0, "suggested '%s' is accepted before a run" % name, live)
        after = annotate(d, prof, "-f", name)
        check(after.code == 0 and titles(after.report), "suggested '%s' is found after it" % name, after)
    # A linkage name accepted before the run is found after it (it used to be "not found").
    # (Run for no time at all: the table comes from the DWARF of the command's file.)
    r = run(["-f", "_ZN4text10countWordsEi", exe, "0"], cwd=d)
    t = parse_tables(r.report)
    check(r.code == 0 and len(t) == 1, "the linkage name's table", r)
    t = list(t.values())[0]
    check(t["line"] == source_line("names/names.cpp", "long countWords(int n)") and
          "COUNT_INT" in row_of(t, marker_line("names/names.cpp", "COUNT_INT"))["text"],
          "text::countWords(int)'s lines", r)


@case
def fortran_names():
    """gfortran: module::procedure, any case, the symbol."""
    exe = need(F90, "names_f90")
    d = workdir()
    prof = record(d, exe, "f.lprof")
    hot = source_line("names/names.f90", "! HOT")
    for spelling in ("compute", "COMPUTE", "mymod::compute", "MYMOD::Compute", "__mymod_MOD_compute", "mymod::*"):
        r = annotate(d, prof, "-f", spelling)
        check(r.code == 0 and titles(r.report) == ["mymod::compute"], "%s: mymod::compute" % spelling, r)
        t = parse_tables(r.report)["mymod::compute"]
        check(t["file"].endswith("names.f90") and samples(row_of(t, hot)) > 0, "%s: the HOT line" % spelling, r)
    r = annotate(d, prof, "--functions")
    check(function_rows(r.report, "mymod::compute") and "__mymod_MOD" not in r.report,
          "--functions says mymod::compute", r)


@case
def rust_names():
    """Rust: paths, generic instances told apart (legacy symbols drop their arguments)."""
    exe = need(RS, "names_rs (rustc)")
    d = workdir()
    prof = record(d, exe, "r.lprof")
    r = annotate(d, prof, "-f", "stats::total")
    ts = titles(r.report)
    check(r.code == 0 and len(ts) == 2 and {t.split("::")[-1] for t in ts} == {"total<u8>", "total<u32>"},
          "two instances of stats::total: %s" % ts, r)
    for spelling in ("stats::total<u8>", "stats::total::<u8>", "*::total<u8>"):
        r = annotate(d, prof, "-f", spelling)
        check(r.code == 0 and len(titles(r.report)) == 1 and titles(r.report)[0].endswith("stats::total<u8>"),
              "%s: one instance" % spelling, r)
    r = annotate(d, prof, "-f", "Grid::step")
    check(r.code == 0 and titles(r.report)[0].endswith("::Grid::step"), "a method by Type::method", r)
    t = parse_tables(r.report)[titles(r.report)[0]]
    step = row_of(t, source_line("names/names.rs", "// STEP"))
    # Its own samples, or (rustc 1.63 inlines the arithmetic) those of what it inlined.
    check(samples(step) > 0 or step.get("Incl. Time"), "the STEP line", r)
    bad = MANGLED.findall(annotate(d, prof, "--functions", "--top", "100").report)
    check(not bad, "no mangled names: %s" % bad[:5])


def omp_table(r):
    check(r.code == 0, "exit 0", r)
    tables = parse_tables(r.report)
    check("stencil" in tables, "a table for stencil", r)
    return tables["stencil"]


@case
def openmp_region():
    """The region's samples are in stencil's table, at their lines, with source: 75 % of the program."""
    exe = need(OMP, "names_omp (gcc -fopenmp)")
    d = workdir()
    src = "names/omp.c"
    r = run(["-f", "stencil", "-f", "stencil._omp_fn.0", "--functions", exe, "1"], cwd=d, env=OMP_ENV)
    t = omp_table(r)
    total = int(re.search(r"^Samples: (\d+) ", r.report, re.M).group(1))
    par = row_of(t, marker_line(src, "PARALLEL"))
    ser = row_of(t, marker_line(src, "SERIAL"))
    check("WORK(y, i); /* PARALLEL */" in par["text"], "the region's line has its source text", r)
    par_share = 100.0 * samples(par) / total
    check(abs(par_share - 75.0) < 5.0, "the region holds 75%% of the program: %.1f%%" % par_share, r)
    check(abs(100.0 * samples(ser) / total - 25.0) < 5.0, "the serial loop 25%", r)
    # Without stacks, the region's line still gets the work of every thread.
    region = row_of(t, marker_line(src, "REGION"))
    check(region.get("Incl. Time") and abs(float(region["Incl. Time"]) - float(par["Time"])) <= 0.02 * float(par["Time"]),
          "REGION's Incl. Time is the region's time", r)
    # Asked for by its own name, the outlined function has its file, lines and source.
    o = parse_tables(r.report)["stencil._omp_fn.0"]
    check(o["file"].endswith("omp.c") and o["line"] == marker_line(src, "REGION"), "its own table: file, region line", r)
    check(samples(row_of(o, marker_line(src, "PARALLEL"))) == samples(par) and
          "PARALLEL" in row_of(o, marker_line(src, "PARALLEL"))["text"], "the same samples, with source", r)
    # --functions: one row for stencil, holding the region.
    rows = function_rows(r.report, "stencil", "stencil._omp_fn.0")
    check(len(rows) == 1 and rows[0].endswith(" stencil") and float(rows[0].split()[1]) > 95.0,
          "--functions: stencil's row holds it all: %s" % rows, r)
    # perf, where it is installed, as the reference for the region's share.
    perf = shutil.which("perf")
    if not perf:
        print("perf is not installed: checked against the known share only")
        return
    data = os.path.join(d, "perf.data")
    rec = subprocess.run([perf, "record", "-q", "-e", "cpu-clock", "-F", "4000", "-o", data, exe, "1"],
                         capture_output=True, text=True, env=OMP_ENV, cwd=d)
    if rec.returncode != 0:
        print("perf record failed here (%s): checked against the known share only" % rec.stderr.strip()[:200])
        return
    rep = subprocess.run([perf, "report", "-i", data, "--stdio", "--sort", "sym"], capture_output=True, text=True)
    m = re.search(r"^\s+([\d.]+)%\s+\[\.\]\s+stencil\._omp_fn\.0\s*$", rep.stdout, re.M)
    check(m, "perf names the region's function", rep.stdout)
    check(abs(float(m.group(1)) - par_share) < 3.0,
          "lineprof's region share %.1f%% within 3 points of perf's %s%%" % (par_share, m.group(1)), r)


@case
def openmp_threads_stacks():
    """With call stacks, workers' stacks end in the runtime: their region work still counts to REGION."""
    exe = need(OMP, "names_omp (gcc -fopenmp)")
    if os.uname().machine != "x86_64":
        print("--call-graph=dwarf is x86-64 only")
        sys.exit(SKIP)
    d = workdir()
    src = "names/omp.c"
    r = run(["--call-graph=dwarf", "-f", "stencil", "--functions", "--dot", "g.dot", exe, "1"], cwd=d, env=OMP_ENV)
    t = omp_table(r)
    par = row_of(t, marker_line(src, "PARALLEL"))
    region = row_of(t, marker_line(src, "REGION"))
    # The master alone would be half of the region (2 threads).
    check(abs(float(region["Incl. Time"]) - float(par["Time"])) <= 0.02 * float(par["Time"]),
          "REGION's Incl. Time is every thread's: %s vs %s" % (region["Incl. Time"], par["Time"]), r)
    row = function_rows(r.report, "stencil")
    check(row and float(row[0].split()[2]) > 95.0, "stencil's total holds both threads", r)
    with open(os.path.join(d, "g.dot")) as f:
        dot = f.read()
    check("_omp_fn" not in dot, "the region is stencil's node in the graph", r)


@case
def wrappers():
    """-f through a shell script and bash -c: checked against what they run, after the run, said in one line."""
    exe = need(OMP, "names_omp (gcc -fopenmp)")
    d = workdir()
    script = os.path.join(d, "run.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexec \"%s\" 1\n" % exe)
    os.chmod(script, 0o755)
    bash = shutil.which("bash")
    for cmd in ([script], [bash, "-c", "'%s' 1" % exe]):
        r = run(["-f", "stencil", "-o", "w.lprof"] + cmd, cwd=d, env=OMP_ENV)
        notes = [l for l in r.err.splitlines() if "looked up after the run" in l]
        check(len(notes) == 1, "%s: one line says what is done" % cmd[0], r)
        t = omp_table(r)
        check(samples(row_of(t, marker_line("names/omp.c", "PARALLEL"))) > 0, "%s: stencil's lines" % cmd[0], r)
    # A name none of them has: said after the run, with suggestions; the profile is kept and
    # the status is the command's (a view's failure never fails the run); annotate exits 1.
    r = run(["-f", "stencl", "-o", "w.lprof", script], cwd=d, env=OMP_ENV)
    check(r.code == 0 and os.path.exists(os.path.join(d, "w.lprof")), "the command's status, profile kept", r)
    check(re.search(r"^lineprof: function 'stencl' not found in the profiled binaries \(.*names_omp.*\); "
                    r"closest: stencil", r.err, re.M), "the miss and the nearest name", r)
    a = run(["annotate", "-f", "stencl", "w.lprof"], cwd=d)
    check(a.code == 1 and "closest: stencil" in a.err, "annotate: exit 1, the same suggestion", a)


@case
def annotate_missing():
    """annotate -f of a name no profiled binary has: exit 1 and suggestions, as before a run;
    with a profiled binary gone, a table saying the name was not looked up."""
    exe = need(CPP, "names_cpp")
    d = workdir()
    prof = record(d, exe, "cpp.lprof")
    r = annotate(d, prof, "-f", "countWrds")
    check(r.code == 1 and r.out == "", "exit 1, nothing on stdout", r)
    lines = [l for l in r.err.splitlines() if l.startswith("lineprof:")]
    check(len(lines) == 1 and "function 'countWrds' not found in the profiled binaries" in lines[0] and
          "closest: text::countWords" in lines[0], "one line with the nearest name", r)
    r = annotate(d, prof, "-f", "nosuch.cpp:12")
    check(r.code == 1 and "no source file 'nosuch.cpp'" in r.err, "a FILE:LINE of no file", r)
    # A binary that is gone may hold the name: not known to be a miss, and said so; the view
    # failed all the same, so annotate exits 1 (lineprof(1), SAFETY) after printing it.
    gone = os.path.join(d, "gone")
    shutil.copy(exe, gone)
    prof = record(d, gone, "gone.lprof")
    os.unlink(gone)
    r = annotate(d, prof, "-f", "text::countWords")
    check(r.code == 1 and "Function: text::countWords (not looked up in gone: binary not readable)"
          in r.out, "a table that says the name was not looked up", r)
    check("-f text::countWords: not found: the profiled binary is not readable" in r.err,
          "the failure is said on stderr", r)


if __name__ == "__main__":
    main()
