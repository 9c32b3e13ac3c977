"""What a database of its own costs each verify run: the time to create and drop the scratch
database (`fixer.verify_database`) on a server on this machine.

    python benchmarks/scratch_database.py [--url postgres://postgres@127.0.0.1:5432/postgres]
                                          [--rounds 5] [--python PATH]

Each round creates `<name>_djfix_<8 hex>` and drops it, as one run does, with the given
interpreter (default: this one; it needs Django and the server's driver). Prints each round
and the median, in seconds. Several URLs may be given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from fixer.redaction import mask_url
    from fixer.verify_database import run_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="a server URL (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    urls = args.url or [
        "postgres://postgres@127.0.0.1:5432/postgres",
        "mysql://root@127.0.0.1:3306/",
    ]
    env = {"PATH": "/usr/bin:/bin"}
    with tempfile.TemporaryDirectory() as tmp:
        for url in urls:
            times = []
            for _ in range(max(1, args.rounds)):
                start = time.monotonic()
                with run_database(url, used=True, python=args.python, cwd=Path(tmp), env=env) as db:
                    if not db.created:
                        print(f"{mask_url(url)}: {db.note}")
                        break
                times.append(time.monotonic() - start)
            if times:
                rounds = " ".join(f"{t:.2f}" for t in times)
                print(
                    f"{mask_url(url)}: create + drop {rounds} s, "
                    f"median {statistics.median(times):.2f} s"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
