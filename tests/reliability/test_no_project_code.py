"""`check` runs nothing of the repository; djfix's own Django runs never let the repository
shadow Django, and work on settings that read DEBUG as an int or a custom string."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fixer import django_runner
from fixer.discovery import discover
from tests.reliability.conftest import MODELS, build, run_djfix

PLANTED = """\
import pathlib
pathlib.Path({marker!r}).write_text("ran")
raise ImportError("planted django")
"""

CHANGED_MODELS = MODELS + "    author = models.CharField(max_length=100, default='')\n"


def _planted(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "marker"
    repo = build(
        tmp_path / "repo",
        {"django.py": PLANTED.format(marker=str(marker)), "shop/models.py": CHANGED_MODELS},
    )
    return repo, marker


def test_check_without_python_runs_nothing_and_says_not_verified(tmp_path):
    repo, marker = _planted(tmp_path)
    # a python that imports Django is first on PATH: check must not use it
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = run_djfix("check", str(repo), "--format", "json", "--select", "6", cwd=repo, env=env)
    assert not marker.exists()
    data = json.loads(done.stdout)
    assert data["items"]["6"] == "not verified"
    assert [f["code"] for f in data["findings"]] == []


def test_check_with_python_runs_django_from_a_copy_never_the_planted_module(tmp_path):
    repo, marker = _planted(tmp_path)
    done = run_djfix(
        "check",
        str(repo),
        "--format",
        "json",
        "--select",
        "6",
        "--python",
        sys.executable,
        cwd=repo,
    )
    assert not marker.exists(), done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert [f["code"] for f in data["findings"]] == ["DJ066"], done.stdout
    assert not list(repo.glob("shop/migrations/0002*"))
    assert not list(repo.rglob("__pycache__"))


def _settings_with_debug(tmp_path: Path, line: str) -> Path:
    from tests.reliability.conftest import SETTINGS

    settings = SETTINGS.replace("DEBUG = True", line)
    return build(tmp_path / "repo", {"mysite/settings.py": settings}, repo=False)


def test_debug_read_as_int_still_runs(tmp_path):
    repo = _settings_with_debug(tmp_path, 'DEBUG = int(os.environ.get("DEBUG", 1))')
    report = django_runner.inspect(discover(repo), sys.executable)
    assert report.note is None
    assert report.django_version and report.local_apps == ["shop"]


def test_debug_read_as_custom_string_still_runs(tmp_path):
    repo = _settings_with_debug(
        tmp_path,
        'DEBUG = os.environ.get("DEBUG") == "yes"\n'
        'assert DEBUG is False, "the synthetic environment turned DEBUG on"',
    )
    report = django_runner.inspect(discover(repo), sys.executable)
    assert report.note is None
    assert report.local_apps == ["shop"]


def test_django_runs_in_a_copy_that_never_reaches_outside_through_a_link(tmp_path):
    repo = build(tmp_path / "repo", {"shop/models.py": CHANGED_MODELS}, repo=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * 1000)
    (repo / "data").symlink_to(outside)
    (repo / "shop/migrations_link").symlink_to(repo / "shop/migrations")
    copied = {}
    with django_runner.work_tree(discover(repo), {"extra.txt": "planned\n"}) as tree:
        copied = {p.relative_to(tree).as_posix() for p in tree.rglob("*")}
        assert not any(p.is_symlink() for p in tree.rglob("*"))
    assert "data" not in copied and "data/big.bin" not in copied
    assert "shop/migrations_link/0001_initial.py" in copied  # inside links: their content
    assert "extra.txt" in copied
    assert sorted(p.name for p in outside.iterdir()) == ["big.bin"]
