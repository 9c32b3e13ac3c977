"""A user's interpreter has the project's dependencies, not the ones djfix adds: apply's
verification installs what the planned change adds (django-environ, the app server) aside, so
the planned project runs as its image would, instead of blaming item 5 for a missing module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer import apply_verify
from fixer.apply_packages import added_requirements, install_added
from fixer.apply_verify import plan_verified
from fixer.checks import Selection
from fixer.cli import app
from fixer.config import effective_options
from fixer.discovery import discover
from tests.test_apply_projects import copy_into_git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """A virtualenv with Django and gunicorn only, as a project's own venv has them."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "Django>=5.2,<6", "gunicorn"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install Django into a fresh virtualenv: {done.stderr[-300:]}")
    return str(python)


def test_packages_the_change_adds_are_installed_for_its_runs(tmp_path, bare_python):
    repo = copy_into_git("piecewise_engine", tmp_path)
    result = plan_verified(discover(repo), Selection(), effective_options(None), python=bare_python)
    assert any(spec.startswith("django-environ") for spec in added_requirements(result))
    verification = result.verification
    assert "django-environ" in verification.installed, verification.summary()
    assert verification.left_out == {}, verification.summary()
    assert verification.passes(), verification.table()
    labels = {s.item: s.label for s in result.items if s.item in (5, 7, 9, 11, 13)}
    assert set(labels.values()) == {"fixed and verified"}, labels
    # the user's interpreter is left as it was
    probe = [bare_python, "-c", "import environ"]
    assert subprocess.run(probe, capture_output=True).returncode != 0


def test_nothing_is_installed_when_the_interpreter_has_it(tmp_path):
    path, said = install_added(sys.executable, ["django-environ"], tmp_path / "extra")
    assert (path, said) == (None, "")
    assert not (tmp_path / "extra").exists()


def test_an_install_that_fails_says_so(tmp_path, bare_python):
    path, said = install_added(
        bare_python, ["no-such-package-djfix-test==0.0.1"], tmp_path / "extra"
    )
    assert path is None
    assert said.startswith("installing no-such-package-djfix-test==0.0.1 for the planned change")


@pytest.fixture(scope="module")
def python37(tmp_path_factory) -> str:
    """A Python 3.7 virtualenv with what an old project pins (no importlib.metadata there)."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(versions.glob("3.7.*/bin/python"))
    if not found:
        pytest.skip("no Python 3.7 under pyenv")
    venv = tmp_path_factory.mktemp("py37") / "venv"
    subprocess.run([str(found[-1]), "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pins = ["Django==2.2.28", "gunicorn==21.2.0", "psycopg2-binary==2.9.9"]
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *pins],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install Django 2.2 into a Python 3.7 virtualenv: {done.stderr[-300:]}")
    return str(python)


def test_on_python_37_the_added_package_is_installed_too(tmp_path, python37):
    """The probe ran importlib.metadata only: on 3.7 it died unseen, nothing counted as
    missing, and the change failed on `No module named 'environ'`."""
    repo = copy_into_git("django22_headers", tmp_path)
    result = plan_verified(discover(repo), Selection(), effective_options(None), python=python37)
    verification = result.verification
    assert verification.installed.startswith("installed django-environ=="), verification.summary()
    assert re.search(
        r"into a temporary folder, for djfix's own runs only \(the interpreter's environment is "
        r"unchanged\)\. The change adds django-environ[a-z -]* to requirements\.txt: install the "
        r"changed dependencies in your environment \(`pip install -r requirements\.txt`\) before "
        r"you run the project or `djfix verify` on this change$",
        verification.installed,
    ), verification.installed
    assert verification.left_out == {}, verification.summary()
    assert verification.passes(), verification.table()
    assert not any("No module named" in s.output for s in verification.after.steps)


def test_when_no_item_explains_a_broken_step_no_branch_is_made(tmp_path, python37, monkeypatch):
    """The shape the missing package left on a real repository: step 1 breaks, no single item
    explains it, "no change is handed over" is said, and then no branch, no commit, no file
    (the container items that share item 1's files included), and exit 1."""
    repo = copy_into_git("django22_headers", tmp_path)
    monkeypatch.setattr(apply_verify, "install_added", lambda *args: (None, ""))
    done = CliRunner().invoke(app, ["apply", str(repo), "--python", python37])
    assert "no change is handed over" in done.stdout, done.stdout
    assert "Nothing to commit: no branch made" in done.stdout, done.stdout
    heads = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert heads == ["main"]
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert status == "", status
    assert done.exit_code == 1
