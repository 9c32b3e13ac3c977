from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fixer import formatting
from fixer.changeset import Changeset
from tests.conftest import write_tree

UNFORMATTED_NEW = "def f( a ):\n    return {'a':a}\n"
RUFF_FORMATTED_NEW = 'def f(a):\n    return {"a": a}\n'


@pytest.fixture
def ruff_only(monkeypatch):
    """Only ruff is installed (whatever else the machine has), so the tests do not depend on it."""
    real = formatting.find_tool
    monkeypatch.setattr(
        formatting, "find_tool", lambda name: real(name) if name == "ruff" else None
    )


def changeset_with(root: Path, files: dict[str, str]) -> Changeset:
    cs = Changeset(root)
    for rel, text in files.items():
        cs.write(rel, text, item=5)
    return cs


# -- nothing happens ------------------------------------------------------------------------------


def test_no_formatter_declared(tmp_path, ruff_only):
    cs = changeset_with(tmp_path, {"app/new.py": UNFORMATTED_NEW})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/new.py") == UNFORMATTED_NEW
    assert report.notes == []
    assert report.formatted == {}


def test_non_python_files_are_never_formatted(tmp_path, ruff_only):
    write_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    cs = changeset_with(tmp_path, {"Dockerfile": "FROM  python\n", "notes.txt": "x( a )\n"})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("Dockerfile") == "FROM  python\n"
    assert cs.read("notes.txt") == "x( a )\n"
    assert report.notes == []


def test_declared_but_not_installed_is_a_note(tmp_path, ruff_only):
    write_tree(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 100\n"})
    cs = changeset_with(tmp_path, {"app/new.py": UNFORMATTED_NEW})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/new.py") == UNFORMATTED_NEW
    assert report.notes == [
        "black is declared in pyproject.toml [tool.black] but not installed: the files djfix "
        "changed are not formatted with it (app/new.py)"
    ]


def test_previously_unformatted_file_is_left_as_djfix_wrote_it(tmp_path, ruff_only):
    old = "x = {'a':1}\n"
    write_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\n", "app/mod.py": old})
    cs = changeset_with(tmp_path, {"app/mod.py": old + "y = {'b':2}\n"})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/mod.py") == "x = {'a':1}\ny = {'b':2}\n"
    assert report.formatted == {}
    assert len(report.notes) == 1
    assert report.notes[0].startswith("not formatted, because they were not formatted with ruff")
    assert report.notes[0].endswith(
        "formatting would rewrite lines djfix did not write: app/mod.py"
    )


def test_formatter_failure_keeps_the_text(tmp_path, ruff_only):
    write_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\n"})
    broken = "def f(:\n"
    cs = changeset_with(tmp_path, {"app/new.py": broken})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/new.py") == broken
    assert len(report.notes) == 1
    assert report.notes[0].startswith("app/new.py: the formatter failed (")
    assert report.notes[0].endswith("); left as djfix wrote it")


# -- declarations ----------------------------------------------------------------------------------


def test_declared_in_pre_commit_in_run_order(tmp_path):
    write_tree(
        tmp_path,
        {
            ".pre-commit-config.yaml": """\
                repos:
                  - repo: https://github.com/astral-sh/ruff-pre-commit
                    rev: v0.6.9
                    hooks:
                      - id: ruff
                      - id: ruff-format
                  - repo: https://github.com/PyCQA/isort
                    rev: 5.13.2
                    hooks:
                      - id: isort
                """,
        },
    )
    assert [(d.tool, d.source) for d in formatting.declared(tmp_path)] == [
        ("isort", ".pre-commit-config.yaml"),
        ("ruff", ".pre-commit-config.yaml"),
    ]


def test_ruff_table_does_not_count_when_black_formats(tmp_path):
    write_tree(
        tmp_path,
        {"pyproject.toml": "[tool.ruff]\nline-length = 88\n\n[tool.black]\nline-length = 88\n"},
    )
    assert [d.tool for d in formatting.declared(tmp_path)] == ["black"]


def test_pyproject_of_the_repository_above_the_project(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.isort]\nprofile = 'black'\n"})
    (tmp_path / ".git").mkdir()
    project = tmp_path / "backend"
    project.mkdir()
    found = formatting.declared(project)
    assert [(d.tool, d.source, d.config_dir) for d in found] == [
        ("isort", f"{tmp_path.resolve().as_posix()}/pyproject.toml [tool.isort]", tmp_path)
    ]


def test_unreadable_configuration_declares_nothing(tmp_path):
    write_tree(
        tmp_path, {"pyproject.toml": "[tool.ruff\n", ".pre-commit-config.yaml": "repos: [\n"}
    )
    assert formatting.declared(tmp_path) == []


# -- formatting ------------------------------------------------------------------------------------


def test_new_file_formatted_with_ruff(tmp_path, ruff_only):
    write_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    cs = changeset_with(tmp_path, {"app/new.py": UNFORMATTED_NEW})
    report = formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/new.py") == RUFF_FORMATTED_NEW
    assert report.formatted == {"ruff format": ["app/new.py"]}
    assert report.notes[0].startswith("formatted with ruff format ")
    assert report.notes[0].endswith("(from pyproject.toml [tool.ruff]): ruff format: app/new.py")
    assert cs.changes()[0].items == {5}


def test_project_style_is_followed(tmp_path, ruff_only):
    write_tree(
        tmp_path,
        {"pyproject.toml": "[tool.ruff]\n\n[tool.ruff.format]\nquote-style = 'single'\n"},
    )
    cs = changeset_with(tmp_path, {"app/new.py": 'X = "a"\n'})
    formatting.format_changeset(cs, tmp_path)
    assert cs.read("app/new.py") == "X = 'a'\n"


def test_already_formatted_file_gets_only_its_new_lines_formatted(tmp_path, ruff_only):
    old = textwrap.dedent(
        """\
        import os

        DEBUG = False
        """
    )
    write_tree(tmp_path, {".pre-commit-config.yaml": PRE_COMMIT_RUFF, "mysite/settings.py": old})
    cs = changeset_with(tmp_path, {"mysite/settings.py": old + "CONN_MAX_AGE={'a':60}\n"})
    formatting.format_changeset(cs, tmp_path)
    assert cs.read("mysite/settings.py") == old + 'CONN_MAX_AGE = {"a": 60}\n'


def test_formatting_that_restores_the_old_text_drops_the_change(tmp_path, ruff_only):
    old = 'X = "a"\n'
    write_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\n", "app/mod.py": old})
    cs = changeset_with(tmp_path, {"app/mod.py": "X = 'a'\n"})
    formatting.format_changeset(cs, tmp_path)
    assert cs.changes() == []


PRE_COMMIT_RUFF = """\
    repos:
      - repo: https://github.com/astral-sh/ruff-pre-commit
        rev: v0.6.9
        hooks:
          - id: ruff-format
    """
