"""Cluster cases: real Open MPI (mpirun) and a real one-node Slurm (tests/cluster/slurm)."""
import csv
import glob
import io
import json
import os
import re
import shutil
import subprocess
import tempfile

from lp import (LINEPROF, PROGRAMS_SRC, SKIP, case, check, check_ratios, main, marker_line, one_line_error, run,
                workdir)

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe",
          # Waiting ranks poll in MPI (on the CPU, so sampled) rather than yield in the kernel.
          "--mca", "mpi_yield_when_idle", "0"]
SRC = os.path.dirname(os.path.dirname(PROGRAMS_SRC))  # the repository


def need(*exes):
    for e in exes:
        if not shutil.which(e) and not os.path.exists("/usr/sbin/" + e):
            print("skipped: %s is not installed" % e)
            raise SystemExit(SKIP)


def program(name):
    path = os.environ.get("PROG_" + name.upper())
    if not path or not os.path.exists(path):
        print("skipped: %s was not built (no MPI or OpenMP here)" % name)
        raise SystemExit(SKIP)
    return path


def by_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def row_at(rows, source, marker):
    line = marker_line(source, marker)
    for r in rows:
        if r["file"].endswith(source.split("/")[-1]) and r["line"] == str(line):
            return r
    raise AssertionError("no CSV row for %s:%d" % (source, line))


def check_job_view(d, launcher):
    """The merged view of a 4-rank mpiwork job: WORK 1:2:3:4, imbalance, MPI falls with rank."""
    r = run(["annotate", "-f", "work", "--by-rank", "--csv", "-"] + d["files"], cwd=d["cwd"])
    check(r.code == 0, "annotate of the job's profiles", r)
    rows = by_csv(r.out)
    work = row_at(rows, "cluster/mpiwork.c", "WORK")
    times = [float(work["r%d_s" % k]) for k in range(4)]
    check_ratios(times, [1, 2, 3, 4], "per-rank time of WORK (%s)" % launcher, r)
    check(work["rank_max_rank"] == "3", "the max of WORK is rank 3's", r)
    mean = sum(times) / 4
    check(abs(float(work["rank_imbalance"]) - times[3] / mean) < 0.01 and
          abs(float(work["rank_imbalance"]) - 1.6) < 0.16,
          "imbalance of WORK is max/mean (about 4/2.5 = 1.6)", r)
    r = run(["annotate", "--json", "-"] + d["files"], cwd=d["cwd"])
    check(r.code == 0, "annotate --json", r)
    j = json.loads(r.out)
    mpi = [g["mpi_percent"] for g in j["groups"]]
    check([g["label"] for g in j["groups"]] == ["r0", "r1", "r2", "r3"], "one group per rank", r)
    check(mpi[0] > mpi[1] > mpi[3] and mpi[0] > mpi[2] > mpi[3],
          "the MPI share falls with the rank (%s): %r" % (launcher, mpi), r)
    line = [l for l in j["lines"] if l["line"] == marker_line("cluster/mpiwork.c", "WORK")][0]
    check(set(line["rank_stats"]) == {"mean_s", "min_s", "max_s", "max_rank", "imbalance"},
          "rank_stats per line in JSON", r)
    ranks = sorted(p["rank"] for p in j["processes"] if p["rank"] is not None)
    check(ranks == [0, 1, 2, 3], "every rank's process with its rank", r)
    r = run(["annotate", "--functions"] + d["files"], cwd=d["cwd"])
    check(re.search(r"^\s*\d+\s.*\sMPI\s+-\s+MPI$", r.out, re.M), "--functions has one MPI row", r)
    check(re.search(r"^MPI: [\d.]+ % of samples in MPI libraries.*r0 [\d.]+ %", r.out, re.M),
          "the header gives MPI % per rank", r)


@case
def mpirun_children():
    """lineprof mpirun -np 4 ./prog: the ranks are children, told apart by rank."""
    need("mpirun")
    prog = program("mpiwork")
    d = workdir()
    r = run(["record", "-o", "job.lprof"] + MPIRUN + ["-np", "4", prog, "6"], cwd=d)
    check(r.code == 0, "lineprof mpirun exits as mpirun did", r)
    check("ranks it starts on this node" in r.err, "says which processes it sees", r)
    check("4 ranks profiled" in r.err, "says how many ranks it saw", r)
    check_job_view({"files": ["job.lprof"], "cwd": d}, "lineprof mpirun")


@case
def mpirun_inside():
    """mpirun -np 4 lineprof record -o prof.%r.lprof: one file per rank, identity in each."""
    need("mpirun")
    prog = program("mpiwork")
    d = workdir()
    proc = subprocess.run(MPIRUN + ["-np", "4", LINEPROF, "record", "-o", "prof.%r.lprof", prog, "6"],
                          cwd=d, capture_output=True, text=True, timeout=300)
    check(proc.returncode == 0, "the job succeeds: %s" % proc.stderr)
    files = sorted(os.listdir(d))
    check(files == ["prof.%d.lprof" % k for k in range(4)], "one file per rank: %r" % files)
    notices = [l for l in proc.stderr.splitlines() if l.startswith("lineprof")]
    check(all(l.startswith("lineprof[0]:") for l in notices),
          "only rank 0 prints notices, marked with its rank: %r" % notices)
    r = run(["annotate", "prof.2.lprof"], cwd=d)
    check(re.search(r"^Ran as: rank 2 of 4, job \S+, launched by mpirun on \S+, pid \d+, started ",
                    r.out, re.M), "a rank's profile says who it was", r)
    r = run(["annotate", "--json", "-", "prof.2.lprof"], cwd=d)
    p = [p for p in json.loads(r.out)["processes"] if p["rank"] is not None][0]
    check(p["rank"] == 2 and p["size"] == 4 and p["launcher"] == "mpirun" and p["host"] and
          p["job"] and p["start_time"], "identity in JSON: %r" % p, r)
    check_job_view({"files": ["."], "cwd": d}, "mpirun lineprof")
    # The same, merged into one file first: it keeps the per-rank vectors.
    r = run(["merge", "-o", "job.lprof", "prof.*.lprof"], cwd=d)
    check(r.code == 0 and os.path.exists(os.path.join(d, "job.lprof")), "lineprof merge", r)
    for f in glob.glob(os.path.join(d, "prof.*")):
        os.unlink(f)
    check_job_view({"files": ["job.lprof"], "cwd": d}, "merged file")
    r = run(["annotate", "job.lprof", "--ranks", "1,3", "--csv", "-", "--by-rank"], cwd=d)
    check(r.code == 0 and "r1_s" in r.out and "r3_s" in r.out and "r0_s" not in r.out,
          "--ranks selects ranks (options after the files)", r)


@case
def same_name_eight_ranks():
    """8 ranks, one -o name: the job never fails, no rank's profile is lost."""
    need("mpirun")
    prog = program("mpiwork")
    d = workdir()
    proc = subprocess.run(MPIRUN + ["-np", "8", LINEPROF, "record", "-F", "500", "-o", "p.lprof",
                                    prog, "1"], cwd=d, capture_output=True, text=True, timeout=300)
    check(proc.returncode == 0, "the job succeeds: %s" % proc.stderr)
    files = sorted(os.listdir(d))
    check(files == sorted("p.%d.lprof" % k for k in range(8)), "each rank its own file: %r" % files)
    check("is the same for every rank" in proc.stderr, "rank 0 says why the names changed",)


@case
def openmp_threads():
    """The per-thread view of an imbalanced OpenMP team: 1:3."""
    prog = program("ompimb")
    d = workdir()
    env = dict(os.environ, OMP_NUM_THREADS="2")
    r = run(["record", "-o", "omp.lprof", prog], cwd=d, env=env)
    check(r.code == 0, "record", r)
    r = run(["annotate", "omp.lprof", "--by", "thread", "--csv", "-"], cwd=d)
    check(r.code == 0, "annotate --by thread", r)
    rows = by_csv(r.out)
    work = row_at(rows, "cluster/ompimb.c", "WORK")
    cols = [k for k in work if re.match(r"t\d+_s$", k) and float(work[k]) > 0]
    check(len(cols) == 2, "two threads ran WORK: %r" % cols, r)
    times = sorted(float(work[k]) for k in cols)
    check_ratios(times, [1, 3], "per-thread time of WORK", r)
    check(abs(float(work["thread_imbalance"]) - 1.5) < 0.15, "imbalance 3/2", r)
    r = run(["annotate", "omp.lprof", "--by-thread"], cwd=d)
    check(re.search(r"^By thread: 2 threads with samples", r.out, re.M), "per-thread totals", r)
    check(len(re.findall(r"^\s+t\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+ompimb \(pid \d+ ompimb\)$",
                         r.out, re.M)) == 2, "a row per thread with tid, name and process", r)
    j = json.loads(run(["annotate", "omp.lprof", "--json", "-", "--by", "thread"], cwd=d).out)
    check(len(j["threads"]) >= 2 and all(t["pid"] > 0 for t in j["threads"]), "threads in JSON", r)


@case
def output_templates():
    """-o templates are expanded and checked before the run; an old profile is kept as .old."""
    d = workdir()
    prog = os.environ["PROG_HOTLINE"]
    env = dict(os.environ, SLURM_JOB_ID="77", SLURM_STEP_ID="3", SLURM_PROCID="5",
               SLURM_NTASKS="6", MYTAG="a/b")
    for k in ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"):
        env.pop(k, None)
    r = run(["record", "-F", "200", "-o", "x.%j.%t.%r.%s.%e{MYTAG}.%%.lprof", prog, "1"], cwd=d, env=env)
    check(r.code == 0 and os.path.exists(os.path.join(d, "x.77.3.5.6.a_b.%.lprof")),
          "every template expanded ('/' in a value made '_'): %r" % os.listdir(d), r)
    r = run(["record", "-F", "200", prog, "1"], cwd=d, env=env)
    check(os.path.exists(os.path.join(d, "hotline.77.5.lprof")), "default name carries job and rank", r)
    r = run(["record", "-F", "200", prog, "1"], cwd=d, env=env)
    check(os.path.exists(os.path.join(d, "hotline.77.5.lprof.old")),
          "the previous profile is kept as .old", r)
    check(r.err == "", "rank 5 prints no notices", r)
    for _ in range(2):
        r = run(["record", "-F", "200", prog, "1"], cwd=d, env=dict(env, SLURM_PROCID="0"))
    check("lineprof[0]: the previous hotline.77.0.lprof is now hotline.77.0.lprof.old" in r.err,
          "rank 0 says so, marked with its rank", r)
    r = run(["record", "-o", "nodir/p.%r.lprof", prog, "1"], cwd=d)
    one_line_error(r, 2, "nodir")
    check("hotline" not in r.out and not os.path.exists(os.path.join(d, "nodir")),
          "refused before the run", r)
    r = run(["record", "-o", "p.%q.lprof", prog, "1"], cwd=d)
    one_line_error(r, 2, "unknown '%q'")
    r = run(["record", "-o", "p.%e{LP_NOT_SET_ANYWHERE}.lprof", prog, "1"], cwd=d)
    one_line_error(r, 2, "LP_NOT_SET_ANYWHERE is not set")
    r = run(["record", "-o", "p.%j.lprof", prog, "1"], cwd=d,
            env={k: v for k, v in os.environ.items() if not k.startswith(("SLURM", "PMIX", "OMPI", "PBS", "LSB", "FLUX"))})
    one_line_error(r, 2, "%j has no value")


@case
def srun_as_command():
    """lineprof srun ...: refused with the form that works, not a profile of srun."""
    d = workdir()
    r = run(["-f", "work", "srun", "-n", "4", "./prog", "arg"], cwd=d)
    one_line_error(r, 2, "srun -n 4 lineprof record ./prog arg")
    check(not os.listdir(d), "nothing recorded", r)


@case
def slurm_jobs():
    """A real one-node Slurm: srun with a template, and the README's sbatch script."""
    need("munged", "slurmctld", "slurmd", "sbatch")
    prog = program("mpiwork")
    state = tempfile.mkdtemp(prefix="lp-slurm-")
    script = os.path.join(SRC, "tests", "cluster", "slurm")
    up = subprocess.run([script, "start", state], capture_output=True, text=True, timeout=120)
    if up.returncode == SKIP:
        raise SystemExit(SKIP)
    check(up.returncode == 0, "slurm came up: %s %s" % (up.stdout, up.stderr))
    try:
        env = dict(os.environ, SLURM_CONF=os.path.join(state, "slurm.conf"))
        env.pop("SLURM_JOB_ID", None)
        d = workdir()
        # srun does not expand %j/%r in a program's arguments: lineprof does.
        proc = subprocess.run(["srun", "--overcommit", "-n", "4", LINEPROF, "record", "-o",
                               "prof.%j.%r.lprof", prog, "6"], cwd=d, env=env,
                              capture_output=True, text=True, timeout=300)
        check(proc.returncode == 0, "srun job: %s" % proc.stderr)
        files = sorted(os.listdir(d))
        check(len(files) == 4 and all(re.match(r"prof\.\d+\.[0-3]\.lprof$", f) for f in files),
              "one file per rank, job and rank in the name: %r" % files)
        check_job_view({"files": files, "cwd": d}, "srun")
        r = run(["annotate", files[0]], cwd=d)
        check(re.search(r"^Ran as: rank 0 of 4, job \d+ step \d+, launched by srun", r.out, re.M),
              "identity of an srun task", r)
        # The README's batch script, as it is but for the program and lineprof's path.
        readme = open(os.path.join(SRC, "README.md")).read()
        m = re.search(r"<!-- sbatch -->\n```bash\n(.*?)```", readme, re.S)
        check(m, "README has the sbatch example")
        text = m.group(1).replace("lineprof ", LINEPROF + " ").replace("./solver input", prog + " 6")
        d = workdir()
        with open(os.path.join(d, "job.sh"), "w") as f:
            f.write(text)
        proc = subprocess.run(["sbatch", "--wait", "--overcommit", "job.sh"], cwd=d, env=env,
                              capture_output=True, text=True, timeout=300)
        check(proc.returncode == 0, "sbatch --wait: %s %s" % (proc.stdout, proc.stderr))
        files = sorted(f for f in os.listdir(d) if f.endswith(".lprof"))
        check(len(files) == 4, "the batch job left a profile per rank: %r" % os.listdir(d))
        check_job_view({"files": files, "cwd": d}, "sbatch")
    finally:
        subprocess.run([script, "stop", state], timeout=60)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
