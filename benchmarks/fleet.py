"""`djfix apply --repos FILE -j N` against N: does the fleet scale with the machine's cores?

    python benchmarks/fleet.py [--repos 8] [--jobs 1 2 4] [--runs 3] [--before SRC]

Makes `--repos` local git repositories from the test projects (copies, each committed), lists
them in a repositories file, and times `djfix apply --repos FILE --workdir DIR -j N` for each N
in a fresh process (`--python none`: the static pipeline, no Django run). Prints the median wall
time, the speed-up over `-j 1`, and whether the final table is the same for every N.
`--before SRC` times another checkout of djfix the same way (an older commit), for before/after
figures in one run. Runs are interleaved (each round runs every version at every -j once), so a
machine whose load changes during the benchmark weighs on each figure alike; the load average
is printed before and after.

Each checkout's bytecode is compiled before the first timed run (`python -m compileall fixer
codemods`), as an installed djfix has it: with PYTHONDONTWRITEBYTECODE set, a run from a checkout
would otherwise compile every module it imports again, in the parent, before the fork (about
0.25 s of the serial part no user pays). The CPU time (user + system of djfix and every process it
started: workers, git) is printed beside the wall time: on a shared machine it moves far less with
the load, and -j N adds CPU only for what the workers do twice.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import NOTE, compile_checkout

HERE = Path(__file__).resolve().parent.parent
PROJECTS = ["legacy_single", "split_settings", "celery_services", "asgi_channels"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def make_fleet(root: Path, count: int) -> Path:
    paths = []
    for n in range(count):
        name = PROJECTS[n % len(PROJECTS)]
        repo = root / "fleet" / f"{n:02d}-{name}"
        shutil.copytree(HERE / "tests" / "projects" / name, repo)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "i")
        paths.append(repo)
    listing = root / "repos.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    return listing


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(src: Path, listing: Path, jobs: int, workdir: Path) -> tuple[float, float, str]:
    """(wall s, CPU s, final table) of one run."""
    shutil.rmtree(workdir, ignore_errors=True)
    cmd = [sys.executable, "-m", "fixer", "apply", "--repos", str(listing), "-j", str(jobs)]
    cmd += ["--workdir", str(workdir), "--python", "none"]
    cpu = children_cpu()  # of the processes waited for: this run's alone, as nothing else runs
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    cpu = children_cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"djfix failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another djfix checkout to compare with")
    args = parser.parse_args()
    versions = {"": HERE}
    if args.before:
        versions = {"before: ": args.before.resolve(), "": HERE}
    for src in versions.values():
        compile_checkout(src)
    print(
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; {args.repos} repositories; "
        f"{NOTE}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        listing = make_fleet(root, args.repos)
        walls: dict[tuple[str, int], list[float]] = {}
        cpus: dict[tuple[str, int], list[float]] = {}
        tables: dict[str, set[str]] = {tag: set() for tag in versions}
        # one run of each (version, -j) a round: a load that comes and goes on a shared
        # machine then weighs on every figure alike, rather than on whichever ran during it
        for _ in range(args.runs):
            for jobs in args.jobs:
                for tag, src in versions.items():
                    wall, cpu, table = run(src, listing, jobs, root / "work")
                    walls.setdefault((tag, jobs), []).append(wall)
                    cpus.setdefault((tag, jobs), []).append(cpu)
                    tables[tag].add(table)
        for tag in versions:
            first = walls[tag, args.jobs[0]]
            for jobs in args.jobs:
                wall = statistics.median(walls[tag, jobs])
                runs = " ".join(f"{w:.2f}" for w in walls[tag, jobs])
                # each round's own ratio too: the two runs it compares ran close together
                ratios = [a / b for a, b in zip(first, walls[tag, jobs], strict=True)]
                rounds = statistics.median(ratios)
                cpu = statistics.median(cpus[tag, jobs])
                print(
                    f"  {tag}-j {jobs}: {wall:6.2f} s wall (median of {runs}), "
                    f"{statistics.median(first) / wall:4.2f}x the speed of -j {args.jobs[0]} "
                    f"(median of the rounds' ratios {rounds:4.2f}x); {cpu:5.2f} s CPU"
                )
            print(f"  {tag}final table the same for every -j: {len(tables[tag]) == 1}")
        if args.before:
            same = len(set().union(*tables.values())) == 1
            print(f"  final table the same before and after: {same}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
