"""The packages djfix adds to a project's dependencies (app server, django-environ,
django-redis) install on the project's Python: the one it declares, else the interpreter named
with --python, else every Python its Django supports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixer.apply import plan
from fixer.checks import Selection
from fixer.config import Config, effective_options
from fixer.discovery import discover
from tests.conftest import PROJECTS

PYTHON36 = Path.home() / ".pyenv" / "versions" / "3.6.15" / "bin" / "python"


def added_lines(root: Path, python: str | None = None) -> list[str]:
    """The lines djfix's plan adds to requirements.txt."""
    options = effective_options(Config())
    if python is not None:
        options["python"] = python
    result = plan(discover(root), Selection(), options)
    before = (root / "requirements.txt").read_text().splitlines()
    after = (result.changeset.read("requirements.txt") or "").splitlines()
    return [line for line in after if line not in before]


def test_django_111_with_unknown_python_gets_pins_for_its_oldest_python():
    # Django 1.11 runs on Python 3.4-3.7 and the project names none: gunicorn 23 (3.7+) or
    # django-environ 0.11 (3.6+) would not install on the older ones
    assert added_lines(PROJECTS / "legacy_single") == [
        "django-environ==0.4.5",
        "gunicorn==19.10.0",
    ]


def test_the_declared_python_decides(tmp_path):
    root = tmp_path / "legacy_single"
    shutil.copytree(PROJECTS / "legacy_single", root)
    (root / "runtime.txt").write_text("python-3.6.15\n")
    assert added_lines(root) == ["django-environ==0.11.2", "gunicorn==21.2.0"]


@pytest.mark.slow
@pytest.mark.skipif(not PYTHON36.is_file(), reason="needs pyenv's Python 3.6")
@pytest.mark.parametrize("named", [False, True])
def test_added_pins_install_on_python_36(tmp_path, named):
    """pip on a real Python 3.6 finds every pin djfix adds (it honours Requires-Python), with
    the Python unknown and with the interpreter named as --python."""
    lines = added_lines(PROJECTS / "legacy_single", str(PYTHON36) if named else None)
    assert lines and all("==" in line for line in lines)
    if named:
        assert lines == ["django-environ==0.11.2", "gunicorn==21.2.0"]
    requirements = tmp_path / "added.txt"
    requirements.write_text("\n".join(lines) + "\n")
    pip = [str(PYTHON36), "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, "-q", "-d", str(tmp_path / "d"), "-r", str(requirements)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list((tmp_path / "d").iterdir())) == len(lines)
