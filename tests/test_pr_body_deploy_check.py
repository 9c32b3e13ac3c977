"""The `check --deploy` command of the pull request body runs as written: the variables the
production settings need at import are set, with placeholders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fixer import pr_body
from fixer.apply import plan
from fixer.checks import Selection
from fixer.config import Config, effective_options

SETTINGS = """\
import os

import environ

env = environ.Env(DJANGO_DEBUG=(bool, False))

SECRET_KEY = env("SECRET_KEY")
DEBUG = env("DJANGO_DEBUG")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
if os.environ.get("PRIMARY_DB_URI"):
    DATABASES = {"default": env.db_url("PRIMARY_DB_URI")}
else:
    DATABASES = {
        "default": {
            "ENGINE": env.str("DB_ENGINE"),
            "NAME": env.str("DB_NAME"),
        }
    }
"""


@pytest.mark.slow
def test_database_chosen_by_a_url_variable_is_set_in_the_deploy_check(make_project, tmp_path):
    # without PRIMARY_DB_URI the other branch wants DB_ENGINE and DB_NAME, and the command
    # stopped at import with ImproperlyConfigured
    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\ndjango-environ==0.12.1\ngunicorn==23.0.0\n",
        }
    )
    result = plan(project, Selection(select={"DJ052"}), effective_options(Config()))
    body = pr_body.render_body(result)
    command = re.search(r"\n(DJANGO_SETTINGS_MODULE=.*?check --deploy)\n", body, re.S)
    assert command is not None
    assert "  PRIMARY_DB_URI=sqlite:////tmp/check-deploy.sqlite3 \\\n" in command.group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PRIMARY_DB_URI", None)
    run = subprocess.run(
        ["bash", "-c", command.group(1)],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "ImproperlyConfigured" not in run.stderr
    assert "System check identified" in run.stdout + run.stderr or run.returncode == 0, run.stderr
