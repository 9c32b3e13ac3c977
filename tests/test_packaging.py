"""The distribution: its name and address everywhere they are written, dependencies that are
exactly what the code imports, the wheel's templates, and the README's install line run from a
built wheel in a fresh virtualenv."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from fixer import __version__
from fixer.docs import PROJECT_URL

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DISTRIBUTION = "django-deployfix"
TAG = f"v{__version__}"
# import name -> distribution name, where they differ
IMPORT_NAMES = {"yaml": "pyyaml", "tomli": "tomli", "ruamel": "ruamel.yaml"}


# -- name and address ---------------------------------------------------------------------------


def test_distribution_name_and_command():
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"djfix": "fixer.cli:main"}
    assert project["urls"]["Homepage"] == PROJECT_URL


def test_readme_action_and_hook_name_the_project_and_a_release_tag():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pipx install {DISTRIBUTION}" in readme
    slug = PROJECT_URL.removeprefix("https://github.com/")
    uses = re.findall(r"uses: (\S+)", readme)
    ours = [u for u in uses if u.split("@")[0] == slug]
    assert ours == [f"{slug}@{TAG}"]
    assert not [u for u in uses if "djfix" in u and u not in ours]
    assert re.findall(r"rev: (\S+)", readme) == [TAG]
    assert f"repo: {PROJECT_URL}" in readme
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert f"uses: {slug}@{TAG}" in action
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert f"repo: {PROJECT_URL}" in hooks and f"rev: {TAG}" in hooks


# -- dependencies -------------------------------------------------------------------------------


def _third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found: set[str] = set()
    for package in ("fixer", "codemods"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in stdlib and top not in ("fixer", "codemods", "__future__"):
                        found.add(top)
    return found


def test_dependencies_are_what_the_code_imports():
    declared = {Requirement(r).name.lower() for r in PYPROJECT["project"]["dependencies"]}
    imported = {IMPORT_NAMES.get(name, name).lower() for name in _third_party_imports()}
    assert imported - declared == set(), "imported but not declared"
    # packaging: declared for the dependency-file parsers, which are moving off their regexes
    assert declared - imported - {"packaging"} == set(), "declared but never imported"
    assert "gitpython" not in declared


def test_typer_bounds_are_the_tested_ones():
    # the lower bound is the one tested; below 0.29, which builds a pydantic adapter for every
    # option at each start
    [typer] = [
        Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("typer")
    ]
    assert sorted(str(s) for s in typer.specifier) == ["<0.29", ">=0.12.5"]


# -- the wheel ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_ships_templates_and_renders_from_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("django_deployfix-*.whl")
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
        "from fixer.fix_context import EnvVar;"
        "print(render('env_example.jinja', header=False,"
        " variables=[EnvVar('DEBUG', 'Debug mode.', 'False')]), end='')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    ).stdout
    assert out == "\n# Debug mode.\nDEBUG=False\n"


@pytest.mark.slow
def test_readme_install_line_from_a_built_wheel(tmp_path):
    """`python -m build`, then the README's `pip install django-deployfix` (from that wheel) into
    a fresh virtualenv, then `djfix --version` and `djfix check` on a test project."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "-o", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert len(list(dist.glob("django_deployfix-*-py3-none-any.whl"))) == 1
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    # the README's line, with the package index replaced by the wheel just built (its
    # dependencies come from wherever pip is configured to look)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pipx install {DISTRIBUTION}" in readme
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--find-links",
            str(dist),
            DISTRIBUTION,
        ],
        check=True,
        timeout=600,
    )
    djfix = str(bin_dir / "djfix")
    version = subprocess.run(
        [djfix, "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert version.stdout.strip() == f"djfix {__version__}"
    project = tmp_path / "legacy_single"
    shutil.copytree(ROOT / "tests" / "projects" / "legacy_single", project)
    checked = subprocess.run(
        [djfix, "check", str(project), "--python", "none", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert checked.returncode == 1, checked.stderr
    assert '"code": "DJ050"' in checked.stdout
    # only the declared dependencies were needed: nothing from the dev extras is installed
    listed = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.lower()
    assert "django==" not in listed and "pytest==" not in listed and "gitpython" not in listed
