from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from fixer import handover
from fixer.apply import ItemSummary
from fixer.changeset import Changeset
from fixer.checks import ITEM_TITLES
from fixer.errors import DjfixError, UsageError
from fixer.findings import Finding, FixSafety, Rule, Severity
from tests.conftest import write_tree

BRANCH = "djfix/deploy-ready"
SETTINGS = "DEBUG = True\n"


@pytest.fixture(autouse=True)
def git_identity(tmp_path_factory, monkeypatch):
    """A known identity, and none of the machine's git configuration."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("[user]\n\tname = Tester\n\temail = tester@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def init(root: Path, files: dict[str, str] | None = None) -> Path:
    write_tree(root, files or {"mysite/settings.py": SETTINGS, "README.md": "# site\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


RULE5 = Rule("DJ050", "literal-secret", 5, Severity.ERROR, "s", FixSafety.SAFE)
RULE7 = Rule("DJ070", "health-endpoint-missing", 7, Severity.ERROR, "h", FixSafety.SAFE)
RULE9 = Rule("DJ096", "csrf-cookie-insecure", 9, Severity.WARNING, "c")


def result_for(root: Path, writes: list[tuple[str, str, int, bool]], items=None):
    """An ApplyResult as far as deliver reads it: (rel, text, item, tracked) written in order."""
    cs = Changeset(root)
    for rel, text, item, tracked in writes:
        cs.write(rel, text, item=item, tracked=tracked)
    if items is None:
        items = [
            ItemSummary(
                5, "fixed", [Finding(RULE5, "SECRET_KEY is written", "mysite/settings.py", 1)]
            ),
            ItemSummary(7, "fixed", [Finding(RULE7, "no /health", "mysite/urls.py", 1)]),
            ItemSummary(
                9,
                "partly fixed",
                [],
                [(Finding(RULE9, "CSRF", "mysite/settings.py"), "no automatic fix")],
            ),
        ]
    return SimpleNamespace(changeset=cs, project=SimpleNamespace(root=root), items=items)


STANDARD = [
    ("mysite/settings.py", "DEBUG = False\n", 5, True),
    ("mysite/settings.py", "DEBUG = False\nHEALTH = 1\n", 7, True),
    ("common/views.py", "def health(request): ...\n", 7, True),
    (".env", "SECRET_KEY=dev\n", 5, False),
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def subjects(root: Path, rev: str = f"main..{BRANCH}") -> list[str]:
    return git(root, "log", "--reverse", "--format=%s", rev).splitlines()


# -- refusals: nothing is written ------------------------------------------------------------------


def test_not_a_repository_writes_the_files(tmp_path):
    write_tree(tmp_path, {"mysite/settings.py": SETTINGS})
    delivery = handover.deliver(result_for(tmp_path, STANDARD))
    assert delivery.state == "written"
    assert delivery.written == [".env", "common/views.py", "mysite/settings.py"]
    assert (tmp_path / "mysite/settings.py").read_text() == "DEBUG = False\nHEALTH = 1\n"
    assert delivery.render().startswith("Not a git repository: 3 file(s) written into ")


def test_not_a_repository_with_push_is_refused_before_writing(tmp_path):
    write_tree(tmp_path, {"mysite/settings.py": SETTINGS})
    with pytest.raises(UsageError, match="--push needs a git repository"):
        handover.deliver(result_for(tmp_path, STANDARD), push="origin")
    assert (tmp_path / "mysite/settings.py").read_text() == SETTINGS


def test_detached_head(tmp_path):
    root = init(tmp_path)
    git(root, "checkout", "-q", "--detach")
    before = snapshot(root)
    with pytest.raises(DjfixError, match="HEAD is detached"):
        handover.deliver(result_for(root, STANDARD))
    assert snapshot(root) == before
    assert git(root, "branch", "--list", BRANCH) == ""


def test_repository_without_commits(tmp_path):
    write_tree(tmp_path, {"mysite/settings.py": SETTINGS})
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(DjfixError, match=r"the repository has no commit yet \(main is empty\)"):
        handover.deliver(result_for(tmp_path, STANDARD))
    assert (tmp_path / "mysite/settings.py").read_text() == SETTINGS
    assert not (tmp_path / ".env").exists()


def test_branch_name_taken_by_another_branch(tmp_path):
    root = init(tmp_path)
    git(root, "branch", BRANCH)
    with pytest.raises(DjfixError, match=r"djfix did not make it \(its last commit"):
        handover.deliver(result_for(root, STANDARD))
    assert git(root, "rev-parse", BRANCH) == git(root, "rev-parse", "main")
    assert not (root / ".env").exists()


def test_djfix_branch_with_a_commit_of_the_user_is_not_replaced(tmp_path):
    root = init(tmp_path)
    handover.deliver(result_for(root, STANDARD))  # ends on the branch
    (root / "README.md").write_text("# reviewed\n")
    git(root, "commit", "-qam", "review fix")
    mine = git(root, "rev-parse", "HEAD")
    git(root, "switch", "-q", "main")
    with pytest.raises(DjfixError, match=r"has commits djfix did not make:\n  [0-9a-f]{7} review"):
        handover.deliver(result_for(root, STANDARD))
    assert git(root, "rev-parse", BRANCH) == mine


def test_dirty_file_djfix_changes_is_refused(tmp_path):
    root = init(tmp_path)
    (root / "mysite/settings.py").write_text("DEBUG = True  # mine\n")
    with pytest.raises(DjfixError, match=r"uncommitted changes .*: mysite/settings\.py; commit or"):
        handover.deliver(result_for(root, [("mysite/settings.py", "X = 1\n", 5, True)]))
    assert (root / "mysite/settings.py").read_text() == "DEBUG = True  # mine\n"


def test_invalid_branch_name(tmp_path):
    root = init(tmp_path)
    with pytest.raises(UsageError, match="not a valid git branch name"):
        handover.deliver(result_for(root, STANDARD), branch="bad..name")


# -- nothing to commit -----------------------------------------------------------------------------


def test_nothing_to_commit_makes_no_branch(tmp_path):
    root = init(tmp_path)
    delivery = handover.deliver(result_for(root, [(".env", "A=1\n", 5, False)]))
    assert delivery.state == "nothing"
    assert delivery.written == [".env"]
    assert git(root, "branch", "--list", BRANCH) == ""
    assert git(root, "branch", "--show-current") == "main"


# -- the branch ------------------------------------------------------------------------------------


def test_one_commit_per_item(tmp_path):
    root = init(tmp_path)
    main = git(root, "rev-parse", "main")
    delivery = handover.deliver(result_for(root, STANDARD), stay=True)
    assert delivery.state == "created"
    assert subjects(root) == [f"djfix: {ITEM_TITLES[5]}", f"djfix: {ITEM_TITLES[7]}"]
    assert git(root, "rev-parse", "main") == main
    assert git(root, "rev-parse", f"{BRANCH}~2") == main
    assert git(root, "show", "--format=", "--name-only", f"{BRANCH}~1") == "mysite/settings.py"
    assert git(root, "show", f"{BRANCH}~1:mysite/settings.py") == "DEBUG = False"
    # item 7's commit holds its own line of the file item 5 changed first, and its new file
    assert git(root, "show", "--format=", "--name-only", BRANCH).splitlines() == [
        "common/views.py",
        "mysite/settings.py",
    ]
    assert git(root, "show", f"{BRANCH}:mysite/settings.py") == "DEBUG = False\nHEALTH = 1"
    assert git(root, "log", "-1", "--format=%B", f"{BRANCH}~1") == (
        "djfix: Configuration from the environment\n"
        "\n"
        "Checklist item 5: Configuration from the environment.\n"
        "\n"
        "Fixed:\n"
        "- DJ050 literal-secret, mysite/settings.py:1: SECRET_KEY is written\n"
        "\n"
        "Written into the work tree but not committed (ignored by git): .env.\n"
        "\n"
        "Generated-by: djfix 0.1.0\n"
        "Djfix-Item: 5"
    )
    assert git(root, "log", "-1", "--format=%B", BRANCH) == (
        "djfix: Health endpoint\n"
        "\n"
        "Checklist item 7: Health endpoint.\n"
        "\n"
        "Fixed:\n"
        "- DJ070 health-endpoint-missing, mysite/urls.py:1: no /health\n"
        "\n"
        "Generated-by: djfix 0.1.0\n"
        "Djfix-Item: 7"
    )
    assert git(root, "log", "-1", "--format=%an <%ae>", BRANCH) == "Tester <tester@example.com>"


def test_each_item_commits_its_own_lines_of_a_shared_file(tmp_path):
    root = init(tmp_path)
    writes = [
        ("mysite/settings.py", "DEBUG = False\n", 5, True),
        ("mysite/settings.py", "DEBUG = False\nCSRF_COOKIE_SECURE = True\n", 9, True),
    ]
    handover.deliver(result_for(root, writes), stay=True)
    assert subjects(root) == [f"djfix: {ITEM_TITLES[5]}", f"djfix: {ITEM_TITLES[9]}"]
    assert git(root, "show", "--format=", BRANCH) == (
        "diff --git a/mysite/settings.py b/mysite/settings.py\n"
        "index c7d5d42..ef80790 100644\n"
        "--- a/mysite/settings.py\n"
        "+++ b/mysite/settings.py\n"
        "@@ -1 +1,2 @@\n"
        " DEBUG = False\n"
        "+CSRF_COOKIE_SECURE = True"
    )
    body = git(root, "log", "-1", "--format=%B", BRANCH)
    assert (
        "Left to do by hand:\n- DJ096 csrf-cookie-insecure, mysite/settings.py: no automatic fix"
        in body
    )


def test_stages_the_planner_marked_make_the_commits(tmp_path):
    """The planner's stages (item 4's line, then the container plan that also fixed item 3)
    decide the commits, not the order of writes; an item fixed on the way is listed in them."""
    root = init(tmp_path)
    cs = Changeset(root)
    cs.write("mysite/settings.py", "DEBUG = False\nSTATIC_ROOT = 'static'\n", item=4)
    cs.mark(4)
    cs.write("Dockerfile", "FROM python:3.12-slim\n", item=2)
    cs.mark(2, fixed={3})
    rule3 = Rule("DJ030", "runserver-in-container", 3, Severity.ERROR, "r", FixSafety.SAFE)
    items = [
        ItemSummary(3, "fixed", [Finding(rule3, "runserver", "Dockerfile", 1)]),
        ItemSummary(4, "fixed", []),
        ItemSummary(2, "fixed", []),
    ]
    result = SimpleNamespace(changeset=cs, project=SimpleNamespace(root=root), items=items)
    handover.deliver(result, stay=True)
    assert subjects(root) == [f"djfix: {ITEM_TITLES[4]}", f"djfix: {ITEM_TITLES[2]}"]
    assert git(root, "show", "--format=", "--name-only", BRANCH) == "Dockerfile"
    body = git(root, "log", "-1", "--format=%B", BRANCH)
    assert (
        "Item 3 (Served by an app server) has no commit of its own: its changes are part of "
        "this one.\nFixed:\n- DJ030 runserver-in-container, Dockerfile:1: runserver"
    ) in body


def test_changes_after_the_last_stage_are_a_supporting_commit(tmp_path):
    root = init(tmp_path)
    cs = Changeset(root)
    cs.write("mysite/settings.py", "DEBUG = False\n", item=5)
    cs.mark(5)
    cs.write("requirements.txt", "django-environ\n")
    result = SimpleNamespace(changeset=cs, project=SimpleNamespace(root=root), items=[])
    handover.deliver(result, stay=True)
    assert subjects(root) == [f"djfix: {ITEM_TITLES[5]}", "djfix: Supporting changes"]
    assert git(root, "show", "--format=", "--name-only", BRANCH) == "requirements.txt"
    assert "Djfix-Item" not in git(root, "log", "-1", "--format=%B", BRANCH)


def test_untracked_files_are_written_never_committed(tmp_path):
    root = init(tmp_path, {"mysite/settings.py": SETTINGS, ".gitignore": ".env\n"})
    delivery = handover.deliver(result_for(root, STANDARD))
    assert delivery.written == [".env"]
    assert (root / ".env").read_text() == "SECRET_KEY=dev\n"
    assert ".env" not in git(root, "ls-tree", "-r", "--name-only", BRANCH).splitlines()
    assert git(root, "status", "--porcelain") == ""


def test_stay_leaves_the_original_branch_and_its_files(tmp_path):
    root = init(tmp_path)
    before = snapshot(root)
    index = git(root, "ls-files", "-s")
    delivery = handover.deliver(result_for(root, STANDARD), stay=True)
    assert delivery.checked_out == "main"
    assert git(root, "branch", "--show-current") == "main"
    assert snapshot(root) == {**before, ".env": b"SECRET_KEY=dev\n"}
    assert git(root, "ls-files", "-s") == index
    assert "The checkout stays on main; review with git diff main...djfix/deploy-ready" in (
        delivery.render()
    )


def test_default_ends_on_the_new_branch(tmp_path):
    root = init(tmp_path)
    main = git(root, "rev-parse", "main")
    delivery = handover.deliver(result_for(root, STANDARD))
    assert delivery.checked_out == BRANCH
    assert git(root, "branch", "--show-current") == BRANCH
    assert (root / "mysite/settings.py").read_text() == "DEBUG = False\nHEALTH = 1\n"
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
    assert git(root, "rev-parse", "main") == main
    assert git(root, "show", "main:mysite/settings.py") == "DEBUG = True"


def test_dirty_file_elsewhere_is_carried_over(tmp_path):
    root = init(tmp_path)
    (root / "README.md").write_text("# mine\n")
    handover.deliver(result_for(root, STANDARD))
    assert git(root, "branch", "--show-current") == BRANCH
    assert (root / "README.md").read_text() == "# mine\n"
    assert git(root, "show", f"{BRANCH}:README.md") == "# site"


def test_project_in_a_subdirectory(tmp_path):
    init(tmp_path, {"backend/mysite/settings.py": SETTINGS, "docs/index.md": "x\n"})
    project = tmp_path / "backend"
    handover.deliver(result_for(project, STANDARD), stay=True)
    files = git(tmp_path, "ls-tree", "-r", "--name-only", BRANCH).splitlines()
    assert files == ["backend/common/views.py", "backend/mysite/settings.py", "docs/index.md"]
    assert (project / ".env").read_text() == "SECRET_KEY=dev\n"


def test_crlf_file_and_executable_mode_kept(tmp_path):
    root = init(tmp_path, {"run.py": "x = 1\r\n"})
    (root / "run.py").chmod(0o755)
    git(root, "commit", "-qam", "exec")
    handover.deliver(result_for(root, [("run.py", "x = 2\n", 5, True)]), stay=True)
    assert git(root, "ls-tree", BRANCH, "run.py").split()[0] == "100755"
    blob = subprocess.run(
        ["git", "cat-file", "blob", f"{BRANCH}:run.py"], cwd=root, capture_output=True, check=True
    ).stdout
    assert blob == b"x = 2\r\n"


def test_commits_without_a_git_identity(tmp_path, monkeypatch):
    root = init(tmp_path)
    empty = tmp_path / "empty-config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("EMAIL", "")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    delivery = handover.deliver(result_for(root, STANDARD), stay=True)
    assert git(root, "log", "-1", "--format=%an <%ae>", BRANCH) == "djfix <djfix@localhost>"
    assert "git has no user identity here" in delivery.notes[0]


def test_project_formatter_runs_on_touched_files(tmp_path):
    root = init(tmp_path, {"pyproject.toml": "[tool.ruff]\n", "README.md": "x\n"})
    handover.deliver(
        result_for(root, [("common/views.py", "def f( a ):\n    return {'a':a}\n", 7, True)]),
        stay=True,
    )
    assert git(root, "show", f"{BRANCH}:common/views.py") == ('def f(a):\n    return {"a": a}')


# -- second runs -----------------------------------------------------------------------------------


def test_second_run_with_nothing_new_adds_no_commit(tmp_path):
    root = init(tmp_path)
    first = handover.deliver(result_for(root, STANDARD), stay=True)
    second = handover.deliver(result_for(root, STANDARD), stay=True)
    assert second.state == "unchanged"
    assert second.commits == []
    assert git(root, "rev-parse", BRANCH) == first.tip
    assert second.render().startswith(
        f"Branch {BRANCH} unchanged: no new commit: its tree is already what this run makes"
    )


def test_second_run_after_main_moved_rebuilds_on_main(tmp_path):
    root = init(tmp_path)
    first = handover.deliver(result_for(root, STANDARD), stay=True)
    (root / "README.md").write_text("# site 2\n")
    git(root, "commit", "-qam", "more")
    second = handover.deliver(result_for(root, STANDARD), stay=True)
    assert second.state == "updated"
    assert second.previous == first.tip
    assert git(root, "rev-parse", f"{BRANCH}~2") == git(root, "rev-parse", "main")
    assert subjects(root) == [f"djfix: {ITEM_TITLES[5]}", f"djfix: {ITEM_TITLES[7]}"]
    assert first.tip in git(root, "reflog", "--format=%H", BRANCH).splitlines()


def test_run_on_the_djfix_branch_fast_forwards_it(tmp_path):
    root = init(tmp_path)
    first = handover.deliver(result_for(root, STANDARD))
    assert git(root, "branch", "--show-current") == BRANCH
    later = result_for(root, [("Dockerfile", "FROM python:3.12-slim\n", 1, True)])
    second = handover.deliver(later)
    assert second.state == "updated"
    assert git(root, "rev-parse", f"{BRANCH}~1") == first.tip
    assert (root / "Dockerfile").read_text() == "FROM python:3.12-slim\n"
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""


# -- push ------------------------------------------------------------------------------------------


@pytest.fixture
def remote(tmp_path):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    return bare


def cloned(tmp_path: Path, bare: Path) -> Path:
    root = init(tmp_path / "work")
    git(root, "remote", "add", "origin", str(bare))
    git(root, "push", "-q", "origin", "main")
    return root


def test_push_to_a_bare_remote_and_again_after_rebuild(tmp_path, remote):
    root = cloned(tmp_path, remote)
    first = handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    assert first.pushed == "origin"
    assert git(remote, "rev-parse", BRANCH) == first.tip
    (root / "README.md").write_text("# site 2\n")
    git(root, "commit", "-qam", "more")
    second = handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    assert git(remote, "rev-parse", BRANCH) == second.tip != first.tip
    third = handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    assert third.state == "unchanged"
    assert third.pushed == "origin"


def test_unknown_remote_is_refused_before_anything(tmp_path):
    root = init(tmp_path)
    with pytest.raises(UsageError, match=r"no remote of that name \(it has: none"):
        handover.deliver(result_for(root, STANDARD), push="origin")
    assert git(root, "branch", "--list", BRANCH) == ""


def test_push_rejected_by_the_remote(tmp_path, remote):
    root = cloned(tmp_path, remote)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(handover.PushError, match="was rejected") as caught:
        handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    assert "nothing is lost: the branch djfix/deploy-ready is complete locally" in str(caught.value)
    assert caught.value.delivery.state == "created"
    assert git(root, "rev-parse", BRANCH) == caught.value.delivery.tip
    assert git(remote, "branch", "--list", BRANCH) == ""


def test_remote_branch_with_foreign_commits_is_not_replaced(tmp_path, remote):
    root = cloned(tmp_path, remote)
    handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(remote), str(other))
    (other / "README.md").write_text("# reviewer\n")
    git(other, "commit", "-qam", "reviewer change")
    git(other, "push", "-q", "origin", BRANCH)
    theirs = git(remote, "rev-parse", BRANCH)
    (root / "README.md").write_text("# site 2\n")
    git(root, "commit", "-qam", "more")
    with pytest.raises(handover.PushError, match="has commits djfix did not make"):
        handover.deliver(result_for(root, STANDARD), push="origin", stay=True)
    assert git(remote, "rev-parse", BRANCH) == theirs


# -- with the real planner -------------------------------------------------------------------------


def test_real_plan_delivered(tmp_path):
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import effective_options
    from fixer.discovery import discover
    from tests.conftest import MINIMAL_MANAGE
    from tests.test_apply import SETTINGS as REAL_SETTINGS

    root = init(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": REAL_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        },
    )
    result = plan(discover(root), Selection(), effective_options(None))
    delivery = handover.deliver(result)
    # one commit per item whose plan changed a tracked file, in the order the plans ran
    staged = [s.item for s in result.changeset.staged()]
    trailers = git(
        root, "log", "--reverse", "--format=%(trailers:key=Djfix-Item,valueonly)", "main.."
    )
    items = [int(t) for t in trailers.split()]
    assert items == sorted(set(items), key=staged.index)
    assert subjects(root) == [f"djfix: {ITEM_TITLES[i]}" for i in items]
    assert delivery.written == [".env"]
    assert git(root, "status", "--porcelain") == ""
    tree = set(git(root, "ls-tree", "-r", "--name-only", BRANCH).splitlines())
    assert {c.rel for c in result.changeset.changes(tracked=True)} <= tree
    assert ".env" not in tree
    again = plan(discover(root), Selection(), effective_options(None))
    assert again.changeset.changes(tracked=True) == []
    assert handover.deliver(again).state == "unchanged"
