"""The `self_hosted` test project: the shapes of a self-hosted app's repository (an entrypoint
script that starts nginx, then `exec gunicorn` with the script's own defaults; DATABASES
computed by a function that parses DATABASE_URL itself; ALLOWED_HOSTS from a helper djfix does
not follow; templates that frame the site's own pages; dicts keyed by actions named like
secrets; a public demo key as a default). Verify runs it as deployed, and apply changes none of
what the project relies on (slow: real gunicorn on PostgreSQL)."""

from __future__ import annotations

import sys

import pytest

from fixer.apply_verify import plan_verified
from fixer.checks import Selection
from fixer.config import effective_options
from fixer.discovery import discover
from fixer.verify import render_table, verify_project
from tests import test_runtime_projects
from tests.test_apply_projects import copy_into_git

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database


def _url(fresh_database: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{fresh_database.split(':')[0]}"


def test_verify_serves_the_original_with_gunicorn_on_a_database_of_its_own(
    tmp_path, fresh_database
):
    repo = copy_into_git("self_hosted", tmp_path)
    report = verify_project(
        repo, python=sys.executable, database_url=_url(fresh_database), only={3, 4, 5}
    )
    table = render_table(report)
    # gunicorn past the nginx the script starts first, with the script's WORKERS default
    assert "-m gunicorn --workers 2 pantry.wsgi --bind 127.0.0.1:" in report.step(3).command, table
    # the settings took DATABASE_URL (their own parser), and ALLOWED_HOSTS by its name
    assert report.step(4).status == "pass" and report.step(5).status == "pass", table
    assert any(n.startswith("the run used a new, empty database") for n in report.notes), table
    assert not any("--database-url is not used" in n for n in report.notes), table


def test_apply_keeps_what_the_project_relies_on(tmp_path, fresh_database):
    repo = copy_into_git("self_hosted", tmp_path)
    result = plan_verified(
        discover(repo),
        Selection(),
        effective_options(None),
        python=sys.executable,
        database_url=_url(fresh_database),
    )
    verification = result.verification
    assert verification.left_out == {}, verification.summary()
    settings = result.changeset.read("pantry/settings.py")
    # the site frames its own pages: DENY would blank them
    assert 'X_FRAME_OPTIONS = "SAMEORIGIN"' in settings
    # a public demo key is no secret: its default stays
    assert 'NUTRITION_API_KEY = env("NUTRITION_API_KEY", default="DEMO_KEY")' in settings
    # the action-keyed dicts are configuration, reported as nothing
    codes = [f.rule.code for f in result.after.findings]
    assert "DJ050" not in codes
    assert "DJ097" in codes  # reported, with no fix
    after = {s.number: s.status for s in verification.after.steps}
    # with the database down, the probe names DATABASE_URL, the variable the settings' own
    # function reads
    assert [after[n] for n in (3, 4, 5, 6)] == ["pass"] * 4, verification.table()
