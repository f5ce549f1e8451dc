#!/usr/bin/env python3
"""Writes N rank profiles (format 2) into DIR, as srun would leave them.

    genranks.py DIR [N=1024] [A=10000]
    genranks.py --from PROFILE.lprof DIR [N=64]

Each rank is one process with one thread. By default the addresses are drawn
from one made-up program's code (two modules, one pool of offsets, no files
behind them), so ranks share most rows. With --from, every rank has the
recorded profile's addresses and stacks, scaled: rank r by 1 + r / (N - 1)
(the last rank does twice the first's work) times a per-address factor in
[0.5, 1.5], so each rank's numbers differ and the views have real lines,
functions and call stacks to show.
"""
import os
import random
import sys


def made_up(out, n, naddr):
    pool = [(m, 0x1000 + 4 * k) for m in (0, 1) for k in range(naddr)]
    for r in range(n):
        rnd = random.Random(r)
        addrs = rnd.sample(pool, naddr)
        lines, total, value = [], 0, 0
        for m, off in addrs:
            s = rnd.randint(1, 20)
            total += s
            value += s * 250000
            lines.append("addr 1 %d:%x %d %d 0 0 0 0 0\n" % (m, off, s, s * 250000))
        with open(os.path.join(out, "solver.4242.%d.lprof" % r), "w") as f:
            f.write("lineprof-profile 2\ncommand ./solver\nstart 1700000000\nwall-ns 60000000000\n"
                    "task-clock-ns %d\nsamples %d\nexit-status 0\ncallchain 0\n" % (value, total))
            f.write("event 0 4000 0 %d cycles cpu-clock\n" % value)
            f.write("module 0 0123456789abcdef0123456789abcdef01234567 0 0 0000000000000000 /apps/solver\n")
            f.write("module 1 89abcdef0123456789abcdef0123456789abcdef 0 0 0000000000000000 /usr/lib/libm.so.6\n")
            f.write("context 0 process - %d solver %d %d node%03d 4242 0 srun 1700000000\n"
                    % (1000 + r, r, n, r // 64))
            f.write("context 1 thread 0 %d solver -1 -1 - - - - 0\n" % (1000 + r))
            f.writelines(lines)
            f.write("end\n")


def template(path):
    """The recorded profile: its header records, counts per address and per stack (contexts summed)."""
    head, addrs, stacks, scounts = [], {}, [], {}
    nevents = 0
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0] in ("context", "end", "hit") or line.startswith("#"):
                continue
            if w[0] == "event":
                nevents += 1
            if w[0] == "addr":
                c = [int(x) for x in w[3:]]
                old = addrs.get(w[2])
                addrs[w[2]] = c if old is None else [a + b for a, b in zip(old, c)]
            elif w[0] == "stack":
                stacks.append(line)
            elif w[0] == "scount":
                c = [int(x) for x in w[3:]]
                old = scounts.get(int(w[2]))
                scounts[int(w[2])] = c if old is None else [a + b for a, b in zip(old, c)]
            elif w[0] not in ("samples", "task-clock-ns", "user-ns", "sys-ns"):
                head.append(line)
    return head, nevents, addrs, stacks, scounts


def scaled(counts, k):
    """Counts times k, values in proportion to the samples: (samples, the rest)."""
    s = int(round(counts[0] * k))
    if s <= 0 or counts[0] <= 0:
        return None
    return [s] + [int(round(v * s / counts[0])) for v in counts[1:]]


def from_profile(path, out, n):
    head, nevents, addrs, stacks, scounts = template(path)
    for r in range(n):
        rnd = random.Random(r)
        w = 1.0 + (r / (n - 1) if n > 1 else 0.0)
        body, samples, value0 = [], 0, 0
        for loc in sorted(addrs):
            c = scaled(addrs[loc], w * rnd.uniform(0.5, 1.5))
            if c:
                samples += c[0]
                value0 += c[1]
                body.append("addr 1 %s %s\n" % (loc, " ".join(map(str, c))))
        body += stacks
        for i in sorted(scounts):
            c = scaled(scounts[i], w * rnd.uniform(0.5, 1.5))
            if c:
                body.append("scount 1 %d %s\n" % (i, " ".join(map(str, c))))
        with open(os.path.join(out, "big.4242.%d.lprof" % r), "w") as f:
            for line in head:
                if line.startswith("event 0 "):
                    e = line.split()
                    e[4] = str(value0)
                    line = " ".join(e) + "\n"
                f.write(line)
                if line.startswith("lineprof-profile"):
                    f.write("samples %d\ntask-clock-ns %d\n" % (samples, value0))
            f.write("context 0 process - %d big %d %d node%03d 4242 0 srun 1700000000\n"
                    % (1000 + r, r, n, r // 16))
            f.write("context 1 thread 0 %d big -1 -1 - - - - 0\n" % (1000 + r))
            f.writelines(body)
            f.write("end\n")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--from"]:
        os.makedirs(args[2], exist_ok=True)
        from_profile(args[1], args[2], int(args[3]) if len(args) > 3 else 64)
        return
    out = args[0]
    os.makedirs(out, exist_ok=True)
    made_up(out, int(args[1]) if len(args) > 1 else 1024, int(args[2]) if len(args) > 2 else 10000)


if __name__ == "__main__":
    main()
