"""Which packages the planned change adds that the project's interpreter lacks: asked in that
interpreter, which may be as old as Python 3.6 (no importlib.metadata). A probe that cannot
answer is said, never read as "nothing is missing"."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fixer.apply_packages import install_added, missing_packages

PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def _pyenv(version: str) -> str:
    found = sorted(PYENV.glob(f"{version}.*/bin/python"))
    if not found:
        pytest.skip(f"no Python {version} under {PYENV}")
    return str(found[-1])


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("version", ["3.6", "3.7"])
def test_an_interpreter_without_importlib_metadata_still_answers(tmp_path, version):
    missing, why = missing_packages(
        _pyenv(version), ["django-environ", "pip", "djfix-no-such-package"], tmp_path
    )
    assert (missing, why) == ({"django-environ", "djfix-no-such-package"}, "")


def test_without_metadata_or_pkg_resources_an_import_answers(tmp_path):
    # an interpreter where neither importlib.metadata nor pkg_resources imports
    blocked = (
        "import sys; sys.modules['importlib.metadata'] = None; sys.modules['pkg_resources'] = "
        "None; code = sys.argv[2]; sys.argv = ['-c'] + sys.argv[3:]; exec(code)"
    )
    python = _script(tmp_path, "python", f'exec {sys.executable} -c "{blocked}" "$@"\n')
    missing, why = missing_packages(python, ["pip", "djfix-no-such-package"], tmp_path)
    assert (missing, why) == ({"djfix-no-such-package"}, "")


def test_a_probe_that_fails_is_a_reason_not_silence(tmp_path):
    python = _script(tmp_path, "python", 'echo "SyntaxError: invalid syntax" >&2\nexit 1\n')
    path, said = install_added(python, ["django-environ==0.12.1"], tmp_path / "extra")
    assert path is None
    assert said == (
        f"could not tell which packages are missing: {python}: SyntaxError: invalid syntax"
    )


def test_a_probe_cut_short_is_a_reason_too(tmp_path):
    # exit 0 without the probe's last line: it did not run to the end
    python = _script(tmp_path, "python", "exit 0\n")
    missing, why = missing_packages(python, ["django-environ"], tmp_path)
    assert missing is None
    assert why == f"could not tell which packages are missing: {python}: exit 0"


def test_one_package_installed_is_it_not_them(tmp_path, monkeypatch):
    python = _script(tmp_path, "python", "echo DJFIX-MISSING django-environ; echo DJFIX-PROBED\n")
    # the install itself: the stand-in interpreter "installs" by exiting 0
    path, said = install_added(python, ["django-environ==0.12.1"], tmp_path / "extra")
    assert path == tmp_path / "extra"
    assert said == (
        "installed django-environ==0.12.1 into a temporary folder, for djfix's own runs only "
        "(the interpreter's environment is unchanged)"
    )
