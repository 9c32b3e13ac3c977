"""`djfix verify` on the test projects, for real: real Django, gunicorn/daphne, PostgreSQL (a
fresh database per test), Redis and the database taken down on closed loopback ports.

deploy_ready passes every step that applies; a project before `djfix apply` fails the step its
gaps break; every test project and examples/legacy_project pass steps 1-7 after apply.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.verify import verify_project
from tests import test_apply_projects, test_runtime_projects
from tests.conftest import PROJECTS
from tests.test_apply_projects import OLD_DJANGO, apply_argv, git

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database
old_django_server_python = test_runtime_projects.old_django_server_python
old_django_python = test_runtime_projects.old_django_python
REPORTED_NOT_FIXED = test_apply_projects.REPORTED_NOT_FIXED

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "legacy_project"
# djfix reports these projects' settings as not fixed (a class copied into the module): verify
# must then say so too, not pass them (see test_a_project_reported_not_fixed_fails_verify)
PROJECT_NAMES = sorted(
    p.name
    for p in PROJECTS.iterdir()
    if p.is_dir() and (p / ".gitignore").exists() and p.name not in REPORTED_NOT_FIXED
)


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(root.rglob("*"))
        if ".git" not in p.relative_to(root).parts
    }


def database_url(name: str, database: str) -> str:
    """The fresh database for the project: MariaDB for the MySQL project, else PostgreSQL."""
    if uses_mysql_name(name):
        if database.endswith(":postgres-only"):
            pytest.skip("no MariaDB on 127.0.0.1:3306 or no MySQL driver")
        return f"mysql://root@127.0.0.1:3306/{database}"
    return f"postgres://postgres@127.0.0.1:5432/{database.split(':')[0]}"


def uses_mysql_name(name: str) -> bool:
    from fixer.discovery import discover

    source = EXAMPLE if name == "legacy_project" else PROJECTS / name
    return any(s.kind == "mysql" for s in discover(source).services)


def applied_copy(name: str, tmp_path: Path) -> Path:
    source = EXAMPLE if name == "legacy_project" else PROJECTS / name
    repo = tmp_path / name
    shutil.copytree(source, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial")
    result = CliRunner().invoke(app, apply_argv(name, repo), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return repo


def python_for(name: str, request) -> str:
    if name in OLD_DJANGO:
        return str(request.getfixturevalue("old_django_server_python"))
    return sys.executable


def statuses(report) -> dict[int, str]:
    return {s.number: s.status for s in report.steps}


def explain(report) -> str:
    from fixer.verify import render_table

    return render_table(report)


def test_deploy_ready_passes_and_writes_nothing(tmp_path):
    before = snapshot(PROJECTS / "deploy_ready")
    report = verify_project(PROJECTS / "deploy_ready", python=sys.executable)
    assert statuses(report) == {
        1: "pass",
        2: "pass",
        3: "pass",
        4: "pass",
        5: "pass",
        6: "skipped",
        7: "pass",
        8: "skipped",
    }, explain(report)
    assert report.step(6).reason.startswith("the database is SQLite here")
    assert report.ok()
    assert snapshot(PROJECTS / "deploy_ready") == before


def test_deploy_ready_with_postgres_takes_the_database_down(fresh_database, tmp_path):
    # trust authentication: the password is never checked, only never shown
    url = database_url("deploy_ready", fresh_database).replace(
        "postgres@", "postgres:pw-never-shown@"
    )
    result = CliRunner().invoke(
        app,
        [
            *("verify", str(PROJECTS / "deploy_ready"), "--python", sys.executable),
            *("--database-url", url, "--format", "json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["status"] for s in data["steps"]] == ["pass"] * 7 + ["skipped"]
    assert "DATABASE_URL" in data["env_names"]
    # the reviewer's commands export the real variable names and no secret
    exports = [c for c in data["commands"] if c.startswith("export ")]
    assert any(c.startswith('export SECRET_KEY="$(python -c') for c in exports)
    # on a database of the review's own, never the given one
    review = url.replace("pw-never-shown", "<password>").rsplit("/", 1)[0] + "/djfix_review"
    assert f"export DATABASE_URL={shlex.quote(review)}" in exports
    assert data["commands"][1] == "createdb -h 127.0.0.1 -p 5432 -U postgres -W djfix_review"
    assert "pw-never-shown" not in result.output


def test_reviewer_commands_run_as_written(tmp_path):
    """The "How to verify" block, pasted into a shell with the project's python on PATH."""
    repo = tmp_path / "deploy_ready"
    shutil.copytree(PROJECTS / "deploy_ready", repo)
    report = verify_project(repo, python=sys.executable, only={1, 2, 3, 4})
    script = "set -e\n" + "\n".join(report.commands) + "\n"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, script + done.stdout + done.stderr
    assert '"status": "ok"' in done.stdout


def test_before_apply_the_legacy_example_fails_check_deploy():
    result = CliRunner().invoke(app, ["verify", str(EXAMPLE), "--python", sys.executable])
    assert result.exit_code == 1, result.output
    assert "security.W018" in result.output  # DEBUG = True
    report = verify_project(EXAMPLE, python=sys.executable, only={1, 3})
    assert report.step(1).status == "fail"
    # DATABASES is written in the settings: nothing verify can point at a throwaway database
    assert report.step(3).status == "skipped"
    assert "DATABASES is written in the settings" in report.step(3).reason


def test_before_apply_split_settings_fails_on_its_migration_conflict(tmp_path):
    report = verify_project(PROJECTS / "split_settings", python=sys.executable, only={1, 2})
    assert statuses(report) == {1: "fail", 2: "fail"}, explain(report)
    assert report.step(2).reason.startswith("conflicting migrations"), explain(report)


def step7_expected(repo: Path) -> bool:
    """Whether the project installs django.contrib.staticfiles (else it has no collectstatic)."""
    return any(
        "django.contrib.staticfiles" in path.read_text(encoding="utf-8", errors="replace")
        for path in repo.rglob("*.py")
    )


@pytest.mark.parametrize("name", [*PROJECT_NAMES, "legacy_project"])
def test_after_apply_every_step_passes(name, tmp_path, fresh_database, request):
    repo = applied_copy(name, tmp_path)
    before = snapshot(repo)
    report = verify_project(
        repo,
        python=python_for(name, request),
        database_url=database_url(name, fresh_database),
    )
    # an API-only project (no django.contrib.staticfiles) has no collectstatic to run
    collects = step7_expected(repo)
    assert statuses(report) == {
        1: "pass",
        2: "pass",
        3: "pass",
        4: "pass",
        5: "pass",
        6: "pass",
        7: "pass" if collects else "skipped",
        8: "skipped",
    }, explain(report)
    if not collects:
        assert report.step(7).reason == "the Dockerfile runs no collectstatic", explain(report)
    assert snapshot(repo) == before


def test_a_planted_django_module_runs_only_in_the_copy(tmp_path):
    repo = tmp_path / "deploy_ready"
    shutil.copytree(PROJECTS / "deploy_ready", repo)
    (repo / "django.py").write_text(
        "import os\nopen(os.path.join(os.getcwd(), 'planted'), 'w').close()\n"
    )
    before = snapshot(repo)
    report = verify_project(repo, python=sys.executable, only={1})
    assert report.step(1).status == "fail"  # the planted module shadows Django, in the copy
    assert snapshot(repo) == before


@pytest.mark.parametrize("name", sorted(REPORTED_NOT_FIXED))
def test_a_project_reported_not_fixed_fails_verify(name, tmp_path, request):
    # settings djfix cannot rewrite (class attributes copied into the module) stay as they were:
    # check --deploy still warns, and verify says so rather than passing
    repo = applied_copy(name, tmp_path)
    report = verify_project(repo, python=python_for(name, request), only={1})
    assert report.step(1).status == "fail", explain(report)
