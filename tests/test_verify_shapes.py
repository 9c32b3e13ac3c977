"""Shapes found when verify ran real repositories after apply, each a small test project of our
own proved by `djfix verify` after `djfix apply`: every step that applies passes."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.verify import render_table, verify_project
from tests import test_runtime_projects
from tests.test_apply_projects import copy_into_git

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database


def test_database_read_piece_by_piece_is_named_by_its_variables(tmp_path, fresh_database):
    # ENGINE, NAME, HOST, ... from SQL_* variables, SQLite when unset: with the database down
    # the probe's message must name the variable that points at it, not "set in the settings"
    repo = copy_into_git("piecewise_engine", tmp_path)
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(repo)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    name = fresh_database.split(":")[0]
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={1, 2, 3, 4, 5, 6},
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 6, table
    assert "SQL_HOST" in report.step(6).output, table
