"""How much the final image adds beyond the installed virtualenv and the code.

    python benchmarks/image_size.py [--project NAME ...] [--image IMAGE ...]

For each test project (default: deploy_ready, and celery_services with psycopg2 built from
source): copy it into git, `djfix apply` it, put its Dockerfile at the root (the generator's, or the
test fixture until there is one), build the final stage with buildah on the stand-in Python base
(tests/container_base.sh), then compare

    image size over its base  (podman image inspect --format {{.Size}}, minus the base's)
    venv + code               (du inside the image: the interpreter prefix of the image's python,
                               and its working directory)

and, for the reference project (deploy_ready), the same figures for the api image a
cookiecutter-django-style Dockerfile builds (benchmarks/cookiecutter_style.Dockerfile, written by
hand for that project), on the same stand-in base: djfix's image must be the smaller.

The target is an overhead under 5 MB. The image's size is the size of its layers as tar streams,
which count a 512-byte header and padding per file, so the overhead is measured against venv + code
as a tar stream too (thousands of small files make several MB of headers); the file bytes and
du -sb (which also counts 4 KB per directory) are printed beside it. `--image` measures images
already built. Sizes in MB (10^6 bytes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MB = 5.0
MB = 1_000_000


def measure(image: str, base: str | None = None) -> dict[str, float]:
    from tests.test_images import PYTHON_BASE, image_config, image_size, run_in_image

    workdir = image_config(image).get("WorkingDir") or "/app"
    prefix = run_in_image(
        image, "python", "-c", "import sys; print(sys.prefix)", user=None
    ).stdout.strip()
    if prefix in ("", "/usr", "/usr/local"):
        raise SystemExit(f"{image}: python runs from {prefix or '?'}, not from a virtualenv")
    # per tree: du's apparent bytes (directories count 4 KB each), the bytes of its files and
    # symlinks alone, and its number of entries
    total = "awk '{s += $1} END {print s + 0}'"
    script = " ; ".join(
        f"du -sb {path} | cut -f1; "
        f"find {path} \\( -type f -o -type l \\) -printf '%s\\n' | {total}; "
        f"find {path} | wc -l"
        for path in (prefix, workdir)
    )
    # and both trees as a tar stream: the unit the image's size is counted in
    script += f" ; tar -cf - {prefix} {workdir} 2>/dev/null | wc -c"
    out = run_in_image(image, "sh", "-c", script).stdout.split()
    venv_du, venv, venv_n, code_du, code, code_n, tarred = (int(x) for x in out)
    over_base = image_size(image) - image_size(base or PYTHON_BASE)
    return {
        "over_base": over_base / MB,
        "venv": venv / MB,
        "code": code / MB,
        "du": (venv_du + code_du) / MB,
        "files": venv_n + code_n,
        "overhead": (over_base - venv - code) / MB,
        "overhead_du": (over_base - venv_du - code_du) / MB,
        "tar": tarred / MB,
        "overhead_tar": (over_base - tarred) / MB,
    }


REFERENCE = "deploy_ready"
COOKIECUTTER = Path(__file__).resolve().parent / "cookiecutter_style.Dockerfile"


def _bud(repo: Path, image: str, dockerfile: Path | None = None) -> float:
    from tests.test_images import NGINX_BASE, PYTHON_BASE, build_args, buildah

    # the generated Dockerfile's bases as the container tests pick them (the Python 3.7 stand-in
    # for a python:3.7 image)
    bases = (
        {"PYTHON_IMAGE": PYTHON_BASE, "NGINX_IMAGE": NGINX_BASE} if dockerfile else build_args(repo)
    )
    start = time.monotonic()
    buildah(
        "bud",
        "--isolation",
        "chroot",
        "--network",
        "host",
        "--format",
        "docker",
        *(arg for name, base in bases.items() for arg in ("--build-arg", f"{name}={base}")),
        *(["-f", str(dockerfile)] if dockerfile else []),
        "-t",
        image,
        str(repo),
        timeout=1800,
    )
    return time.monotonic() - start


def build(name: str, workdir: Path) -> tuple[Path, str, float]:
    from tests.test_images import prepare_project

    repo = prepare_project(name, workdir)
    image = f"localhost/djfix-bench-{name.replace('_', '-').replace('/', '-')}"
    return repo, image, _bud(repo, image)


def build_cookiecutter(repo: Path) -> tuple[str, float]:
    image = "localhost/djfix-bench-cookiecutter-style"
    return image, _bud(repo, image, COOKIECUTTER)


def report(label: str, m: dict[str, float], seconds: float | None) -> bool:
    ok = m["overhead_tar"] < TARGET_MB
    built = f"  built in {seconds:.0f} s" if seconds is not None else ""
    print(
        f"{label}: image over base {m['over_base']:.2f} MB; venv + code as tar"
        f" {m['tar']:.2f} MB -> overhead {m['overhead_tar']:.2f} MB"
        f" -> {'OK' if ok else 'OVER'} (target < {TARGET_MB:.0f} MB){built}\n"
        f"    venv {m['venv']:.2f} MB + code {m['code']:.2f} MB of file bytes"
        f" ({m['files']} entries): {m['overhead']:.2f} MB beyond;"
        f" du -sb {m['du']:.2f} MB: {m['overhead_du']:.2f} MB beyond"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", dest="projects")
    parser.add_argument("--image", action="append", dest="images", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the built images")
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the cookiecutter-django-style image"
    )
    args = parser.parse_args()

    from tests.test_images import build_args, buildah, missing_builder

    reason = missing_builder()
    if reason:
        print(f"cannot measure: {reason}")
        return 2
    ok = True
    for image in args.images:
        ok &= report(image, measure(image), None)
    projects = args.projects or ([] if args.images else [REFERENCE, "celery_services"])
    for name in projects:
        workdir = Path(tempfile.mkdtemp(prefix="djfix-size-"))
        images: list[str] = []
        try:
            repo, image, seconds = build(name, workdir)
            images.append(image)
            ours = measure(image, build_args(repo).get("PYTHON_IMAGE"))
            ok &= report(name, ours, seconds)
            if name == REFERENCE and not args.no_compare:
                other, other_seconds = build_cookiecutter(repo)
                images.append(other)
                theirs = measure(other)
                report(f"{name}, cookiecutter-django style", theirs, other_seconds)
                smaller = ours["over_base"] < theirs["over_base"]
                ok &= smaller
                print(
                    f"{name} side by side, over the same base: djfix {ours['over_base']:.2f} MB,"
                    f" cookiecutter-django style {theirs['over_base']:.2f} MB ->"
                    f" {theirs['over_base'] - ours['over_base']:.2f} MB"
                    f" {'smaller' if smaller else 'LARGER'}"
                )
        finally:
            if not args.keep:
                for image in images:
                    buildah("rmi", image, check=False)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
