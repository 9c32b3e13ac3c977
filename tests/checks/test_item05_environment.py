from __future__ import annotations

import re

import pytest

from fixer.analysis.settings_secrets import article
from fixer.checks import item05_environment as item05
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

EXAMPLES = PROJECTS.parent.parent / "examples"

CLEAN = """\
import environ

env = environ.Env()
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
    }
}
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
"""
REQUIREMENTS = "Django==5.2\ndjango-environ==0.11\n"


def run(make_project, settings: str = CLEAN, requirements: str | None = REQUIREMENTS, **files):
    tree = {"mysite/settings.py": settings, **files}
    if requirements is not None:
        tree["requirements.txt"] = requirements
    return findings_of(item05, make_project(tree))


def shape(findings) -> list[tuple[str, str, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ---------------------------------------------------------------------------


def test_everything_from_django_environ(make_project):
    assert run(make_project) == []


def test_public_and_non_secret_keys(make_project):
    settings = CLEAN + (
        'STRIPE_PUBLISHABLE_KEY = "pk_live_abc"\n'
        'RECAPTCHA_SITE_KEY = "6Lc-site"\n'
        'REST_FRAMEWORK = {"NON_FIELD_ERRORS_KEY": "errors"}\n'
        'CACHE_MIDDLEWARE_KEY_PREFIX = "shop"\n'
        'SENTRY_DSN = env("SENTRY_DSN", default="")\n'
        'SECRET_KEY_FILE = open("/run/secrets/key").read()\n'
    )
    assert run(make_project, settings) == []


def test_properties_of_a_secret_are_no_secrets(make_project):
    # a secret's word first, then what about it the setting holds (a lock time, a threshold,
    # the class that makes tokens): their defaults are durations and dotted paths, and
    # dropping them ("15 minutes" -> "") changes what the project does
    settings = CLEAN + (
        'RESET_PASSWORD_LOCK_TIME = env("RESET_PASSWORD_LOCK_TIME", default="15 minutes")\n'
        'TOKEN_REFRESH_THRESHOLD = env("TOKEN_REFRESH_THRESHOLD", default="5 seconds")\n'
        'TOKEN_GENERATOR_CLASS = "django.contrib.auth.tokens.PasswordResetTokenGenerator"\n'
        'API_KEY_HEADER = "X-Api-Key"\n'
    )
    assert run(make_project, settings) == []


def test_digests_of_a_key_are_no_secrets(make_project):
    # hashes of known default keys, kept to refuse them: compared against, never used to sign
    settings = CLEAN + (
        "_DEFAULT_JWT_KEY_HASHES = {\n"
        '    "993583b530ed307419c1fd54eef8c7010ac29fa9ee6ddfa3ed0e5204e2b5e99a",\n'
        '    "964a4ebdb0d1b9f7ac461711a8861d74bd887a955b0e10d79b93c532f1e13d98",\n'
        "}\n"
        'SIGNING_KEY_FINGERPRINT = "9c:1e:2a:77:0b:5d:c4:18:ee:90:3f:61:a2:d7:44:08"\n'
    )
    assert run(make_project, settings) == []


def test_a_password_hash_stays_a_secret(make_project):
    settings = CLEAN + (
        'ADMIN_PASSWORD_HASH = "pbkdf2_sha256$600000$Xq2b9mZ1$9JHk2oO0u1d6bq7LQ0V5y3N8mX0aW4rT="\n'
    )
    assert [f.code for f in run(make_project, settings)] == ["DJ050"]


def test_actions_keyed_by_a_secret_word_are_no_secrets(make_project):
    # dicts that map an action to its form class or its rate limit: `reset_password` names
    # the action, the value is a dotted path or "1/m/ip", and nothing there is a password
    settings = CLEAN + (
        "ACCOUNT_FORMS = {'signup': 'shop.forms.SignupForm', "
        "'reset_password': 'shop.forms.CustomPasswordResetForm'}\n"
        "ACCOUNT_RATE_LIMITS = {'change_password': '1/m/user', "
        "'reset_password': '1/m/ip,1/m/key', 'reset_password_from_key': '1/m/ip'}\n"
        "REST_FRAMEWORK = {'DEFAULT_THROTTLE_RATES': {'token': '10/minute'}}\n"
    )
    assert run(make_project, settings) == []


def test_a_password_under_a_dict_of_credentials_stays_one(make_project):
    settings = CLEAN + (
        "LDAP = {'BIND': {'password': 'hunter2-long-pw'}}\n"
        "STORAGES = {'default': {'OPTIONS': {'secret_key': 'abcd1234efgh'}}}\n"
    )
    assert [f.code for f in run(make_project, settings)] == ["DJ050", "DJ050"]


def test_a_secret_named_last_stays_one(make_project):
    settings = CLEAN + 'SIGNING_KEY_PASSWORD = env("SIGNING_KEY_PASSWORD", default="s3cr3t-pw")\n'
    assert [f.code for f in run(make_project, settings)] == ["DJ050"]


CI_DATABASE = """\
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "github_actions",
        "USER": "postgres",
        "PASSWORD": "postgres",
        "HOST": "127.0.0.1",
    }
}
"""


@pytest.mark.parametrize(
    "test",
    [
        'os.environ.get("GITHUB_WORKFLOW")',
        'env("GITHUB_WORKFLOW", default=None)',
        'os.environ["GITLAB_CI"]',
        '"CI" in os.environ',
        'os.getenv("CI", "").lower() == "true"',
        'env.bool("CI", default=False) and DEBUG',
        '"test" in sys.argv',
        'len(sys.argv) > 1 and sys.argv[1] == "test"',
    ],
)
def test_a_ci_databases_password_is_no_deployment_secret(make_project, test):
    # the password of a throwaway database that only CI or a test run creates
    settings = CLEAN + f"import os, sys\nif {test}:\n    DATABASES = {{\n" + CI_DATABASE
    assert [f for f in run(make_project, settings) if f.code == "DJ050"] == []


def test_the_other_branch_of_a_ci_test_is_production(make_project):
    settings = (
        CLEAN
        + "import os\nif os.environ.get('CI'):\n    DEBUG = False\nelse:\n"
        + '    EMAIL_HOST_PASSWORD = "prod-mail-pw"\n'
        + "if not os.environ.get('CI'):\n"
        + '    AWS_SECRET_ACCESS_KEY = "prod-aws-secret"\n'
        + "if os.environ.get('CI') or DEBUG:\n"
        + '    STRIPE_SECRET_KEY = "sk_either_branch"\n'
    )
    assert shape(f for f in run(make_project, settings) if f.code == "DJ050") == [
        ("DJ050", "mysite/settings.py", 19),
        ("DJ050", "mysite/settings.py", 21),
        ("DJ050", "mysite/settings.py", 23),
    ]


def test_secret_in_gitignored_local_settings(make_project):
    findings = run(
        make_project,
        CLEAN + "try:\n    from .local import *  # noqa\nexcept ImportError:\n    pass\n",
        **{
            ".gitignore": "*.pyc\nmysite/local.py\n",
            "mysite/local.py": 'SECRET_KEY = "a-developer-only-key-that-is-not-committed"\n',
        },
    )
    assert findings == []


def test_compose_env_file_named_volume_and_interpolation(make_project):
    compose = """\
        services:
          web:
            build: .
            env_file: .env
            environment:
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}
              DEBUG: "False"
            volumes:
              - media:/app/media
              - ./static:/app/static
        volumes:
          media:
    """
    assert run(make_project, **{"docker-compose.yml": compose}) == []


def test_compose_switches_and_secret_files_are_no_secrets(make_project):
    # the database images' switches about a password, and the files that hold one
    compose = """\
        services:
          db:
            image: mariadb:11
            environment:
              MARIADB_RANDOM_ROOT_PASSWORD: "1"
              MYSQL_ALLOW_EMPTY_PASSWORD: "yes"
              MARIADB_PASSWORD_FILE: /run/secrets/db_password
              POSTGRES_PASSWORD: "1"
    """
    findings = run(make_project, **{"docker-compose.yml": compose})
    # a password of "1" is still a password
    assert shape(findings) == [("DJ050", "docker-compose.yml", 8)]


def test_settings_only_in_dev_module(make_project):
    findings = run(
        make_project,
        None,
        **{
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings.dev")\n',
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": CLEAN,
            "mysite/settings/dev.py": (
                'from .base import *  # noqa\nDEBUG = True\nALLOWED_HOSTS = ["*"]\n'
            ),
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
        },
    )
    assert findings == []


def test_settings_module_bootstrap_in_a_sibling_is_not_configuration(make_project):
    findings = run(
        make_project,
        "from .base_settings import *  # noqa\n",
        **{
            "mysite/base_settings.py": CLEAN,
            "mysite/celery.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings")\n',
        },
    )
    assert findings == []


@pytest.mark.parametrize("leaf", ["pytest", "travis"])
def test_settings_of_the_test_runner_or_ci_service_hold_fixtures(make_project, leaf):
    # named for the runner (pytest) or the CI service (travis) rather than "test": their keys
    # are fixtures that production never loads
    findings = run(
        make_project,
        None,
        **{
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings.prod")\n',
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": CLEAN,
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
            f"mysite/settings/{leaf}.py": (
                'from .base import *  # noqa\nSTRIPE_SECRET_KEY = "testing"\n'
                'MAILER_API_KEY = "testing"\n'
            ),
        },
    )
    assert findings == []


def test_help_text_beside_a_default_is_no_secret(make_project):
    # django-constance's CONSTANCE_CONFIG: each value is (default, help text[, type])
    settings = CLEAN + (
        "CONSTANCE_CONFIG = dict(\n"
        '    AKISMET_KEY=("", "API key for the spam checks, leave empty to disable"),\n'
        '    MAP_TOKEN=("", "Token of the map tiles service", str),\n'
        ")\n"
    )
    assert run(make_project, settings) == []


def test_a_secret_default_beside_its_help_text_is_one(make_project):
    settings = CLEAN + (
        'CONSTANCE_CONFIG = {"AKISMET_KEY": ("ak-93jd83kd9", "API key for the spam checks")}\n'
    )
    assert shape(run(make_project, settings)) == [("DJ050", "mysite/settings.py", 15)]


def test_no_dependency_file_cannot_tell(make_project):
    assert run(make_project, requirements=None) == []


# -- DJ050 literal-secret ------------------------------------------------------------------------


def test_literal_secret_key_is_masked(make_project):
    key = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
    settings = CLEAN.replace('env("SECRET_KEY")', repr(key))
    findings = run(make_project, settings)
    assert [(f.code, f.line, f.column) for f in findings] == [("DJ050", 4, 14)]
    message = findings[0].message
    assert message.startswith("SECRET_KEY in mysite/settings.py is a secret written in the file")
    assert "a 50-character string" in message
    assert key not in message and key[:6] not in message


def test_literal_secret_of_eight_characters_is_an_8_character_string(make_project):
    settings = CLEAN.replace('env("SECRET_KEY")', repr("k3#v9!q0"))
    message = run(make_project, settings)[0].message
    assert "an 8-character string" in message


def test_the_article_follows_how_the_number_is_read():
    words = {n: article(n) for n in (1, 8, 11, 12, 18, 50, 80, 110, 800, 8000, 11000, 18000)}
    assert words == {
        1: "a",
        8: "an",
        11: "an",
        12: "a",
        18: "an",
        50: "a",
        80: "an",
        110: "a",
        800: "an",
        8000: "an",
        11000: "an",
        18000: "an",
    }


def test_nested_password_url_and_dsn(make_project):
    settings = CLEAN + (
        'DATABASES["default"]["PASSWORD"] = "hunter22"\n'
        'CELERY_BROKER_URL = "amqp://guest:guest-pw@rabbit:5672//"\n'
        'SENTRY_DSN = "https://abc123def@o1.ingest.sentry.io/42"\n'
        'SOCIALACCOUNT_PROVIDERS = {"google": {"APP": {"client_id": "x", "secret": "gsecret"}}}\n'
        'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG"\n'
        'SECRET_KEY_FALLBACKS = ["old-rotated-key"]\n'
    )
    findings = [f for f in run(make_project, settings) if f.code == "DJ050"]
    assert shape(findings) == [
        ("DJ050", "mysite/settings.py", 15),
        ("DJ050", "mysite/settings.py", 16),
        ("DJ050", "mysite/settings.py", 17),
        ("DJ050", "mysite/settings.py", 18),
        ("DJ050", "mysite/settings.py", 19),
        ("DJ050", "mysite/settings.py", 20),
    ]
    messages = [f.message for f in findings]
    assert messages[0].startswith("DATABASES['default']['PASSWORD'] in")
    assert 'env.db("DATABASE_URL")' in messages[0]
    assert "a password in amqp://***@rabbit:5672//" in messages[1]
    assert "a key in https://***@o1.ingest.sentry.io/42" in messages[2]
    assert messages[3].startswith("SOCIALACCOUNT_PROVIDERS['google']['APP']['secret'] in")
    # a key that names only the kind of secret gets its place in the variable's name
    assert 'env("SOCIALACCOUNT_PROVIDERS_GOOGLE_APP_SECRET")' in messages[3]
    # the settings rewrite does not take that dictionary apart: no fix is promised for it,
    # and the DATABASES one keeps its fix
    fixes = [f.effective_fix.safety.value for f in findings]
    assert fixes[0] == "unsafe" and fixes[3] == "none"
    for secret in ("hunter22", "guest-pw", "abc123def", "gsecret", "wJalrXUtnFEMI", "rotated"):
        assert not any(secret in m for m in messages)


def test_secret_defaults_of_environment_reads(make_project):
    settings = CLEAN.replace('env("SECRET_KEY")', 'env("SECRET_KEY", default="insecure-dev")')
    settings = settings.replace('default="")', 'default="mailpw")')
    settings += (
        "import os\n"
        'DB_PASSWORD = os.getenv("DB_PASSWORD", "inkwell")\n'
        'REDIS_URL = os.environ.get("REDIS_URL", "redis://:redispw@redis:6379/0")\n'
    )
    findings = [f for f in run(make_project, settings) if f.code == "DJ050"]
    assert [(f.line, f.column) for f in findings] == [(4, 40), (14, 58), (16, 40), (17, 41)]
    assert all("has a committed default that is a secret" in f.message for f in findings)
    assert "redis://***@redis:6379/0" in findings[3].message


def test_secret_in_dev_module_counts(make_project):
    findings = run(
        make_project,
        None,
        **{
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings.dev")\n',
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": CLEAN,
            "mysite/settings/dev.py": 'from .base import *  # noqa\nSECRET_KEY = "dev-only-1234"\n',
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
        },
    )
    assert shape(findings) == [("DJ050", "mysite/settings/dev.py", 2)]


def test_secret_in_compose_environment(make_project):
    compose = """\
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_USER: shop
              POSTGRES_PASSWORD: shop-pass-2017
          web:
            build: .
            environment:
              - DATABASE_URL=postgres://shop:shop-pass-2017@db/shop
    """
    findings = run(make_project, **{"docker-compose.yml": compose})
    assert shape(findings) == [
        ("DJ050", "docker-compose.yml", 6),
        ("DJ050", "docker-compose.yml", 10),
    ]
    assert "POSTGRES_PASSWORD of service 'db' in docker-compose.yml" in findings[0].message
    assert not any("shop-pass-2017" in f.message for f in findings)


# -- DJ051 literal-config ------------------------------------------------------------------------


def test_hard_coded_production_config(make_project):
    settings = """\
        import environ

        env = environ.Env()
        SECRET_KEY = env("SECRET_KEY")
        DEBUG = False
        ALLOWED_HOSTS = ["shop.example.com"]
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "shop",
                "HOST": "db.internal",
                "PASSWORD": env("DB_PASSWORD"),
            },
            "local": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"},
        }
        CACHES = {
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://r:6379/1"},
            "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"},
        }
        CELERY_BROKER_URL = "amqp://rabbit:5672//"
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [("redis", 6379)]},
            }
        }
    """
    findings = run(make_project, settings)
    assert shape(findings) == [
        ("DJ051", "mysite/settings.py", 5),
        ("DJ051", "mysite/settings.py", 6),
        ("DJ051", "mysite/settings.py", 7),
        ("DJ051", "mysite/settings.py", 17),
        ("DJ051", "mysite/settings.py", 21),
        ("DJ051", "mysite/settings.py", 22),
    ]
    messages = [f.message for f in findings]
    assert messages[0].startswith("DEBUG is hard-coded in mysite/settings.py")
    assert "HOST, NAME, USER of 'default'" in messages[2] and "'local'" not in messages[2]
    assert "LOCATION of 'default' in" in messages[3]
    assert 'env("REDIS_URL")' in messages[3]
    assert messages[4].startswith("CELERY_BROKER_URL hard-codes the rabbitmq location")
    assert 'env("CELERY_BROKER_URL")' in messages[4]
    assert 'env("REDIS_URL")' in messages[5]


# -- DJ052 .. DJ054 ------------------------------------------------------------------------------


def test_os_environ_one_finding_per_setting(make_project):
    settings = """\
        import os

        SECRET_KEY = os.environ["SECRET_KEY"]
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": os.environ.get("DB_NAME"),
                "USER": os.environ.get("DB_USER"),
                "HOST": os.getenv("DB_HOST"),
            }
        }
        DEBUG = os.environ.get("DEBUG") == "1"
        if os.getenv("SENTRY"):
            pass
    """
    findings = run(make_project, settings)
    assert [(f.code, f.line, f.column) for f in findings] == [
        ("DJ052", 3, 14),
        ("DJ052", 7, 17),
        ("DJ052", 12, 9),
        ("DJ052", 13, 4),
    ]
    messages = [f.message for f in findings]
    assert messages[0] == (
        "SECRET_KEY in mysite/settings.py reads os.environ: read it with django-environ "
        '(env("SECRET_KEY")) so the value is cast and checked'
    )
    assert "(3 reads)" in messages[1] and 'env.db("DATABASE_URL")' in messages[1]
    assert 'env.bool("DEBUG")' in messages[2]
    assert messages[3].startswith("the settings in mysite/settings.py read os.getenv()")


def test_os_environ_suggests_the_read_the_fix_writes(make_project):
    # the method named is the read's own cast, as the rewrite gives it: int() around the read,
    # a string default stays text, a False default of a token is text
    settings = """\
        import os

        FILE_SIZE_LIMIT = int(os.environ.get("FILE_SIZE_LIMIT", 5242880))
        BROKER_PORT = os.environ.get("BROKER_PORT", "5672")
        GITHUB_ACCESS_TOKEN = os.environ.get("GITHUB_ACCESS_TOKEN", False)
        USE_S3 = os.environ.get("USE_S3", False)
        DEBUG = int(os.environ.get("DEBUG", "0"))
    """
    suggested = [re.search(r"\((env[^)]*\))\)", f.message)[1] for f in run(make_project, settings)]
    assert suggested == [
        'env.int("FILE_SIZE_LIMIT")',
        'env("BROKER_PORT")',
        'env.str("GITHUB_ACCESS_TOKEN")',
        'env.bool("USE_S3")',
        'env.bool("DEBUG")',
    ]


def test_decouple_one_finding_per_file(make_project):
    settings = """\
        from decouple import Csv, config

        SECRET_KEY = config("SECRET_KEY")
        DEBUG = config("DEBUG", default=False, cast=bool)
        ALLOWED_HOSTS = config("ALLOWED_HOSTS", cast=Csv())
    """
    findings = run(make_project, settings, requirements="Django\npython-decouple\n")
    assert [(f.code, f.line, f.column) for f in findings] == [("DJ053", 3, 14)]
    assert "reads the environment 3 times with python-decouple's config()" in (findings[0].message)
    assert "(for ALLOWED_HOSTS, DEBUG, SECRET_KEY)" in findings[0].message


def test_environs(make_project):
    settings = """\
        from environs import Env

        env = Env()
        DEBUG = env.bool("DEBUG", False)
    """
    findings = run(make_project, settings, requirements="Django\nenvirons\n")
    assert [(f.code, f.line) for f in findings] == [("DJ054", 4)]
    assert "reads the environment once with environs (for DEBUG)" in findings[0].message


# -- DJ055 env-file-mounted ----------------------------------------------------------------------


def test_mounted_env_file_and_settings(make_project):
    compose = """\
        services:
          web:
            build: .
            volumes:
              - ./.env:/app/.env
              - ./mysite/settings.py:/app/mysite/settings.py:ro
              - ./deploy/prod.py:/app/mysite/local_settings.py
              - type: bind
                source: ./config/prod.env
                target: /app/prod.env
              - ./mysite:/app/mysite
    """
    findings = run(make_project, **{"docker-compose.yml": compose})
    assert shape(findings) == [
        ("DJ055", "docker-compose.yml", 5),
        ("DJ055", "docker-compose.yml", 6),
        ("DJ055", "docker-compose.yml", 7),
        ("DJ055", "docker-compose.yml", 9),
    ]
    assert findings[0].message == (
        "service 'web' in docker-compose.yml bind-mounts the env file ./.env into the "
        "container: pass it with env_file: so its values become environment variables instead"
    )
    assert "bind-mounts the settings ./mysite/settings.py" in findings[1].message


def test_mounted_settings_package(make_project):
    compose = "services:\n  web:\n    volumes:\n      - ./mysite/settings/:/app/mysite/settings/\n"
    findings = run(
        make_project,
        None,
        **{
            "mysite/settings/__init__.py": "from .base import *  # noqa\n",
            "mysite/settings/base.py": CLEAN,
            "docker-compose.yml": compose,
        },
    )
    assert shape(findings) == [("DJ055", "docker-compose.yml", 4)]


# -- DJ056 django-environ-missing ----------------------------------------------------------------


def test_django_environ_not_declared(make_project):
    findings = run(make_project, requirements="Django==5.2\n")
    assert shape(findings) == [("DJ056", "mysite/settings.py", 1)]
    assert findings[0].message == (
        "mysite/settings.py imports environ, but requirements.txt does not declare "
        "django-environ, so a fresh install cannot start: add django-environ to the dependencies"
    )


def test_wrong_environ_package_declared(make_project):
    findings = run(make_project, requirements="Django==5.2\nenviron==1.0\n")
    assert [f.code for f in findings] == ["DJ056"]
    assert "(it declares `environ`, an unrelated package)" in findings[0].message


# -- the test projects ---------------------------------------------------------------------------


def codes_of(name: str, root=PROJECTS) -> list[tuple[str, str, int | None]]:
    return shape(findings_of(item05, discover(root / name)))


def test_deploy_ready_is_clean():
    assert codes_of("deploy_ready") == []


def test_legacy_single():
    assert codes_of("legacy_single") == [
        ("DJ050", "docker-compose.yml", 9),
        ("DJ050", "legacy/settings.py", 13),
        ("DJ050", "legacy/settings.py", 64),
        ("DJ050", "legacy/settings.py", 113),
        ("DJ050", "legacy/settings.py", 118),
        ("DJ051", "legacy/settings.py", 15),
        ("DJ051", "legacy/settings.py", 17),
        ("DJ051", "legacy/settings.py", 59),
        ("DJ051", "legacy/settings.py", 70),
        ("DJ055", "docker-compose.yml", 17),
        ("DJ055", "docker-compose.yml", 18),
    ]


def test_split_settings():
    assert codes_of("split_settings") == [
        ("DJ050", "config/settings/base.py", 60),
        ("DJ050", "config/settings/dev.py", 5),
        ("DJ051", "config/settings/prod.py", 5),
        ("DJ052", "config/settings/base.py", 8),
        ("DJ052", "config/settings/base.py", 58),
        ("DJ052", "config/settings/prod.py", 7),
    ]


def test_celery_services():
    assert codes_of("celery_services") == [
        ("DJ050", "docker-compose.yml", 33),
        ("DJ050", "svc/settings.py", 11),
        ("DJ050", "svc/settings.py", 59),
        ("DJ050", "svc/settings.py", 90),
        ("DJ050", "svc/settings.py", 102),
        ("DJ050", "svc/settings.py", 103),
        ("DJ051", "svc/settings.py", 65),
        ("DJ051", "svc/settings.py", 90),
        ("DJ051", "svc/settings.py", 91),
        ("DJ051", "svc/settings.py", 97),
        ("DJ053", "svc/settings.py", 11),
    ]


def test_other_projects():
    assert [c for c, _, _ in codes_of("asgi_channels")] == ["DJ050", "DJ051", "DJ051", "DJ051"]
    assert [c for c, _, _ in codes_of("manage_subfolder")] == [
        "DJ050",
        "DJ050",
        "DJ051",
        "DJ051",
        "DJ051",
    ]
    assert ("DJ055", "docker-compose.yml", 16) in codes_of("legacy_project", EXAMPLES)


# -- DJ057: settings read from a module each installation writes ---------------------------------


def test_an_optional_local_override_with_a_template_is_not_reported(make_project):
    findings = run(
        make_project,
        CLEAN + "try:\n    from .local import *  # noqa\nexcept ImportError:\n    pass\n",
        **{".gitignore": "mysite/local.py\n", "mysite/local.py.example": "DEBUG = True\n"},
    )
    assert findings == []


def test_a_committed_module_beside_its_template_is_not_reported(make_project):
    findings = run(
        make_project,
        CLEAN + "from .local import *  # noqa\n",
        **{"mysite/local.py": "", "mysite/local_example.py": "DEBUG = True\n"},
    )
    assert findings == []


def test_settings_from_an_ignored_configuration_module(tmp_path):
    # every value read with getattr() from configuration.py, which git ignores; only
    # configuration_example.py is committed: item 5 cannot pass in silence
    from tests.config_module import make_repo

    project = discover(make_repo(tmp_path))
    found = [f for f in findings_of(item05, project) if f.code == "DJ057"]
    assert shape(found) == [("DJ057", "inventory/settings.py", 11)]
    assert found[0].message == (
        "the settings read their configuration from inventory/configuration.py, which git "
        "ignores: each installation writes its own from inventory/configuration_example.py, so "
        "a clone does not start until someone does, and a deployment has to make or mount the "
        "file: read what it holds (SECRET_KEY, the database, the hosts) from the environment "
        "with django-environ"
    )
    # loaded by name (importlib, netbox's shape), with a variable naming another module: djfix
    # does not guess which module a deployment loads
    assert (found[0].effective_fix.safety.value, found[0].effective_fix.reason) == (
        "none",
        "the settings load the module inventory.configuration, or the module the environment "
        "variable INVENTORY_CONFIGURATION names, with their own loader (importlib.import_module, "
        "line 13), not an import djfix can redirect: read what "
        "inventory/configuration_example.py holds from the environment by hand",
    )


# -- DJ058: settings read from a configuration file -----------------------------------------------

CONFIG_READS = """\
import configparser
import json
import os
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    with (BASE_DIR / "conf" / "secrets.json").open() as handle:
        SECRETS = json.load(handle)
except OSError:
    SECRETS = {"secret_key": "a"}

SETTINGS_YAML = yaml.safe_load(open(os.path.join(BASE_DIR, "settings.yml")))
parser = configparser.ConfigParser()
parser.read(BASE_DIR / "site.ini")
KEYS = json.loads((BASE_DIR / "keys.json").read_text())
"""

HANDED_OVER = """\
import json
import os

SECRET_KEY = open("/run/secrets/django_key").read().strip()
EXTRA = json.load(open(os.environ["EXTRA_CONFIG_FILE"]))


def load_fixture(name):
    return json.load(open(name))
"""


def test_configuration_files_the_settings_parse_at_import(make_project):
    """JSON (opened by `with`, or read whole), YAML, an INI parser's read: each a deployment
    writes or mounts, so item 5 cannot pass in silence."""
    findings = [f for f in run(make_project, CLEAN + CONFIG_READS) if f.code == "DJ058"]
    start = CLEAN.count("\n")
    assert shape(findings) == [
        ("DJ058", "mysite/settings.py", start + 12),
        ("DJ058", "mysite/settings.py", start + 16),
        ("DJ058", "mysite/settings.py", start + 18),
        ("DJ058", "mysite/settings.py", start + 19),
    ]
    assert findings[0].message == (
        "the settings read their configuration from a file at import (json.load of "
        "BASE_DIR / 'conf' / 'secrets.json'): each deployment has to write or mount that file "
        "beside the image: read the values it holds (credentials, hosts, URLs) from the "
        "environment with django-environ"
    )
    assert [f.message.split(" (", 1)[1].split("):")[0] for f in findings[1:]] == [
        "yaml.safe_load of os.path.join(BASE_DIR, 'settings.yml')",
        "configparser read of BASE_DIR / 'site.ini'",
        "json.loads of BASE_DIR / 'keys.json'",
    ]
    assert all(f.fix is None for f in findings)


def test_a_secret_the_platform_hands_over_and_a_read_in_a_function_are_not_reported(
    make_project,
):
    findings = run(make_project, CLEAN + HANDED_OVER)
    assert [f for f in findings if f.code == "DJ058"] == []
