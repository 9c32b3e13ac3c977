"""How `env` reaches each rewritten settings module of a split package
(fixer.fixes.item05_environment)."""

from __future__ import annotations

import ast
import re

import pytest

from fixer.apply import plan
from fixer.checks import Selection
from fixer.config import Config, effective_options
from fixer.fix_context import foreign_env_binding

MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.prod")\n'
BASE = """\
import environ

env = environ.Env({scheme})

__all__ = ["SECRET_KEY", "DEBUG", "INSTALLED_APPS", "ROOT_URLCONF"]
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
"""
PROD = """\
import os

from .base import *  # noqa: F403

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")
"""


def planned_prod(make_project, scheme: str) -> str:
    project = make_project(
        {
            "manage.py": MANAGE,
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": BASE.format(scheme=scheme),
            "mysite/settings/prod.py": PROD,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\ndjango-environ==0.12.1\n",
        }
    )
    result = plan(project, Selection(select={"DJ052"}), effective_options(Config()))
    text = result.changeset.read("mysite/settings/prod.py")
    assert text is not None
    ast.parse(text)
    return text


def test_module_binds_env_itself_when_the_base_lists_no_env(make_project):
    # the base's __all__ leaves env out: `from .base import *` does not bring it
    text = planned_prod(make_project, "")
    assert "import environ\n" in text and text.count("env = environ.Env()\n") == 1
    assert 'ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])\n' in text


def test_env_with_a_scheme_is_imported_from_its_module(make_project):
    # a new Env() would lose the base's casts by name: the module imports the base's env
    text = planned_prod(make_project, "DEBUG=(bool, False)")
    assert "from mysite.settings.base import env\n" in text
    assert "environ.Env(" not in text


CLEAN_SETTINGS = """\
import environ

env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
PAGE_SIZE = env.int("PAGE_SIZE")
FEATURE_FLAG = env("FEATURE_FLAG", default=None)
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
"""


def planned_example(make_project, extra: dict[str, str]) -> str | None:
    project = make_project(
        {
            "mysite/settings.py": CLEAN_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\ndjango-environ==0.12.1\n",
            **extra,
        }
    )
    result = plan(project, Selection(select={"DJ050", "DJ052"}), effective_options(Config()))
    return result.changeset.read(".env.example")


def test_a_project_with_reads_gets_an_env_example(make_project):
    text = planned_example(make_project, {})
    assert text is not None
    assert "Required.\nSECRET_KEY=change-me-to-a-long-random-string\n" in text  # no default
    assert "\nDEBUG=False\n" in text
    assert "\nPAGE_SIZE=0\n" in text  # an env.int read: a value int() parses
    assert "\n# FEATURE_FLAG=\n" in text  # optional, and an empty value is not "off" for all


def test_an_authors_env_example_is_kept_when_item_5_passes(make_project):
    mine = "# ours\nSECRET_KEY=x\n"
    assert planned_example(make_project, {".env.example": mine}) == mine


ENV_TAKEN = """\
import os

env = os.environ

SECRET_KEY = env["SECRET_KEY"]
DEBUG = env.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = ["shop.example.com"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""


def test_a_module_that_binds_env_itself_is_not_given_reads_through_it(make_project):
    # `env = os.environ`: djfix's env.bool(...) lines would call os.environ.bool, or its
    # `env = environ.Env()` would be shadowed; the items that need it say why they left it
    project = make_project(
        {
            "mysite/settings.py": ENV_TAKEN,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\n",
        }
    )
    result = plan(project, Selection(), effective_options(Config()))
    text = result.changeset.read("mysite/settings.py")
    assert text is not None and "common.apps.CommonConfig" in text  # item 7 wrote it
    assert "environ.Env()" not in text and "env.bool(" not in text and "env.int(" not in text
    reasons = {(left.item, left.reason) for left in result.context.left}
    taken = (
        "the module binds the name `env` itself (line 3), and djfix's change reads the "
        "environment through django-environ's `env`: rename yours to have djfix rewrite it"
    )
    assert (9, taken) in reasons and (11, taken) in reasons
    # item 5 finds the reads through it (env.get, env[...]) and says why it leaves them
    assert (
        5,
        "line 3: the module binds the name `env` itself, and djfix reads the "
        "environment through django-environ's `env`: rename yours to have djfix rewrite it",
    ) in reasons


ENV_TAKEN_BASE = ENV_TAKEN.replace('SECRET_KEY = env["SECRET_KEY"]', 'SECRET_KEY = "dev-only"')
ENV_TAKEN_PROD = """\
from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.get("SECRET_KEY", SECRET_KEY)  # noqa: F405
"""


def test_a_module_reading_through_a_star_imported_foreign_env_is_left_alone(make_project):
    # base.py binds `env = os.environ`; prod.py reads env.get(...) through its star import:
    # djfix's `env = environ.Env()` in prod.py would take its place, and Env has no .get
    project = make_project(
        {
            "manage.py": MANAGE,
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": ENV_TAKEN_BASE,
            "mysite/settings/prod.py": ENV_TAKEN_PROD,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\n",
        }
    )
    result = plan(project, Selection(), effective_options(Config()))
    assert result.changeset.read("mysite/settings/prod.py") == ENV_TAKEN_PROD
    assert not result.bugs
    taken = (
        "the module reads through the `env` its star import brings from "
        "mysite/settings/base.py, bound there to something other than django-environ's Env "
        "(line 3), and djfix's change binds django-environ's `env` here, which those reads "
        "cannot use: rename the one in mysite/settings/base.py to have djfix rewrite this module"
    )
    reasons = {(left.item, left.rel, left.reason) for left in result.context.left}
    assert (5, "mysite/settings/prod.py", taken) in reasons
    assert (9, "mysite/settings/prod.py", taken) in reasons
    # nothing of the refused change is recorded: no variable it would have read
    assert "SECURE_SSL_REDIRECT" not in result.context.env_vars


ENVIRONS_BASE = """\
from environs import Env

env = Env()
env.read_env()

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", False)
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
"""
ENVIRONS_PROD = """\
from .base import *  # noqa: F403

PRICE = env.decimal("PRICE", default="1.5")  # noqa: F405
PORTS = env.list("PORTS", subcast=int, default=[])  # noqa: F405
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["example.com"])  # noqa: F405
"""


def environs_plan(make_project, prod: str):
    project = make_project(
        {
            "manage.py": MANAGE,
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": ENVIRONS_BASE,
            "mysite/settings/prod.py": prod,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\nenvirons==14.1\n",
        }
    )
    return plan(project, Selection(), effective_options(Config()))


def test_an_environs_base_whose_env_a_star_importer_reads_beyond_django_environ_stays(
    make_project,
):
    # base.py alone would convert; prod.py calls env.decimal() and env.list(subcast=...)
    # through the env its star import brings: django-environ's Env in base.py, or a new one in
    # prod.py, would make prod.py raise when the settings load
    result = environs_plan(make_project, ENVIRONS_PROD)
    base = result.changeset.read("mysite/settings/base.py")
    prod = result.changeset.read("mysite/settings/prod.py")
    assert base is not None and prod is not None
    assert "env = Env()\n" in base and "environ.Env()" not in base
    assert prod.startswith(ENVIRONS_PROD)
    assert "import environ" not in prod and "environ.Env()" not in prod
    assert "SECURE_SSL_REDIRECT = env.bool(" in prod  # item 9's reads use environs' env
    assert not result.bugs
    reasons = {(left.item, left.rel, left.reason) for left in result.context.left}
    assert (
        5,
        "mysite/settings/base.py",
        "line 1: modules that star-import this one read its environs `env` in ways "
        "django-environ's Env lacks or reads differently: mysite/settings/prod.py: "
        "env.decimal() (line 3), mysite/settings/prod.py: env.list(subcast=...) (line 4); the "
        "module stays on environs",
    ) in reasons
    assert "django-environ" not in result.context.packages


def test_an_environs_base_whose_star_importers_read_what_django_environ_has_converts(
    make_project,
):
    prod = "".join(line for line in ENVIRONS_PROD.splitlines(True) if "PRICE" not in line)
    prod = prod.replace("subcast=int, ", "")
    result = environs_plan(make_project, prod)
    base = result.changeset.read("mysite/settings/base.py")
    assert base is not None and "env = environ.Env()\n" in base and "env = Env()" not in base
    assert not [left for left in result.context.left if left.item == 5]


@pytest.mark.parametrize(
    ("before", "line"),
    [
        ("import os\nenv = os.environ\n", 2),
        ("import os\n\n\ndef env(name):\n    return os.environ[name]\n", 4),
        ("from os import environ as env\n", 1),
        ("from decouple import config as env\n", 1),
        ("import environ\nenv = environ.Env()\n", None),
        ("from environ import Env\nenv = Env(DEBUG=(bool, False))\n", None),
        ("from mysite.env import env\n", None),
        ("ENVIRONMENT = 'prod'\nenvironment = 1\n", None),
    ],
)
def test_foreign_env_binding(before, line):
    after = before + 'DEBUG = env.bool("DEBUG", default=False)\n'
    assert foreign_env_binding(before, after) == line
    assert foreign_env_binding(before, before) is None  # no new read through env


OPTIONAL_BY_SHAPE = """\
import os

import environ

env = environ.Env(DJANGO_DEBUG=(bool, False))

SECRET_KEY = env("SECRET_KEY")
DEBUG = env("DJANGO_DEBUG")
POOL_KWARGS = dict()
if "CACHE_SSL_KEYFILE" in os.environ:
    POOL_KWARGS["ssl_keyfile"] = env.str("CACHE_SSL_KEYFILE")
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
"""


def test_env_example_calls_required_only_what_the_settings_cannot_start_without(make_project):
    # a variable the Env scheme gives a default, and one read only when it is in the
    # environment, are optional: an empty line for them in a copied .env would even set them
    project = make_project(
        {
            "mysite/settings.py": OPTIONAL_BY_SHAPE,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==5.2\ndjango-environ==0.12.1\n",
        }
    )
    result = plan(project, Selection(select={"DJ050", "DJ052"}), effective_options(Config()))
    text = result.changeset.read(".env.example")
    assert text is not None
    assert re.findall(r"Required\.\n([A-Z_]+)=", text) == ["SECRET_KEY"]
    assert "\n# CACHE_SSL_KEYFILE=\n" in text
