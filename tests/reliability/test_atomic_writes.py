"""Writes are atomic as a whole: a failed write, an interrupt or a killed process at any point
leaves the work tree as it was or fully applied, with no `.djfix-*` file and no empty folder."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fixer import changeset as changeset_module
from fixer.apply import plan
from fixer.changeset import Changeset, journal_path, recover
from fixer.checks import Selection
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.errors import DjfixError
from tests.reliability.conftest import build, run_djfix, tree_bytes

SECRET_PASSWORD = "pw-for-the-staged-env-7Hq2"
SETTINGS_WITH_PASSWORD = {
    "mysite/settings.py": textwrap.dedent(
        f"""\
        import os

        SECRET_KEY = "a-secret-key-for-the-atomic-tests-0123456789"
        DEBUG = True
        ALLOWED_HOSTS = []
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
        MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
        ROOT_URLCONF = "mysite.urls"
        WSGI_APPLICATION = "mysite.wsgi.application"
        DATABASES = {{
            "default": {{
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "shop",
                "PASSWORD": "{SECRET_PASSWORD}",
                "HOST": "db",
            }}
        }}
        """
    )
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The original tree, the tree fully applied, and the planned changes (rel, new text)."""
    base = tmp_path_factory.mktemp("atomic")
    original = build(base / "original", SETTINGS_WITH_PASSWORD, repo=False)
    before = tree_bytes(original)
    project = discover(original)
    result = plan(project, Selection(), effective_options(Config()))
    changes = result.changeset.changes()
    assert len(changes) >= 5, [c.rel for c in changes]
    applied = base / "applied"
    shutil.copytree(original, applied)
    cs = _changeset_of(applied, changes)
    cs.commit()
    assert tree_bytes(original) == before
    return original, tree_bytes(original), tree_bytes(applied), changes


def _changeset_of(root: Path, changes) -> Changeset:
    cs = Changeset(root)
    for c in changes:
        cs.write(c.rel, c.new, tracked=c.tracked)
    return cs


def _assert_whole(root: Path, before, after) -> str:
    now = tree_bytes(root)
    leftovers = [rel for rel in now if Path(rel).name.startswith(".djfix-")]
    assert not leftovers
    assert not journal_path(root).exists()
    if now == before:
        return "untouched"
    assert now == after
    return "applied"


class _Boom(OSError):
    pass


def _fail_at(monkeypatch, name: str, k: int, exc: BaseException) -> list[int]:
    real = getattr(changeset_module, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(changeset_module, name, wrapper)
    return calls


def _every_point(tmp_path, planned, monkeypatch, name: str, exc_of) -> list[str]:
    original, before, after, changes = planned
    outcomes = []
    k = 1
    while True:
        root = tmp_path / f"k{k}"
        shutil.copytree(original, root)
        cs = _changeset_of(root, changes)
        with monkeypatch.context() as m:
            calls = _fail_at(m, name, k, exc_of(k))
            try:
                cs.commit()
                failed = False
            except (DjfixError, KeyboardInterrupt):
                failed = True
        assert failed == (calls[0] >= k)
        outcomes.append(_assert_whole(root, before, after))
        if calls[0] < k:  # the failure point lies past the last call: every point was tried
            break
        k += 1
    return outcomes


@pytest.mark.slow
def test_failed_rename_at_every_point_leaves_tree_untouched(tmp_path, planned, monkeypatch):
    outcomes = _every_point(
        tmp_path, planned, monkeypatch, "_replace", lambda k: _Boom(28, "No space left", "f")
    )
    assert outcomes[:-1] == ["untouched"] * (len(outcomes) - 1)
    assert outcomes[-1] == "applied"


def test_failed_write_at_every_point_leaves_tree_untouched(tmp_path, planned, monkeypatch):
    outcomes = _every_point(
        tmp_path, planned, monkeypatch, "_write_new", lambda k: _Boom(5, "I/O error", "f")
    )
    assert set(outcomes[:-1]) == {"untouched"}
    assert outcomes[-1] == "applied"


@pytest.mark.slow
def test_interrupt_at_every_point_leaves_tree_untouched(tmp_path, planned, monkeypatch):
    outcomes = _every_point(
        tmp_path, planned, monkeypatch, "_replace", lambda k: KeyboardInterrupt()
    )
    assert set(outcomes[:-1]) == {"untouched"}


KILLER = """\
import os, signal, sys
from pathlib import Path
from fixer import changeset as m
from fixer.changeset import Changeset
import json

root, k, name = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
changes = json.loads(Path(sys.argv[4]).read_text())
real = getattr(m, name)
calls = [0]

def wrapper(*args, **kwargs):
    calls[0] += 1
    if calls[0] == k:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

setattr(m, name, wrapper)
cs = Changeset(root)
for rel, new, tracked in changes:
    cs.write(rel, new, tracked=tracked)
cs.commit()
print("finished")
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["_write_new", "_replace"])
def test_process_killed_at_every_point_is_completed_or_undone_by_the_next_run(
    tmp_path, planned, name
):
    import json

    original, before, after, changes = planned
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    data = tmp_path / "changes.json"
    data.write_text(json.dumps([[c.rel, c.new, c.tracked] for c in changes]))
    seen = set()
    for k in range(1, 60):
        root = tmp_path / f"{name}{k}"
        shutil.copytree(original, root)
        done = subprocess.run(
            [sys.executable, str(script), str(root), str(k), name, str(data)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )
        if done.returncode == 0:
            assert _assert_whole(root, before, after) == "applied"
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        assert journal_path(root).exists()
        # the staged .env, holding the password, is never readable by others
        entries = json.loads(journal_path(root).read_text())["entries"]
        for entry in entries:
            staged = root / entry["tmp"]
            if entry["rel"] == ".env" and staged.exists():
                assert SECRET_PASSWORD in staged.read_text()
                assert staged.stat().st_mode & 0o077 == 0
        recover(root)
        seen.add(_assert_whole(root, before, after))
    else:
        pytest.fail("the write never finished")
    # killed while staging: undone; killed while renaming (past the commit point): completed
    assert seen == ({"applied"} if name == "_replace" else {"untouched"})


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_real_signal_to_apply_leaves_tree_whole(tmp_path, planned, signum):
    original, before, after, _ = planned
    outcomes = set()
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.2, 2.6, 3.0):
        root = tmp_path / f"d{delay}"
        shutil.copytree(original, root)
        proc = subprocess.Popen(
            [sys.executable, "-m", "fixer", "apply", str(root), "--no-branch", "--python", "none"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        time.sleep(delay)
        proc.send_signal(signum)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        if signum == signal.SIGINT and proc.returncode == 130:
            assert err == "djfix: interrupted\n"
        outcomes.add(_assert_whole(root, before, after))
    assert "untouched" in outcomes


def test_no_empty_folder_left_after_a_failed_write(tmp_path, monkeypatch):
    root = build(tmp_path / "repo", repo=False)
    before = tree_bytes(root)
    cs = Changeset(root)
    cs.write("common/health/__init__.py", "")
    cs.write("common/health/views.py", "X = 1\n")
    cs.write("zz.py", "Z = 1\n")
    _fail_at(monkeypatch, "_write_new", 3, _Boom(122, "Disk quota exceeded", "zz.py"))
    with pytest.raises(DjfixError, match="no file was changed"):
        cs.commit()
    assert tree_bytes(root) == before
    assert not (root / "common").exists()


def test_no_empty_folder_left_after_a_failed_rename(tmp_path, monkeypatch):
    root = build(tmp_path / "repo", repo=False)
    before = tree_bytes(root)
    cs = Changeset(root)
    cs.write("common/health/__init__.py", "")
    cs.write("common/health/views.py", "X = 1\n")
    _fail_at(monkeypatch, "_replace", 2, _Boom(28, "No space left", "f"))
    with pytest.raises(DjfixError, match="no file was changed"):
        cs.commit()
    assert tree_bytes(root) == before
    assert not (root / "common").exists()


@pytest.mark.slow
def test_env_created_0600(tmp_path):
    root = build(tmp_path / "repo", SETTINGS_WITH_PASSWORD, repo=False)
    done = run_djfix("apply", str(root), "--no-branch", "--python", "none")
    assert done.returncode in (0, 1), done.stderr
    env = root / ".env"
    assert SECRET_PASSWORD in env.read_text()
    assert env.stat().st_mode & 0o777 == 0o600
    assert (root / ".env.example").stat().st_mode & 0o777 == 0o644


@pytest.mark.slow
def test_failed_write_leaves_no_folder_that_changes_the_next_runs_app_label(
    tmp_path, planned, monkeypatch
):
    original, before, _, changes = planned
    root = tmp_path / "repo"
    shutil.copytree(original, root)
    labels = {Path(c.rel).parts[0] for c in changes if c.rel.endswith("/apps.py")}
    with monkeypatch.context() as m:
        _fail_at(m, "_replace", 3, _Boom(28, "No space left", "f"))
        with pytest.raises(DjfixError):
            _changeset_of(root, changes).commit()
    assert tree_bytes(root) == before
    again = plan(discover(root), Selection(), effective_options(Config()))
    assert {Path(c.rel).parts[0] for c in again.changeset.changes() if c.rel.endswith("/apps.py")}
    assert labels == {
        Path(c.rel).parts[0] for c in again.changeset.changes() if c.rel.endswith("/apps.py")
    }


@pytest.mark.slow
def test_next_run_completes_a_write_a_killed_run_left(tmp_path, planned):
    import json

    original, before, after, changes = planned
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    data = tmp_path / "changes.json"
    data.write_text(json.dumps([[c.rel, c.new, c.tracked] for c in changes]))
    root = tmp_path / "repo"
    shutil.copytree(original, root)
    done = subprocess.run(
        [sys.executable, str(script), str(root), "2", "_replace", str(data)],
        capture_output=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == -signal.SIGKILL
    assert journal_path(root).exists()
    half = tree_bytes(root)
    dry = run_djfix("apply", str(root), "--dry-run", "--python", "none")
    assert "run `djfix apply` without --dry-run to complete or undo" in dry.stderr
    assert tree_bytes(root) == half  # a dry run writes nothing
    again = run_djfix("apply", str(root), "--no-branch", "--python", "none")
    assert "an earlier run was stopped while writing its files; that write is now completed" in (
        again.stderr
    )
    # completed, and the run on the completed tree found nothing more to write
    assert _assert_whole(root, before, after) == "applied", again.stdout
