"""`djfix apply` through the command line, handing the change over with real git: a branch with
one commit per item, a second run that adds nothing, a push to a local bare remote, a pull request
against a local server speaking GitHub's API, and several repositories at once."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from tests.conftest import PROJECTS
from tests.test_pr import GH_TOKEN, Forge, github, serve  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def git(cwd, *args) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def repo_of(name, tmp_path):
    repo = tmp_path / name
    shutil.copytree(PROJECTS / name, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Dev")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    return repo


def invoke(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_branch_with_one_commit_per_item_and_a_second_run_adds_nothing(tmp_path):
    repo = repo_of("split_settings", tmp_path)
    main_before = git(repo, "rev-parse", "main")
    result = invoke("apply", str(repo), "--stay")
    assert "djfix bug" not in result.output, result.output
    assert git(repo, "rev-parse", "main") == main_before  # the user's branch is untouched
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    subjects = git(repo, "log", "--format=%s", "main..djfix/deploy-ready").splitlines()
    assert subjects and all(s.startswith("djfix: ") for s in subjects)
    assert len(subjects) == len(set(subjects))
    assert "djfix: Configuration from the environment" in subjects
    tip = git(repo, "rev-parse", "djfix/deploy-ready")
    again = invoke("apply", str(repo), "--stay")
    assert git(repo, "rev-parse", "djfix/deploy-ready") == tip, again.output


def test_pull_request_opened_then_updated(tmp_path, github, monkeypatch):  # noqa: F811
    repo = repo_of("celery_services", tmp_path)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    args = (
        "apply",
        str(repo),
        "--stay",
        "--pr",
        "--provider",
        "github",
        "--api-url",
        github.base,
        "--base",
        "main",
    )
    # a local path as the remote: the PR side needs the slug, which the forge is asked for
    monkeypatch.setattr(
        "fixer.pr.remote_url", lambda root, name: "https://github.com/acme/shop.git"
    )
    first = invoke(*args)
    assert "Pull request opened" in first.output, first.output
    assert GH_TOKEN not in first.output
    assert git(remote, "rev-parse", "djfix/deploy-ready").strip()
    second = invoke(*args)
    assert "Pull request updated" in second.output or "unchanged" in second.output, second.output
    assert len(github.pulls) == 1


def test_many_repositories_one_failure_does_not_stop_the_others(tmp_path):
    good = [repo_of(n, tmp_path) for n in ("asgi_channels", "manage_subfolder")]
    bad = tmp_path / "not-django"
    bad.mkdir()
    (bad / "README.md").write_text("hello\n")
    git(bad, "init", "-q", "-b", "main")
    git(bad, "add", "-A")
    git(bad, "-c", "user.name=d", "-c", "user.email=d@example.com", "commit", "-qm", "i")
    listing = tmp_path / "repos.txt"
    listing.write_text("# the fleet\n" + "\n".join(str(p) for p in [*good, bad]) + "\n")
    workdir = tmp_path / "clones"
    result = invoke("apply", "--repos", str(listing), "--workdir", str(workdir), "-j", "2")
    assert result.exit_code == 3, result.output
    assert "not-django" in result.output
    clones = {p.name.split("-", 1)[1]: p for p in workdir.iterdir()}  # NNN-<name>
    for repo in good:
        assert git(clones[repo.name], "rev-parse", "--verify", "djfix/deploy-ready").strip()
