"""`djfix apply --repos FILE -j N` against N: does the fleet scale with the machine's cores?

    python benchmarks/fleet.py [--repos 8] [--jobs 1 2 4] [--runs 3] [--before SRC]

Makes `--repos` local git repositories from the test projects (copies, each committed), lists
them in a repositories file, and times `djfix apply --repos FILE --workdir DIR -j N` for each N
in a fresh process (`--python none`: the static pipeline, no Django run). Prints the median wall
time, the speed-up over `-j 1`, and whether the final table is the same for every N.
`--before SRC` times another checkout of djfix the same way (an older commit), for before/after
figures in one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run(src: Path, listing: Path, jobs: int, workdir: Path) -> tuple[float, str]:
    shutil.rmtree(workdir, ignore_errors=True)
    cmd = [sys.executable, "-m", "fixer", "apply", "--repos", str(listing), "-j", str(jobs)]
    cmd += ["--workdir", str(workdir), "--python", "none"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"djfix failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


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
    print(
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; {args.repos} repositories"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        listing = make_fleet(root, args.repos)
        for tag, src in versions.items():
            tables: set[str] = set()
            walls: dict[int, float] = {}
            for jobs in args.jobs:
                results = [run(src, listing, jobs, root / "work") for _ in range(args.runs)]
                walls[jobs] = statistics.median(r[0] for r in results)
                tables.update(r[1] for r in results)
            for jobs, wall in walls.items():
                print(
                    f"  {tag}-j {jobs}: {wall:6.2f} s wall, "
                    f"{walls[args.jobs[0]] / wall:4.2f}x the speed of -j {args.jobs[0]}"
                )
            print(f"  {tag}final table the same for every -j: {len(tables) == 1}")


if __name__ == "__main__":
    main()
