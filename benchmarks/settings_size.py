"""Time `djfix apply --dry-run` against the size of the settings module.

    python benchmarks/settings_size.py [--statements 250 1000 5000] [--runs 3] [--keep DIR]
                                       [--before SRC]

For each size, generates a small Django project whose settings.py holds that many top-level
statements of the kinds real settings files are made of (literal settings, dicts, lists, values
read from the environment, conditionals, helper calls) around the deploy problems djfix fixes
(a literal SECRET_KEY, DEBUG on, a literal database, no CONN_MAX_AGE), then runs
`djfix apply --dry-run` in a fresh process. Prints, per size: the settings module's size in KB,
the median wall and CPU time, milliseconds of CPU per KB, and the peak memory (RSS).
Goal: time linear in the size, about 20 ms per KB or better, and no recursion limit at any size.
`--before SRC` runs another checkout of djfix (an older commit) the same way, for comparison.
Each checkout's bytecode is compiled before the first timed run, as an installed djfix has it
(with PYTHONDONTWRITEBYTECODE set, a checkout would otherwise compile every module on every run,
about 0.25 s of start-up no user pays; see benchmarks/bytecode.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import NOTE, compile_checkout

HEAD = """import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789ab"
DEBUG = True
ALLOWED_HOSTS = []
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "site_conf.urls"
WSGI_APPLICATION = "site_conf.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "shop-password",
        "HOST": "localhost",
    }
}
STATIC_URL = "/static/"
"""

# one group of statements; {i} makes the names unique
GROUP = [
    'FEATURE_{i}_ENABLED = os.environ.get("FEATURE_{i}_ENABLED", "0") == "1"',
    "FEATURE_{i}_LIMIT = {i} * 10",
    'FEATURE_{i}_NAME = "feature-{i}"',
    'FEATURE_{i}_OPTIONS = {{"timeout": {i}, "retries": 3, "labels": ["a", "b", "c"]}}',
    'FEATURE_{i}_HOSTS = ["host-{i}.internal", "backup-{i}.internal"]',
    "if FEATURE_{i}_ENABLED:\n    FEATURE_{i}_LIMIT = FEATURE_{i}_LIMIT * 2",
    'FEATURE_{i}_PATH = BASE_DIR / "data" / "feature_{i}"',
    "FEATURE_{i}_TUPLE = (FEATURE_{i}_NAME, FEATURE_{i}_LIMIT)",
    "# feature {i}: generated filler, as long settings files have many small blocks",
    'FEATURE_{i}_URL = os.getenv("FEATURE_{i}_URL", "https://example.invalid/{i}")',
]


def settings_text(statements: int) -> str:
    lines = [HEAD]
    count = HEAD.count("\n")
    i = 0
    while count < statements:
        for template in GROUP:
            lines.append(template.format(i=i))
            count += 1
        i += 1
    return "\n".join(lines) + "\n"


def make_project(root: Path, statements: int) -> Path:
    (root / "site_conf").mkdir(parents=True)
    (root / "manage.py").write_text(
        "import os\nimport sys\n\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")\n'
        "from django.core.management import execute_from_command_line\n\n"
        "execute_from_command_line(sys.argv)\n"
    )
    (root / "site_conf" / "__init__.py").write_text("")
    (root / "site_conf" / "urls.py").write_text("urlpatterns = []\n")
    (root / "site_conf" / "wsgi.py").write_text(
        "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")\n'
        "application = get_wsgi_application()\n"
    )
    (root / "requirements.txt").write_text("Django==4.2.16\npsycopg2-binary==2.9.9\n")
    settings = root / "site_conf" / "settings.py"
    settings.write_text(settings_text(statements))
    return settings


def run(root: Path, src: Path) -> tuple[float, float, float]:
    cmd = [sys.executable, "-m", "fixer", "apply", str(root), "--dry-run", "--python", "none"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=src,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or "RecursionError" in stderr:
        print(f"  djfix apply failed ({code}): {stderr.strip().splitlines()[-1][:200]}")
        return wall, float("nan"), usage.ru_maxrss / 1024
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, nargs="+", default=[250, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--before", type=Path, help="another djfix checkout to compare with")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    versions = {"": here}
    if args.before:
        versions = {"before: ": args.before.resolve(), "": here}
    for src in versions.values():
        compile_checkout(src)
    print(NOTE, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for n in args.statements:
            root = base / f"settings_{n}"
            settings = make_project(root, n)
            kb = settings.stat().st_size / 1024
            for tag, src in versions.items():
                results = [run(root, src) for _ in range(args.runs)]
                wall = statistics.median(r[0] for r in results)
                cpu = statistics.median(r[1] for r in results)
                rss = max(r[2] for r in results)
                print(
                    f"{tag}{n:6d} statements, {kb:8.1f} KB: wall {wall:6.2f} s, cpu {cpu:6.2f} s "
                    f"({1000 * cpu / kb:5.1f} ms/KB), peak RSS {rss:6.1f} MiB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
