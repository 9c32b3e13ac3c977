from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from tests.conftest import MINIMAL_MANAGE, write_tree

SETTINGS = """\
    import os

    BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    SECRET_KEY = "dev-0123456789-abcdefghij-0123456789-abcdefghij-xyz"  # local only
    DEBUG = True
    ALLOWED_HOSTS = ["localhost"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    ROOT_URLCONF = "mysite.urls"
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "shop",
            "USER": "shop",
            "PASSWORD": "s3cret-pass",
            "HOST": "localhost",
        }
    }
    TIMEOUT = int(os.environ.get("TIMEOUT", "30"))
"""


def git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def invoke(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        },
    )
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    return tmp_path


def test_dry_run_writes_nothing_and_its_diff_applies(repo):
    result = invoke("apply", "--dry-run", "--select", "5,11", str(repo))
    assert result.exit_code == 1  # changes pending
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".env").exists()
    patch = result.stdout
    added = [line for line in patch.splitlines() if line.startswith("+")]
    assert not [line for line in added if "s3cret-pass" in line or "dev-0123456789" in line]
    (repo.parent / "p.diff").write_text(patch)
    git(repo, "apply", "--check", str(repo.parent / "p.diff"))
    assert "would change" in result.stderr


def test_no_branch_writes_every_file_and_keeps_secrets_untracked(repo):
    result = invoke("apply", "--no-branch", "--select", "5,11", str(repo))
    assert "djfix bug" not in result.output
    settings = (repo / "mysite/settings.py").read_text()
    assert 'SECRET_KEY = env("SECRET_KEY")  # local only' in settings
    assert 'DEBUG = env.bool("DEBUG", default=False)' in settings
    assert '**env.db("DATABASE_URL", default="postgres://shop@localhost/shop")' in settings
    assert '"CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60)' in settings
    assert 'TIMEOUT = env.int("TIMEOUT", default=30)' in settings
    assert "s3cret-pass" not in settings
    assert "django-environ==" in (repo / "requirements.txt").read_text()
    example = (repo / ".env.example").read_text()
    assert "SECRET_KEY=change-me" in example and "s3cret" not in example
    dotenv = (repo / ".env").read_text()
    assert "DATABASE_URL=postgres://shop:s3cret-pass@localhost/shop" in dotenv
    assert "SECRET_KEY=dev-0123456789" in dotenv
    assert git(repo, "check-ignore", ".env").strip() == ".env"
    status = git(repo, "status", "--porcelain")
    assert ".env\n" not in status.replace(".env.example", "")
    assert "Secrets to rotate" in result.stdout and "SECRET_KEY" in result.stdout


def test_second_run_changes_nothing(repo):
    invoke("apply", "--no-branch", "--select", "5,11", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "djfix")
    result = invoke("apply", "--dry-run", "--select", "5,11", str(repo))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_dirty_work_tree_is_refused(repo):
    (repo / "mysite/settings.py").write_text((repo / "mysite/settings.py").read_text() + "X = 1\n")
    result = invoke("apply", "--no-branch", str(repo))
    assert result.exit_code == 2
    assert "mysite/settings.py" in result.stderr and "--allow-dirty" in result.stderr
    assert not (repo / ".env.example").exists()
    result = invoke("apply", "--no-branch", "--allow-dirty", "--select", "11", str(repo))
    assert "CONN_MAX_AGE" in (repo / "mysite/settings.py").read_text()
    assert (repo / "mysite/settings.py").read_text().endswith("X = 1\n")


def test_outside_git_the_files_are_written(tmp_path):
    write_tree(
        tmp_path,
        {"manage.py": MINIMAL_MANAGE, "mysite/__init__.py": "", "mysite/settings.py": SETTINGS},
    )
    result = invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    assert 'env("SECRET_KEY")' in (tmp_path / "mysite/settings.py").read_text()
    assert ".env" in (tmp_path / ".gitignore").read_text()
    assert "no dependency file" in result.stdout


def test_crlf_settings_stay_crlf(repo):
    path = repo / "mysite/settings.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "crlf")
    invoke("apply", "--no-branch", "--select", "5", str(repo))
    raw = path.read_bytes()
    assert b'env("SECRET_KEY")' in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")
