from __future__ import annotations

import subprocess
import textwrap

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


def commit_all(repo):
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")


def import_settings(repo, module, cwd=None, **env):
    import os
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module} as s; print(s.SECRET_KEY)"],
        cwd=cwd or repo,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


SPLIT_MANAGE = MINIMAL_MANAGE.replace("mysite.settings", "proj.settings.production")


def test_star_imported_reader_is_converted_in_every_module(tmp_path):
    # base.py imports decouple's config; production.py uses it through the star import
    write_tree(
        tmp_path,
        {
            "manage.py": SPLIT_MANAGE,
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "",
            "proj/settings/base.py": """\
                from decouple import config

                SECRET_KEY = config("SECRET_KEY")
                INSTALLED_APPS = []
            """,
            "proj/settings/production.py": """\
                from .base import *

                DEBUG = config("DEBUG", cast=bool, default=False)
            """,
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    production = (tmp_path / "proj/settings/production.py").read_text()
    assert 'DEBUG = env.bool("DEBUG", default=False)' in production
    loaded = import_settings(tmp_path, "proj.settings.production", SECRET_KEY="k" * 50)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "k" * 50


def test_settings_load_when_only_the_app_folder_is_in_the_image(tmp_path):
    # services/api/ is what the image copies to /code: the .env lookup must not index past /
    write_tree(
        tmp_path,
        {
            "services/api/manage.py": SPLIT_MANAGE,
            "services/api/proj/__init__.py": "",
            "services/api/proj/settings/__init__.py": "",
            "services/api/proj/settings/production.py": """\
                import os
                SECRET_KEY = os.environ["SECRET_KEY"]
                INSTALLED_APPS = []
            """,
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    image = tmp_path.parent / "image"
    import shutil

    shutil.copytree(tmp_path / "services/api/proj", image / "proj")
    loaded = import_settings(image, "proj.settings.production", SECRET_KEY="s" * 50)
    assert loaded.returncode == 0, loaded.stderr


def test_test_and_ci_settings_are_left_alone(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": SPLIT_MANAGE,
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "",
            "proj/settings/base.py": "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n"
            "INSTALLED_APPS = []\n",
            "proj/settings/production.py": "from .base import *\nDEBUG = False\n",
            "proj/settings/test.py": "from .base import *\nSECRET_KEY = 'tests-only-key'\n",
            "proj/settings/ci.py": "from .base import *\nSECRET_KEY = 'ci-only-key-123'\n",
        },
    )
    commit_all(tmp_path)
    result = invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    assert "SECRET_KEY = 'tests-only-key'" in (tmp_path / "proj/settings/test.py").read_text()
    assert "SECRET_KEY = 'ci-only-key-123'" in (tmp_path / "proj/settings/ci.py").read_text()
    assert "ci-only-key" not in result.stdout


def test_conditional_ci_database_is_the_authors(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": """\
                import os
                SECRET_KEY = os.environ["SECRET_KEY"]
                INSTALLED_APPS = []
                DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db"}}
                if os.environ.get("CI"):
                    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                                             "NAME": "ci", "PASSWORD": "postgres"}}
            """,
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    settings = (tmp_path / "mysite/settings.py").read_text()
    assert '"NAME": "ci", "PASSWORD": "postgres"' in settings
    assert 'if env("CI", default=None):' in settings


def test_the_projects_own_env_object_is_reused(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/env.py": "import environ\n\nenv = environ.Env()\n",
            "mysite/settings.py": """\
                import os
                from mysite.env import env

                SECRET_KEY = env("SECRET_KEY")
                INSTALLED_APPS = []
                TIMEOUT = int(os.environ.get("TIMEOUT", "5"))
            """,
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    settings = (tmp_path / "mysite/settings.py").read_text()
    assert "environ.Env()" not in settings
    assert 'TIMEOUT = env.int("TIMEOUT", default=5)' in settings


def test_security_block_keeps_inherited_values(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": SPLIT_MANAGE,
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "",
            "proj/settings/common.py": """\
                import environ
                env = environ.Env()
                SECRET_KEY = env("SECRET_KEY")
                INSTALLED_APPS = []
                MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
                CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
            """,
            "proj/settings/production.py": "from .common import *\nDEBUG = False\n",
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "9", str(tmp_path))
    production = (tmp_path / "proj/settings/production.py").read_text()
    assert "SECURE_HSTS_SECONDS" in production
    assert "CSRF_TRUSTED_ORIGINS" not in production


def test_dotenv_values_read_back_by_django_environ(tmp_path):
    import environ

    key = "k3#v9!q0$m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
    settings = SETTINGS.replace("dev-0123456789-abcdefghij-0123456789-abcdefghij-xyz", key)
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": settings,
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    import os

    # read_env writes every variable of .env (DATABASE_URL, DEBUG...) into os.environ: all of
    # them go again, or they reach the tests that run after this one
    saved = dict(os.environ)
    os.environ.pop("SECRET_KEY", None)
    try:
        environ.Env.read_env(str(tmp_path / ".env"))
        assert os.environ["SECRET_KEY"] == key
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_settings_package_with_empty_init_is_guessed_to_its_module(tmp_path):
    from fixer.discovery import discover

    write_tree(
        tmp_path,
        {
            "manage.py": "import sys\n",
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "",
            "proj/settings/base.py": "INSTALLED_APPS = []\nSECRET_KEY = 'x'\n",
            "proj/settings/development.py": "from .base import *\nDEBUG = True\n",
        },
    )
    project = discover(tmp_path)
    assert project.production_module == "proj.settings.base"


def test_packages_go_to_the_file_that_declares_django(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "requirements.txt": "-r requirements/base.txt\n",
            "requirements/base.txt": "Django==4.2.16\n",
        },
    )
    commit_all(tmp_path)
    invoke("apply", "--no-branch", "--select", "5", str(tmp_path))
    assert (tmp_path / "requirements.txt").read_text() == "-r requirements/base.txt\n"
    assert "django-environ==" in (tmp_path / "requirements/base.txt").read_text()


def test_installed_apps_built_from_a_starred_list_is_read(make_project):
    project = make_project(
        {
            "mysite/settings.py": """\
                LOCAL_APPS = ["shop.apps.ShopConfig"]
                INSTALLED_APPS = ["django.contrib.auth", *LOCAL_APPS]
            """,
            "shop/__init__.py": "",
            "shop/apps.py": "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
            "    name = 'shop'\n    label = 'common'\n",
        }
    )
    assert project.installed_apps == ["django.contrib.auth", "shop.apps.ShopConfig"]
    from fixer.fixes import common_app

    assert common_app.choose_label(project) != "common"


def test_bool_of_an_environment_read_asks_whether_it_is_set(tmp_path):
    from codemods.settings_env import Plan, transform

    code = transform(
        'import os\nif bool(os.environ.get("DATABASE_URL")):\n    X = 1\n', Plan()
    ).code
    assert 'if bool(env("DATABASE_URL", default=None)):' in code


def test_summary_sees_the_generated_app(tmp_path):
    import shutil

    from tests.conftest import PROJECTS

    repo = tmp_path / "p"
    shutil.copytree(PROJECTS / "legacy_single", repo)
    commit_all(repo)
    result = invoke("apply", "--dry-run", str(repo))
    table = result.stderr[result.stderr.index("Checklist after apply") :]
    for line in table.splitlines():
        if line.strip().startswith(("7 ", "13 ")):
            assert " fixed" in line and "partly" not in line, line


# -- what the summary says of each item -----------------------------------------------------------

WSGI = "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"


def _plan(make_project, settings: str, **files: str):
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options

    project = make_project(
        {
            "mysite/settings.py": textwrap.dedent(settings),
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": WSGI,
            "requirements.txt": "Django==4.2.16\n",
            **files,
        }
    )
    return plan(project, Selection(), effective_options(Config()))


def test_a_rule_no_plan_fixes_keeps_its_own_reason(make_project):
    # item 5's plan leaves the module (globals() is written to); the settings' configuration
    # module, loaded by name (DJ057), is left for its own reason, not for the globals() write
    result = _plan(
        make_project,
        """\
        import importlib
        import os

        configuration = importlib.import_module(
            os.environ.get("MYSITE_CONFIGURATION", "mysite.configuration")
        )
        SECRET_KEY = os.environ.get("SECRET_KEY", "")
        DATABASES = getattr(configuration, "DATABASES")
        for name in dir(configuration):
            if name.startswith("SOCIAL_"):
                globals()[name] = getattr(configuration, name)
        """,
        **{
            ".gitignore": "mysite/configuration.py\n",
            "mysite/configuration_example.py": "DATABASES = {}\n",
        },
    )
    item5 = next(i for i in result.items if i.item == 5)
    reasons = {f.code: why for f, why in item5.open}
    assert reasons["DJ057"] == (
        "the settings load the module mysite.configuration, or the module the environment "
        "variable MYSITE_CONFIGURATION names, with their own loader (importlib.import_module, "
        "line 4), not an import djfix can redirect: read what mysite/configuration_example.py "
        "holds from the environment by hand"
    )
    assert reasons["DJ052"] == (
        "line 4: settings import a module chosen at run time, so djfix does not rewrite this module"
    )


def test_a_reason_about_one_setting_is_not_given_for_another(make_project):
    # the plan leaves DATA_DIR (its variable's name is computed); the secret in the fallback
    # dict of an except block stays for its own reason, not DATA_DIR's
    result = _plan(
        make_project,
        """\
        import os
        from pathlib import Path

        name = "DATA" + "_DIR"
        DATA_DIR = Path(os.environ[name])
        try:
            SECRETS = {}
        except OSError:
            SECRETS = {"secret_key": "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"}
        SECRET_KEY = os.environ.get("SECRET_KEY", "")
        """,
    )
    item5 = next(i for i in result.items if i.item == 5)
    reasons = {f.message.split(" in ")[0]: why for f, why in item5.open}
    assert reasons["DATA_DIR"].startswith("DATA_DIR (line 5): the variable name `name` is")
    assert "DATA_DIR" not in reasons["SECRETS['secret_key']"]
    assert reasons["SECRETS['secret_key']"] == (
        "SECRETS (line 9): it is set inside a block (if/try/with/for): djfix does not rewrite "
        "conditional settings"
    )


def test_a_test_settings_modules_reads_are_left_as_the_authors(make_project):
    # pytest.py of a split settings package reads through python-decouple: the plan leaves test
    # settings alone, and the summary says so rather than "djfix could not rewrite this shape"
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options

    project = make_project(
        {
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings.prod")\n',
            "mysite/__init__.py": "",
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": "from decouple import config\n"
            'SECRET_KEY = config("SECRET_KEY")\nINSTALLED_APPS = []\n',
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
            "mysite/settings/pytest.py": "from .base import *  # noqa\n"
            'ES_LIVE = config("ES_LIVE", default=False, cast=bool)\n',
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": WSGI,
            "requirements.txt": "Django==4.2.16\npython-decouple==3.8\n",
        }
    )
    result = plan(project, Selection(), effective_options(Config()))
    assert "mysite/settings/pytest.py" not in {c.rel for c in result.changeset.changes()}
    # the config() it calls still comes through its star import
    assert "from decouple import config\n" in result.changeset.read("mysite/settings/base.py")
    item5 = next(i for i in result.items if i.item == 5)
    assert [(f.code, f.path, why) for f, why in item5.open] == [
        (
            "DJ053",
            "mysite/settings/pytest.py",
            "mysite.settings.pytest is a test or CI settings module, which production never "
            "loads: djfix leaves it to its authors",
        )
    ]


def test_items_of_a_shared_plan_ride_in_the_commit_of_the_item_that_ran_it(make_project):
    from fixer.handover import _groups

    result = _plan(make_project, SETTINGS)
    # the container plan ran for item 1 and wrote items 2 and 3's parts; the common app ran
    # for item 7 and holds item 13's probes
    assert result.context.rides == {2: 1, 3: 1, 13: 7}
    summaries = {s.item: s for s in result.items}
    assert {summaries[i].status for i in (2, 3, 13)} == {"fixed"}
    groups = _groups(result.changeset.staged(), result.changeset.state())
    absorbed = {g.item: g.absorbed for g in groups if g.absorbed}
    assert absorbed == {7: [13], 1: [2, 3]}


def test_the_codemods_trees_are_released_once_the_plans_ran(make_project, monkeypatch):
    import codemods.cst_tools

    released: list[bool] = []
    real = codemods.cst_tools.forget
    monkeypatch.setattr(codemods.cst_tools, "forget", lambda: released.append(True) or real())
    result = _plan(make_project, SETTINGS)
    assert result.changeset.state()  # the plans rewrote the settings with the codemods
    assert released == [True]


BRANCH_DATABASES = """\
    import os

    import dj_database_url

    SECRET_KEY = os.environ["SECRET_KEY"]
    DEBUG = False
    ALLOWED_HOSTS = ["example.com"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    ROOT_URLCONF = "mysite.urls"
    if os.getenv("DATABASE_URL"):
        DATABASES = {"default": dj_database_url.config()}
    else:
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.getenv("DB_NAME", "app"),
            "HOST": os.getenv("DB_HOST", "db"),
        }
        DATABASES = {"default": config}
"""


def test_an_item_whose_plan_changed_files_and_left_its_findings_is_partly_fixed(make_project):
    result = _plan(make_project, BRANCH_DATABASES)
    (summary,) = [s for s in result.items if s.item == 11]
    # CONN_MAX_AGE went into the branch written out; the findings stay for the other one
    assert summary.status == "partly fixed"
    assert summary.fixed == []
    assert summary.changed == ["mysite/settings.py"]
    assert [(f.code, reason) for f, reason in summary.open] == [
        (
            code,
            "DATABASES['default'] (line 27): it is the name `config`, not a dict literal or a "
            "call (djfix set it where DATABASES is written out)",
        )
        for code in ("DJ110", "DJ111")
    ]


SQLITE_SETTINGS = """\
    import os

    BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    SECRET_KEY = "2^f+3@v7$v1f8yt0!s)3-1t$)tlp+xm17=*g))_xoi&&9m#2a&"
    DEBUG = True
    ALLOWED_HOSTS = []
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    ROOT_URLCONF = "mysite.urls"
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(BASE_DIR, "db.sqlite3"),
        }
    }
"""


def test_an_item_that_applies_only_after_the_change_says_so(make_project):
    # SQLite written in the settings: no service to probe; read from DATABASE_URL after the
    # change, a networked database may come, and the generated app probes it
    result = _plan(make_project, SQLITE_SETTINGS)
    (summary,) = [s for s in result.items if s.item == 13]
    assert (result.before.items[13], result.after.items[13]) == ("n/a", "pass")
    assert (summary.status, summary.applies_now, summary.label) == (
        "pass",
        True,
        "pass, applies now",
    )


@pytest.mark.parametrize("item3_fixed", [True, False])
def test_the_commit_names_the_items_it_holds_that_it_fixed(repo, item3_fixed):
    from fixer import handover
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options
    from fixer.discovery import discover

    write_tree(repo, {"mysite/wsgi.py": WSGI})
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "wsgi")
    result = plan(discover(repo), Selection(), effective_options(Config()))
    if not item3_fixed:
        # as item 4 on a project whose whitenoise is left by hand: the shared plan ran for it,
        # and changed nothing of it
        (summary,) = [s for s in result.items if s.item == 3]
        summary.open = [(f, "by hand") for f in summary.fixed]
        summary.fixed, summary.status = [], "open"
    delivery = handover.deliver(result, stay=True)
    also = {c.item: c.also for c in delivery.commits if c.also}
    assert also == {7: [13], 1: [2, 3] if item3_fixed else [2]}
    body = git(
        repo, "log", "-1", "--format=%B", next(c.sha for c in delivery.commits if c.item == 1)
    )
    assert "Item 2 (Multi-stage, minimal image) has no commit of its own" in body
    assert ("Item 3 (Served by an app server) has no commit of its own" in body) is item3_fixed


def test_findings_left_for_one_reason_in_one_file_are_one_line(tmp_path):
    # a development compose file's literal secrets: the reason once, their lines listed
    import shutil

    from tests.conftest import PROJECTS

    repo = tmp_path / "p"
    shutil.copytree(PROJECTS / "legacy_single", repo)
    (repo / "docker-compose.dev.yml").write_text(
        "services:\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        "      POSTGRES_PASSWORD: hunter2-dev\n"
        "  cache:\n"
        "    image: redis:7\n"
        "    command: redis-server --requirepass s3cret-dev\n"
        "    environment:\n"
        "      REDIS_PASSWORD: s3cret-dev\n"
    )
    commit_all(repo)
    result = invoke("apply", "--dry-run", "--python", "none", str(repo))
    table = result.stderr[result.stderr.index("Checklist after apply") :]
    secrets = [ln for ln in table.splitlines() if "literal-secret at docker-compose.dev.yml" in ln]
    assert len(secrets) == 1, table
    assert secrets[0].strip().startswith("DJ050 literal-secret at docker-compose.dev.yml:5, 10: ")


def test_an_image_with_no_dependency_file_is_not_a_fixed_item_1(make_project):
    # the builder has nothing to install: an image without Django cannot serve the app
    result = _plan(
        make_project,
        """\
        SECRET_KEY = "x"
        INSTALLED_APPS = []
        ROOT_URLCONF = "mysite.urls"
        WSGI_APPLICATION = "mysite.wsgi.application"
        """,
        **{"requirements.txt": None},
    )
    left = [lf for lf in result.context.left if lf.item == 1]
    assert [lf.rel for lf in left] == ["Dockerfile"]
    assert "no dependency file declares Django" in left[0].reason


DJ_DATABASE_URL_ZERO = """\
    import os

    import dj_database_url

    SECRET_KEY = os.environ["SECRET_KEY"]
    INSTALLED_APPS = ["django.contrib.contenttypes"]
    ROOT_URLCONF = "mysite.urls"
    DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", {age}))
    DATABASES = {{
        "default": dj_database_url.config(
            default="postgres://localhost/shop", conn_max_age={value}
        ),
    }}
"""


def _item11(result):
    (summary,) = [s for s in result.items if s.item == 11]
    return summary


def test_a_zero_default_of_the_authors_stays_with_its_reason_not_as_a_bug(make_project):
    settings = DJ_DATABASE_URL_ZERO.format(age=0, value="DB_CONN_MAX_AGE")
    result = _plan(make_project, settings, **{"requirements.txt": "Django==5.2\n"})
    summary = _item11(result)
    assert result.bugs == []
    assert summary.status == "partly fixed"  # CONN_HEALTH_CHECKS added
    ((found, reason),) = summary.open
    assert found.code == "DJ110"
    assert reason.startswith("the default 0 of DB_CONN_MAX_AGE is the author's choice")


def test_a_conn_max_age_finding_that_survives_the_rewrite_is_a_djfix_bug(make_project, monkeypatch):
    from codemods import conn_max_age

    settings = DJ_DATABASE_URL_ZERO.format(age=600, value="0")
    fixed = _item11(_plan(make_project, settings, **{"requirements.txt": "Django==5.2\n"}))
    assert (fixed.status, fixed.open) == ("fixed", [])
    # the codemod as it was before it read conn_max_age=0 from the environment: it adds
    # CONN_HEALTH_CHECKS, and DJ110 stays on the DATABASES it rewrote
    monkeypatch.setattr(conn_max_age.PersistentConnections, "_zero_keyword", lambda s, c: None)
    result = _plan(make_project, settings, **{"requirements.txt": "Django==5.2\n"})
    assert [f.code for f in result.bugs] == ["DJ110"]
    assert [reason for _, reason in _item11(result).open] == [
        "djfix bug: the finding survives its own fix"
    ]


ENTRY_HEALTH_SETTINGS = """\
    import os

    SECRET_KEY = os.environ["SECRET_KEY"]
    ALLOWED_HOSTS = ["example.com"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    MIDDLEWARE = []
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
"""
ENTRY_ANSWERS_HEALTH = """\
from django.core.wsgi import get_wsgi_application

django_app = get_wsgi_application()


def application(environ, start_response):
    if environ["PATH_INFO"] == "{path}":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    return django_app(environ, start_response)
"""


@pytest.mark.parametrize(("path", "routed"), [("/health", False), ("/health/", True)])
def test_a_health_path_the_entry_answers_gets_no_second_view(make_project, path, routed):
    # answered by the WSGI entry before Django: only /common/health is routed; an entry that
    # answers /health/ exactly leaves GET /health to Django, which then gets djfix's view
    wsgi = ENTRY_ANSWERS_HEALTH.replace("{path}", path)
    result = _plan(make_project, ENTRY_HEALTH_SETTINGS, **{"mysite/wsgi.py": wsgi})
    urls = result.changeset.read("mysite/urls.py") or ""
    assert 'include("common.urls")' in urls
    assert ('path("health", ' in urls) is routed
    (item7,) = [i for i in result.items if i.item == 7]
    assert (item7.status, item7.open) == ("fixed", [])
    assert result.bugs == []
