"""Helpers for lineprof's integration tests: run the built binary, parse its tables."""
import os
import re
import subprocess
import sys
import tempfile

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


def check(cond, what, result=None):
    if not cond:
        sys.stderr.write("FAILED: %s\n" % what)
        if result is not None:
            sys.stderr.write("%r\n" % (result,))
        sys.exit(1)


def one_line_error(result, code, needle):
    check(result.code == code, "exit status %d expected" % code, result)
    lines = [l for l in result.err.splitlines() if l.startswith("lineprof:")]
    check(len(lines) >= 1, "a 'lineprof:' message on stderr", result)
    check(any(needle in l for l in lines), "message mentions %r" % needle, result)
    check(result.out == "", "nothing on stdout for an error", result)


# A column heading: the ones with a blank in them, else one word (event columns
# follow "% Time" after a single space, like every column).
HEADING = r"Line #|% Time|% Prog|Per Hit|Incl\. Time|Cache Miss %|Branch Miss %|\S+"


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
