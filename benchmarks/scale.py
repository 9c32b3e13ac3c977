"""Side by side: `djfix check`, `djfix apply --dry-run` and `django-upgrade --check` on the same
repositories.

    python benchmarks/scale.py REPO [REPO ...] [--runs 5] [--no-apply] [--before SRC]

For each repository the three commands run in turn, `--runs` times, interleaved (so a busy
machine slows all of them alike), each in a fresh process. Reported per command: the median
wall time, the median CPU time (user + system, the figure a loaded machine disturbs least), the
peak memory (RSS) of the process, and the ratios to django-upgrade's figures. django-upgrade is
given the same Python files djfix can see (the folders djfix skips are skipped). It is not a
dependency of djfix: install it into the environment for the benchmark. `--before SRC` adds the
same djfix commands run from another checkout of djfix (an older commit), for before/after
figures in one run. Each checkout's bytecode is compiled first, as an installed djfix has it
(see benchmarks/bytecode.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import NOTE, compile_checkout

# the folders discovery does not enter (fixer.discovery.walk.SKIP_DIRS, kept in step by hand so the
# benchmark imports nothing of djfix into its own process)
SKIP = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "htmlcov",
    "bower_components",
    ".idea",
    ".vscode",
    "dist",
    "build",
}


def python_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP]
        out.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(".py"))
    return sorted(out)


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak RSS MiB, exit status) of one run of `cmd` in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-apply", action="store_true", help="time check only")
    parser.add_argument("--before", type=Path, help="another djfix checkout to compare with")
    args = parser.parse_args()
    upgrade = shutil.which("django-upgrade") or str(Path(sys.executable).parent / "django-upgrade")
    if not Path(upgrade).exists():
        raise SystemExit("django-upgrade is not installed: pip install django-upgrade")
    here = Path(__file__).resolve().parent.parent
    versions = {"": here}
    if args.before:
        versions = {"before: ": args.before.resolve(), "": here}
    for src in versions.values():
        compile_checkout(src)
    print(
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; {args.runs} runs each; "
        f"{NOTE}"
    )
    for repo in args.repos:
        root = repo.resolve()
        files = python_files(root)
        lines = 0
        for f in files:
            with open(f, "rb") as fh:
                lines += fh.read().count(b"\n")
        commands: dict[str, tuple[list[str], Path | None]] = {
            "django-upgrade --check": ([upgrade, "--check", *files], None),
        }
        for tag, src in versions.items():
            # `python -m fixer` from the checkout's folder imports that checkout's djfix
            djfix = [sys.executable, "-m", "fixer"]
            commands[f"{tag}djfix check"] = (
                [*djfix, "check", str(root), "--format", "json", "--python", "none"],
                src,
            )
            if not args.no_apply:
                commands[f"{tag}djfix apply --dry-run"] = (
                    [*djfix, "apply", str(root), "--dry-run", "--python", "none"],
                    src,
                )
        results: dict[str, list[tuple[float, float, float, int]]] = {k: [] for k in commands}
        for cmd, cwd in commands.values():
            measure(cmd, cwd)  # warm the file cache; not counted
        for _ in range(args.runs):
            for name, (cmd, cwd) in commands.items():
                results[name].append(measure(cmd, cwd))
        print(f"\n{root}: {len(files)} Python files, {lines} lines")
        base = results["django-upgrade --check"]
        base_wall = statistics.median(r[0] for r in base)
        base_cpu = statistics.median(r[1] for r in base)
        base_rss = max(r[2] for r in base)
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            print(
                f"  {name:<32} wall {wall:6.2f} s ({wall / base_wall:4.2f}x)  "
                f"cpu {cpu:6.2f} s ({cpu / base_cpu:4.2f}x)  "
                f"peak RSS {rss:6.1f} MiB ({rss / base_rss:4.2f}x)"
            )


if __name__ == "__main__":
    main()
