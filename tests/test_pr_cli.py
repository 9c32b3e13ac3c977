"""`djfix apply --push/--pr` as a scheduled job meets it: a branch a person pushed to and a pull
request a person closed are left alone with a one-line note and exit 0; the action's outputs.
Real git (a local bare remote) and the local forge of tests/test_pr.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from tests.conftest import MINIMAL_MANAGE, write_tree
from tests.test_pr import GH_TOKEN, Forge, github, serve  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

BRANCH = "djfix/deploy-ready"
SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "shop"),
    }
}
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """A project whose item 11 djfix fixes, pushed to a bare remote that the PR side sees as
    github.com/acme/shop."""
    root = write_tree(
        tmp_path / "shop",
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
            ".gitignore": ".env\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Dev")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    monkeypatch.setattr("fixer.pr.remote_url", lambda root, name: "git@github.com:acme/shop.git")
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return root


def apply(repo: Path, *extra: str):
    return CliRunner().invoke(
        app,
        ["apply", str(repo), "--stay", "--select", "11", "--python", "none", "--push", *extra],
        catch_exceptions=False,
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def remote_tip(repo: Path) -> str:
    return git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}").split("\t")[0]


def test_branch_a_person_pushed_to_is_left_alone(repo, tmp_path, monkeypatch):
    first = apply(repo)
    assert first.exit_code == 0, first.output
    pushed = remote_tip(repo)
    assert pushed
    # a reviewer adds a commit to the djfix branch on the remote
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(tmp_path / "remote.git"), str(other))
    (other / "NOTES.md").write_text("reviewed\n")
    git(other, "add", "NOTES.md")
    git(other, "-c", "user.name=Rev", "-c", "user.email=rev@example.com", "commit", "-qm", "notes")
    git(other, "push", "-q", "origin", BRANCH)
    theirs = remote_tip(repo)
    # the next run (djfix's own fix changed in between: the branch would move)
    (repo / "mysite" / "settings.py").write_text(SETTINGS.replace('"shop"', '"store"'))
    git(repo, "commit", "-qam", "rename the database")
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))

    again = apply(repo)

    assert again.exit_code == 0, again.output
    note = f"Left alone: origin/{BRANCH} has commits djfix did not make (latest {theirs[:7]})"
    assert note in again.output
    assert [line for line in again.output.splitlines() if line.startswith("Left alone")] == [
        again.output.splitlines()[-1]
    ]
    assert remote_tip(repo) == theirs
    assert outputs(out) == {
        "branch": BRANCH,
        "result": "left-alone",
        "pr-url": "",
        "pr-number": "",
    }


def test_closed_pull_request_is_not_reopened_until_the_branch_is_deleted(
    repo,
    tmp_path,
    monkeypatch,
    github,  # noqa: F811
):
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    pr_args = ("--pr", "--api-url", github.base)

    opened = apply(repo, *pr_args)
    assert opened.exit_code == 0, opened.output
    assert "Pull request opened: https://github.com/acme/shop/pull/1" in opened.output
    assert outputs(out) == {
        "branch": BRANCH,
        "result": "created",
        "pr-url": "https://github.com/acme/shop/pull/1",
        "pr-number": "1",
    }
    tip = remote_tip(repo)

    # nothing changed: the pull request is not written to
    out.unlink()
    before = len(github.requests)
    same = apply(repo, *pr_args)
    assert same.exit_code == 0, same.output
    assert "Pull request unchanged: https://github.com/acme/shop/pull/1" in same.output
    assert [s.method for s in github.requests[before:]] == ["GET", "POST", "GET"]
    assert outputs(out)["result"] == "unchanged"

    # a person closes it without merging
    github.pulls[0]["state"] = "closed"
    (repo / "mysite" / "settings.py").write_text(SETTINGS.replace('"shop"', '"store"'))
    git(repo, "commit", "-qam", "rename the database")
    out.unlink()
    before = len(github.requests)
    declined = apply(repo, *pr_args)
    assert declined.exit_code == 0, declined.output
    assert declined.output.splitlines()[-1] == (
        "Declined: pull request #1 (https://github.com/acme/shop/pull/1) was closed without "
        f"merging, so djfix leaves {BRANCH} as it is. To ask again, delete the branch: "
        f"git push origin --delete {BRANCH}"
    )
    assert [s.method for s in github.requests[before:]] == ["GET"]
    assert remote_tip(repo) == tip
    assert len(github.pulls) == 1
    assert outputs(out)["result"] == "declined"

    # deleting the branch asks again
    git(repo, "push", "-q", "origin", "--delete", BRANCH)
    again = apply(repo, *pr_args)
    assert again.exit_code == 0, again.output
    assert "Pull request opened: https://github.com/acme/shop/pull/2" in again.output
    assert remote_tip(repo) != tip


def test_fleet_leaves_a_branch_a_person_pushed_to_alone(repo, tmp_path):
    # the repository itself is the fleet's remote: its djfix branch carries a person's commit
    git(repo, "branch", BRANCH)
    git(repo, "checkout", "-q", BRANCH)
    (repo / "NOTES.md").write_text("mine\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-qm", "notes")
    git(repo, "checkout", "-q", "main")
    theirs = git(repo, "rev-parse", BRANCH)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo}\n")
    result = CliRunner().invoke(
        app,
        ["apply", "--repos", str(listing), "--push", "--select", "11", "--python", "none"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith(str(repo) + " "))
    assert row.split()[1:4] == ["left", "alone", "0"]
    assert git(repo, "rev-parse", BRANCH) == theirs
