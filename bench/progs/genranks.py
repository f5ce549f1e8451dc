#!/usr/bin/env python3
"""Writes N rank profiles of A addresses each (format 2) into DIR, as srun would leave them.

Each rank is one process with one thread; the addresses are drawn from one
program's code (two modules, one pool of offsets), so ranks share most rows.
usage: genranks.py DIR [N=1024] [A=10000]
"""
import os
import random
import sys

out, n, naddr = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1024, \
    int(sys.argv[3]) if len(sys.argv) > 3 else 10000
os.makedirs(out, exist_ok=True)
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
