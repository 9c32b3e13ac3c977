"""The wheel carries the templates, and djfix renders them from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.slow


def test_wheel_ships_templates_and_renders_from_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    [wheel] = tmp_path.glob("djfix-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    templates = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.jinja")
    )
    assert templates
    for template in templates:
        assert f"fixer/{template}" in names
    assert "fixer/cli.py" in names and "codemods/settings_env.py" in names
    assert not any("tests/" in n for n in names)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from fixer.templating import render, templates_dir;"
        "assert str(templates_dir()).startswith(sys.argv[1]), templates_dir();"
        "from fixer.apply import EnvVar;"
        "print(render('env_example.jinja', header=False,"
        " variables=[EnvVar('DEBUG', 'Debug mode.', 'False')]), end='')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert out == "\n# Debug mode.\nDEBUG=False\n"
