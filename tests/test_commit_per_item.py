"""One commit per item, really: on a real test project each commit of the branch holds only its
item's changes, also inside the settings file six items change."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from fixer import handover, pr_body
from fixer.apply import plan
from fixer.checks import ITEM_TITLES, Selection
from fixer.config import effective_options
from fixer.discovery import discover

pytestmark = pytest.mark.slow

PROJECTS = Path(__file__).parent / "projects"
SETTINGS = "legacy/settings.py"
# lines only one item's plan writes into the settings
MARKERS = {
    4: ["STATIC_ROOT"],
    5: ["SECRET_KEY", "environ.Env", "EMAIL_HOST_PASSWORD", "AWS_SECRET_ACCESS_KEY"],
    7: ["common.apps.CommonConfig", "HealthCheckMiddleware"],
    8: ["IGNORE_EXCEPTIONS", "SOCKET_CONNECT_TIMEOUT", "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS"],
    9: ["SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "SecurityMiddleware"],
    11: ["CONN_MAX_AGE"],
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    root = tmp_path_factory.mktemp("legacy_single") / "repo"
    shutil.copytree(PROJECTS / "legacy_single", root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    result = plan(discover(root), Selection(), effective_options(None))
    delivery = handover.deliver(result, stay=True)
    return root, result, delivery


def commits(root: Path) -> list[tuple[str, int | None]]:
    out = []
    for line in git(
        root,
        "log",
        "--reverse",
        "--format=%H %(trailers:key=Djfix-Item,valueonly,separator=)",
        "main..djfix/deploy-ready",
    ).splitlines():
        sha, _, item = line.partition(" ")
        out.append((sha, int(item) if item.strip() else None))
    return out


def changed_lines(root: Path, sha: str, path: str) -> list[str]:
    diff = git(root, "show", "--format=", sha, "--", path)
    return [
        ln[1:] for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]


def test_commits_follow_the_plan_order(delivered):
    root, _, delivery = delivered
    items = [item for _, item in commits(root)]
    # the compose rewrite (item 4) builds on the Dockerfile (item 2): a second item-4 commit,
    # holding only item 4's changes, comes after it
    assert items == [5, 7, 8, 9, 10, 11, 12, 4, 2, 4]
    subjects = [f"djfix: {ITEM_TITLES[i]}" for i in items]
    subjects[-1] += " (continued)"
    assert [c.subject for c in delivery.commits] == subjects


def test_the_item_4_commit_holds_no_secret_key_line(delivered):
    root, _, _ = delivered
    sha = next(sha for sha, item in commits(root) if item == 4)
    diff = git(root, "show", "--format=", sha)
    assert "SECRET_KEY" not in diff
    assert git(root, "show", "--format=", "--name-only", sha).split() == [SETTINGS]
    assert changed_lines(root, sha, SETTINGS) == [
        'STATIC_ROOT = os.path.join(BASE_DIR, "staticfiles")'
    ]


def test_each_commit_touches_only_its_item(delivered):
    root, _, _ = delivered
    seen_settings = 0
    for sha, item in commits(root):
        lines = changed_lines(root, sha, SETTINGS)
        if not lines:
            continue
        seen_settings += 1
        own = MARKERS[item]
        assert any(m in ln for ln in lines for m in own), (item, lines)
        for other, markers in MARKERS.items():
            if other == item:
                continue
            stray = [ln for ln in lines for m in markers if m in ln]
            assert stray == [], f"item {item}'s commit carries item {other}'s lines: {stray}"
    assert seen_settings == 6


def test_each_item_brings_its_own_variables_and_packages(delivered):
    root, _, _ = delivered
    by_item = {item: sha for sha, item in commits(root)}
    example_5 = "\n".join(changed_lines(root, by_item[5], ".env.example"))
    assert "SECRET_KEY=" in example_5 and "CONN_MAX_AGE" not in example_5
    assert [ln for ln in changed_lines(root, by_item[11], ".env.example") if "=" in ln] == [
        "CONN_MAX_AGE=60"
    ]
    assert any("django-environ" in ln for ln in changed_lines(root, by_item[5], "requirements.txt"))
    assert changed_lines(root, by_item[4], "requirements.txt") == []
    assert any("gunicorn" in ln for ln in changed_lines(root, by_item[2], "requirements.txt"))


def test_every_commit_leaves_settings_that_parse_and_the_last_is_the_plan(delivered):
    root, result, _ = delivered
    for sha, _ in commits(root):
        ast.parse(git(root, "show", f"{sha}:{SETTINGS}"))
    for change in result.changeset.changes(tracked=True):
        assert git(root, "show", f"djfix/deploy-ready:{change.rel}") == change.new


def test_pr_body_lists_the_commits_and_where_each_secret_was(delivered):
    _, result, delivery = delivered
    body = pr_body.render_body(result, delivery=delivery)
    listed = [ln for ln in body.split("## Commits")[1].split("\n## ")[0].splitlines() if ln]
    assert listed[0].startswith("In the order djfix planned the items: 5 to 13 first")
    assert len(listed) == 1 + len(delivery.commits)
    first = delivery.commits[0]
    assert listed[1] == (
        f"- `{first.sha[:7]}` djfix: Configuration from the environment (fixes "
        + ", ".join(sorted({f.code for s in result.items if s.item == 5 for f in s.fixed}))
        + "): `.env.example`, `docker-compose.yml`, `legacy/settings.py`, `requirements.txt`"
    )  # the compose file's mounted .env and literal password are item 5's configuration
    assert (
        "- `DATABASES['default']['PASSWORD']` (was in `legacy/settings.py:59`; now read from "
        "`DATABASE_URL`)"
    ) in body
    assert "- `SECRET_KEY` (was in `legacy/settings.py:13`)" in body
