"""The branch hand-over never loses a person's work: amended or added commits on the djfix
branch, uncommitted edits under --allow-dirty, an untracked file djfix would replace; and the
`.env` it writes is ignored by git on whatever branch the checkout ends."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.reliability.conftest import build, git, invoke

BRANCH = "djfix/deploy-ready"


def _applied(tmp_path: Path, overrides=None) -> Path:
    repo = build(tmp_path / "repo", overrides)
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert git(repo, "rev-parse", "--verify", BRANCH).strip(), done.output
    return repo


@pytest.mark.slow
def test_amended_djfix_commit_is_never_discarded(tmp_path):
    repo = _applied(tmp_path)
    git(repo, "switch", "-q", BRANCH)
    (repo / "mysite/urls.py").write_text(
        "# reviewed by hand\n" + (repo / "mysite/urls.py").read_text()
    )
    git(repo, "commit", "-q", "-a", "--amend", "--no-edit")  # keeps djfix's trailer
    amended = git(repo, "rev-parse", BRANCH).strip()
    git(repo, "switch", "-q", "main")
    (repo / "README.md").write_text("news\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "news on main")
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert done.exit_code == 3
    assert "changed after djfix made it" in done.output
    assert git(repo, "rev-parse", BRANCH).strip() == amended


@pytest.mark.slow
def test_commit_added_with_a_copied_trailer_is_never_discarded(tmp_path):
    repo = _applied(tmp_path)
    git(repo, "switch", "-q", BRANCH)
    (repo / "NOTES.md").write_text("mine\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-qm", "my notes\n\nGenerated-by: djfix 0.1.0")
    added = git(repo, "rev-parse", BRANCH).strip()
    git(repo, "switch", "-q", "main")
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert done.exit_code == 3, done.output
    assert "changed after djfix made it" in done.output
    assert git(repo, "rev-parse", BRANCH).strip() == added


@pytest.mark.slow
def test_second_run_on_an_untouched_djfix_branch_still_works(tmp_path):
    repo = _applied(tmp_path)
    tip = git(repo, "rev-parse", BRANCH).strip()
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert done.exit_code in (0, 1), done.output
    assert git(repo, "rev-parse", BRANCH).strip() == tip


def test_allow_dirty_never_commits_edits_to_a_non_ascii_path(tmp_path):
    repo = build(tmp_path / "repo", {"prøject/" + k: v for k, v in _subproject().items()})
    settings = repo / "prøject/mysite/settings.py"
    settings.write_text(settings.read_text() + "\nMY_UNCOMMITTED_EDIT = 1\n")
    done = invoke("apply", str(repo / "prøject"), "--allow-dirty", "--stay", "--python", "none")
    assert done.exit_code == 3, done.output
    assert "uncommitted changes" in done.output and "mysite/settings.py" in done.output
    assert (
        subprocess.run(
            ["git", "rev-parse", "--verify", "-q", BRANCH], cwd=repo, capture_output=True
        ).returncode
        != 0
    )
    assert "MY_UNCOMMITTED_EDIT" in settings.read_text()


def _subproject() -> dict[str, str]:
    from tests.reliability.conftest import base_files

    return {k: v for k, v in base_files().items() if k != ".gitignore"}


@pytest.mark.slow
def test_untracked_file_djfix_would_replace_is_kept(tmp_path):
    repo = build(tmp_path / "repo")
    mine = "FROM python:3.12\n# my own untracked Dockerfile\n"
    (repo / "Dockerfile").write_text(mine)
    done = invoke("apply", str(repo), "--python", "none")
    assert done.exit_code in (0, 1, 3), done.output
    kept = [p for p in (repo / "Dockerfile", repo / "Dockerfile.orig") if p.exists()]
    assert any(p.read_text() == mine for p in kept), done.output


def test_untracked_dockerfile_djfix_replaces_is_kept_as_orig_with_no_branch(tmp_path):
    repo = build(tmp_path / "repo")
    mine = "FROM python:3.12\nCOPY . /app\nCMD python manage.py runserver 0.0.0.0:8000\n"
    (repo / "Dockerfile").write_text(mine)
    done = invoke("apply", str(repo), "--no-branch", "--python", "none")
    assert (repo / "Dockerfile").read_text() != mine  # djfix did replace it...
    assert (repo / "Dockerfile.orig").read_text() == mine  # ...and kept the user's
    assert "Dockerfile.orig" in done.output


SECRET = "db-pass-for-the-env-test-91x"


def _with_password() -> dict[str, str]:
    from tests.reliability.conftest import SETTINGS

    settings = SETTINGS.replace(
        '"ENGINE": "django.db.backends.sqlite3",\n'
        '        "NAME": os.path.join(BASE_DIR, "db.sqlite3"),',
        f'"ENGINE": "django.db.backends.postgresql",\n        "NAME": "shop",\n'
        f'        "PASSWORD": "{SECRET}",\n        "HOST": "db",',
    )
    assert SECRET in settings
    return {"mysite/settings.py": settings}


def _ignored(repo: Path, rel: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", rel], cwd=repo).returncode == 0


@pytest.mark.slow
def test_env_is_ignored_when_the_checkout_stays(tmp_path):
    repo = build(tmp_path / "repo", _with_password())
    done = invoke("apply", str(repo), "--stay", "--python", "none")
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert SECRET in (repo / ".env").read_text(), done.output
    assert (repo / ".env").stat().st_mode & 0o777 == 0o600
    assert _ignored(repo, ".env"), done.output
    git(repo, "add", "-A")
    assert ".env" not in git(repo, "diff", "--cached", "--name-only").split()


def test_env_is_ignored_when_the_switch_is_refused(tmp_path):
    repo = build(tmp_path / "repo", _with_password())
    # an untracked file the branch would overwrite: git refuses the switch
    (repo / "Dockerfile").write_text("FROM scratch\n")
    done = invoke("apply", str(repo), "--python", "none")
    assert git(repo, "branch", "--show-current").strip() == "main", done.output
    assert _ignored(repo, ".env") or ".env is NOT ignored" in done.output


def test_env_is_ignored_on_the_new_branch(tmp_path):
    repo = build(tmp_path / "repo", _with_password())
    invoke("apply", str(repo), "--python", "none")
    assert git(repo, "branch", "--show-current").strip() == BRANCH
    assert _ignored(repo, ".env")
    assert os.stat(repo / ".env").st_mode & 0o777 == 0o600


def test_branch_name_git_refuses_is_refused_before_anything_is_written(tmp_path):
    repo = build(tmp_path / "repo")
    for name in ("a..b", "-x", "x.lock", "a b", "@{-1}"):
        done = invoke("apply", str(repo), "--branch", name, "--python", "none")
        assert done.exit_code == 2, (name, done.output)
        assert "not a valid git branch name" in done.output
    assert git(repo, "status", "--porcelain") == ""
