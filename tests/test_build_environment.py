"""The build-only environment of the generated collectstatic stage
(`fixer.analysis.variables.build_environment`): every variable the production settings need at
import gets a value, DEBUG off."""

from __future__ import annotations

from fixer.analysis.variables import build_environment

REQUIRED_BY_A_RAISE = """\
import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "True") == "True"
CLIENT_HOSTS = os.environ.get("CLIENT_HOSTS")
if not CLIENT_HOSTS:
    if DEBUG:
        CLIENT_HOSTS = "localhost"
    else:
        raise ImproperlyConfigured("CLIENT_HOSTS must be set when DEBUG is off")
SITE_NAME = os.environ.get("SITE_NAME")
if not SITE_NAME:
    SITE_NAME = "shop"
"""


def test_a_variable_the_settings_raise_without_gets_a_build_value(make_project):
    # CLIENT_HOSTS has a default (None) in its read, and the settings raise without it once
    # DEBUG is off, as the build runs them; SITE_NAME's check only falls back
    project = make_project({"mysite/settings.py": REQUIRED_BY_A_RAISE})
    env = build_environment(project)
    assert env == {
        "SECRET_KEY": "build-only-not-secret",
        "DEBUG": "False",
        "CLIENT_HOSTS": "localhost",
    }
