"""A user's interpreter has the project's dependencies, not the ones djfix adds: apply's
verification installs what the planned change adds (django-environ, the app server) aside, so
the planned project runs as its image would, instead of blaming item 5 for a missing module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fixer.apply_verify import added_requirements, install_added, plan_verified
from fixer.checks import Selection
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
