from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path
from textwrap import dedent

import libcst as cst

from codemods.installed_apps import Result, transform

APP = "common.apps.CommonConfig"
HEALTH_MIDDLEWARE = "common.middleware.HealthCheckMiddleware"


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def check(before: str, after: str, **options: object) -> Result:
    """`before` becomes exactly `after`; the output parses, keeps every comment, and a second run
    changes nothing."""
    options = {"app": APP, "middleware": HEALTH_MIDDLEWARE, **options}
    before, after = dedent(before), dedent(after)
    result = transform(before, **options)  # type: ignore[arg-type]
    assert result.code == after
    cst.parse_module(result.code)
    ast.parse(result.code)
    assert not comments(before) - comments(result.code)
    again = transform(result.code, **options)  # type: ignore[arg-type]
    assert again.code == result.code
    assert again.rewritten == []
    return result


def unchanged(source: str, **options: object) -> Result:
    options = {"app": APP, "middleware": HEALTH_MIDDLEWARE, **options}
    source = dedent(source)
    result = transform(source, **options)  # type: ignore[arg-type]
    assert result.code == source
    assert result.rewritten == []
    return result


MIDDLEWARE = """\
MIDDLEWARE = [
    "common.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
]
"""


# -- nothing to change ---------------------------------------------------------------------------


def test_already_installed_as_app_config() -> None:
    result = unchanged(
        'INSTALLED_APPS = [\n    "blog",\n    "common.apps.CommonConfig",\n]\n' + MIDDLEWARE
    )
    assert result.left == []


def test_already_installed_as_package() -> None:
    result = unchanged("INSTALLED_APPS = ('blog', 'common')\n" + MIDDLEWARE)
    assert result.left == []


def test_already_installed_with_another_app_config_of_the_package() -> None:
    # a second AppConfig of the same package would be a duplicate label
    unchanged('INSTALLED_APPS = ["common.apps.LegacyConfig"]\n' + MIDDLEWARE)


def test_already_installed_by_append_or_augmented_assignment() -> None:
    unchanged('INSTALLED_APPS = ["blog"]\nINSTALLED_APPS.append("common")\n' + MIDDLEWARE)
    unchanged('INSTALLED_APPS = ["blog"]\nINSTALLED_APPS += ("common.apps.CommonConfig",)\n')


def test_already_installed_through_a_part_of_the_sum() -> None:
    unchanged(
        """\
        DJANGO_APPS = ["django.contrib.auth"]
        LOCAL_APPS = ["blog"]
        LOCAL_APPS += ["common"]
        INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS
        """,
        middleware=None,
    )


def test_middleware_present_but_not_first_is_reported() -> None:
    result = unchanged(
        """\
        INSTALLED_APPS = ["common"]
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "common.middleware.HealthCheckMiddleware",
        ]
        """
    )
    assert result.left == [
        (
            "MIDDLEWARE",
            2,
            "common.middleware.HealthCheckMiddleware is in MIDDLEWARE but not first: middleware "
            "before it sees health probes first",
        )
    ]


def test_installed_apps_from_another_module() -> None:
    result = unchanged(
        """\
        from .base import *  # noqa: F403

        INSTALLED_APPS += ["debug_toolbar"]
        MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
        """
    )
    assert result.left == [
        (
            "INSTALLED_APPS",
            0,
            "INSTALLED_APPS comes from another module (this one only extends it): add the entry "
            "where it is defined",
        ),
        (
            "MIDDLEWARE",
            0,
            "MIDDLEWARE comes from another module (this one only extends it): add the entry "
            "where it is defined",
        ),
    ]
    assert result.inherited == {"INSTALLED_APPS", "MIDDLEWARE"}
    assert result.present == set()


def test_installed_apps_extended_from_another_module_by_assignment() -> None:
    result = unchanged(
        """\
        from .base import *  # noqa: F403

        INSTALLED_APPS = INSTALLED_APPS + ["debug_toolbar"]
        MIDDLEWARE = MIDDLEWARE + ["debug_toolbar.middleware.DebugToolbarMiddleware"]
        """
    )
    assert [(name, line) for name, line, _ in result.left] == [
        ("INSTALLED_APPS", 3),
        ("MIDDLEWARE", 4),
    ]
    assert all("comes from another module" in reason for _, _, reason in result.left)
    assert result.inherited == {"INSTALLED_APPS", "MIDDLEWARE"}


COMPUTED = "\n# Health checks and startup probes first, once the lists are computed above\n"


def test_installed_apps_built_by_a_function() -> None:
    result = check(
        "INSTALLED_APPS = get_apps(ENVIRONMENT)\n" + MIDDLEWARE,
        "INSTALLED_APPS = get_apps(ENVIRONMENT)\n"
        + COMPUTED
        + 'INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]\n'
        + MIDDLEWARE,
    )
    assert result.rewritten == [("INSTALLED_APPS", 1)]
    assert result.left == []


def test_installed_apps_from_an_imported_list() -> None:
    check(
        "from shared.apps import APPS\n\nINSTALLED_APPS = APPS\n" + MIDDLEWARE,
        "from shared.apps import APPS\n\nINSTALLED_APPS = APPS\n"
        + COMPUTED
        + 'INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]\n'
        + MIDDLEWARE,
    )


def test_lists_computed_together_by_a_helper() -> None:
    result = check(
        """\
        from .tools import with_extras

        INSTALLED_APPS = (
            "django.contrib.auth",
            "blog",
        )
        MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
        INSTALLED_APPS, MIDDLEWARE = with_extras(INSTALLED_APPS, MIDDLEWARE)
        if DEBUG:
            INSTALLED_APPS += ("debug_toolbar",)
        ROOT_URLCONF = "site.urls"
        """,
        """\
        from .tools import with_extras

        INSTALLED_APPS = (
            "django.contrib.auth",
            "blog",
        )
        MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
        INSTALLED_APPS, MIDDLEWARE = with_extras(INSTALLED_APPS, MIDDLEWARE)
        if DEBUG:
            INSTALLED_APPS += ("debug_toolbar",)

        # Health checks and startup probes first, once the lists are computed above
        INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]
        MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", *MIDDLEWARE]
        ROOT_URLCONF = "site.urls"
        """,
    )
    assert result.rewritten == [("INSTALLED_APPS", 8), ("MIDDLEWARE", 8)]
    assert result.left == []


def test_lists_computed_together_inside_a_block() -> None:
    result = unchanged(
        """\
        INSTALLED_APPS = ["blog"]
        MIDDLEWARE = []
        if DEBUG:
            INSTALLED_APPS, MIDDLEWARE = with_toolbar(INSTALLED_APPS, MIDDLEWARE)
        """
    )
    assert [name for name, _, _ in result.left] == ["INSTALLED_APPS", "MIDDLEWARE"]
    assert all("inside a block" in reason for _, _, reason in result.left)


def test_installed_apps_set_inside_a_block() -> None:
    result = unchanged(
        """\
        try:
            INSTALLED_APPS = ["blog", "grappelli"]
        except ImportError:
            INSTALLED_APPS = ["blog"]
        """,
        middleware=None,
    )
    assert result.left == [
        (
            "INSTALLED_APPS",
            0,
            "INSTALLED_APPS is set inside a block (if/try/with): djfix does not rewrite "
            "conditional settings",
        )
    ]


def test_installed_apps_replaced_inside_a_block() -> None:
    result = unchanged(
        """\
        INSTALLED_APPS = ["blog"]
        if TESTING:
            INSTALLED_APPS = ["blog", "tests"]
        """,
        middleware=None,
    )
    assert [reason for _, _, reason in result.left] == [
        "INSTALLED_APPS is also replaced inside a block (if/try/with): djfix does not rewrite "
        "conditional settings"
    ]


def test_app_added_only_inside_a_block() -> None:
    # adding it unconditionally would install it twice whenever the block runs
    result = unchanged(
        """\
        INSTALLED_APPS = ["blog"]
        if FEATURE_HEALTH:
            INSTALLED_APPS += ["common"]
        """,
        middleware=None,
    )
    assert result.left == [
        (
            "INSTALLED_APPS",
            1,
            "common is added to INSTALLED_APPS only inside a block (if/try/with): adding it "
            "again would install it twice",
        )
    ]


def test_settings_without_installed_apps_or_middleware() -> None:
    result = unchanged('DEBUG = False\n\n\ndef get_apps():\n    INSTALLED_APPS = ["x"]\n')
    assert result.left == [
        ("INSTALLED_APPS", 0, "INSTALLED_APPS is not defined in this module"),
        ("MIDDLEWARE", 0, "MIDDLEWARE is not defined in this module"),
    ]


def test_middleware_starting_with_an_imported_list() -> None:
    before = (
        "from shared.middleware import BASE_MIDDLEWARE\n"
        "\n"
        'INSTALLED_APPS = ["common"]\n'
        'MIDDLEWARE = BASE_MIDDLEWARE + ["blog.middleware.Visits"]\n'
    )
    check(
        before,
        before
        + COMPUTED
        + 'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", *MIDDLEWARE]\n',
    )


def test_unparsable_settings() -> None:
    result = unchanged("INSTALLED_APPS = [\n")
    assert [(name, reason.split(":")[0]) for name, _, reason in result.left] == [
        ("<module>", "not valid Python")
    ]


# -- rewrites ------------------------------------------------------------------------------------


def test_one_per_line_list() -> None:
    result = check(
        """\
        INSTALLED_APPS = [
            "django.contrib.admin",
            "django.contrib.staticfiles",
            # our apps
            "blog",  # the blog
        ]

        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",  # HTTPS first
            "django.middleware.common.CommonMiddleware",
        ]
        """,
        """\
        INSTALLED_APPS = [
            "common.apps.CommonConfig",
            "django.contrib.admin",
            "django.contrib.staticfiles",
            # our apps
            "blog",  # the blog
        ]

        MIDDLEWARE = [
            "common.middleware.HealthCheckMiddleware",
            "django.middleware.security.SecurityMiddleware",  # HTTPS first
            "django.middleware.common.CommonMiddleware",
        ]
        """,
    )
    assert result.rewritten == [("INSTALLED_APPS", 1), ("MIDDLEWARE", 8)]
    assert result.left == []


def test_one_line_list() -> None:
    check(
        'INSTALLED_APPS = ["django.contrib.auth", "blog"]\nMIDDLEWARE = ["a.B"]\n',
        'INSTALLED_APPS = ["common.apps.CommonConfig", "django.contrib.auth", "blog"]\n'
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", "a.B"]\n',
    )


def test_old_tuple_without_trailing_comma_and_middleware_classes() -> None:
    result = check(
        """\
        INSTALLED_APPS = (
            'django.contrib.auth',
            'blog'
        )

        MIDDLEWARE_CLASSES = (
            'django.middleware.common.CommonMiddleware',
        )
        """,
        """\
        INSTALLED_APPS = (
            'common.apps.CommonConfig',
            'django.contrib.auth',
            'blog'
        )

        MIDDLEWARE_CLASSES = (
            'common.middleware.HealthCheckMiddleware',
            'django.middleware.common.CommonMiddleware',
        )
        """,
    )
    assert result.rewritten == [("INSTALLED_APPS", 1), ("MIDDLEWARE_CLASSES", 6)]


def test_both_middleware_settings() -> None:
    result = check(
        """\
        INSTALLED_APPS = ["blog"]
        MIDDLEWARE = ["blog.middleware.Visits"]
        MIDDLEWARE_CLASSES = ["blog.middleware.Visits"]
        """,
        """\
        INSTALLED_APPS = ["common.apps.CommonConfig", "blog"]
        MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", "blog.middleware.Visits"]
        MIDDLEWARE_CLASSES = ["common.middleware.HealthCheckMiddleware", "blog.middleware.Visits"]
        """,
    )
    assert result.rewritten == [
        ("INSTALLED_APPS", 1),
        ("MIDDLEWARE", 2),
        ("MIDDLEWARE_CLASSES", 3),
    ]


def test_middleware_named_twice_gets_one_entry() -> None:
    result = check(
        """\
        INSTALLED_APPS = ()
        MIDDLEWARE_CLASSES = [
            "django.middleware.common.CommonMiddleware",
        ]
        MIDDLEWARE = MIDDLEWARE_CLASSES
        """,
        """\
        INSTALLED_APPS = ("common.apps.CommonConfig",)
        MIDDLEWARE_CLASSES = [
            "common.middleware.HealthCheckMiddleware",
            "django.middleware.common.CommonMiddleware",
        ]
        MIDDLEWARE = MIDDLEWARE_CLASSES
        """,
    )
    assert result.rewritten == [
        ("INSTALLED_APPS", 1),
        ("MIDDLEWARE", 2),
        ("MIDDLEWARE_CLASSES", 2),
    ]


COOKIECUTTER = """\
# APPS
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
]
THIRD_PARTY_APPS = [
    "rest_framework",
]

LOCAL_APPS = [
    "shop.users",
    # Your stuff: custom apps go here
]
# https://docs.djangoproject.com/en/dev/ref/settings/#installed-apps
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
"""


def test_sum_of_lists_goes_first_in_the_first_part() -> None:
    result = check(
        COOKIECUTTER,
        COOKIECUTTER.replace(
            "DJANGO_APPS = [\n", 'DJANGO_APPS = [\n    "common.apps.CommonConfig",\n'
        ).replace(
            "MIDDLEWARE = [\n", 'MIDDLEWARE = [\n    "common.middleware.HealthCheckMiddleware",\n'
        ),
    )
    assert result.rewritten == [("INSTALLED_APPS", 2), ("MIDDLEWARE", 17)]


def test_sum_of_tuples() -> None:
    check(
        """\
        PROJECT_APPS = ("blog",)
        CONTRIB_APPS = ("django.contrib.auth",)
        INSTALLED_APPS = PROJECT_APPS + CONTRIB_APPS
        """,
        """\
        PROJECT_APPS = ("common.apps.CommonConfig", "blog",)
        CONTRIB_APPS = ("django.contrib.auth",)
        INSTALLED_APPS = PROJECT_APPS + CONTRIB_APPS
        """,
        middleware=None,
    )


def test_sum_starting_with_an_imported_list() -> None:
    before = dedent(
        """\
        from shared.apps import BASE_APPS

        DEFAULT_APPS = ["django.contrib.auth"]
        INSTALLED_APPS = BASE_APPS + DEFAULT_APPS + ["blog"]
        """
    )
    check(
        before,
        before + COMPUTED + 'INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]\n',
        middleware=None,
    )


def test_empty_first_part_with_a_comment() -> None:
    check(
        """\
        BASE_APPS = [
            # none yet
        ]
        INSTALLED_APPS = BASE_APPS + ["django.contrib.auth"]
        MIDDLEWARE = []
        """,
        """\
        BASE_APPS = [
            # none yet
            "common.apps.CommonConfig",
        ]
        INSTALLED_APPS = BASE_APPS + ["django.contrib.auth"]
        MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]
        """,
    )


def test_definition_is_edited_not_its_extensions() -> None:
    result = check(
        """\
        INSTALLED_APPS = [
            "blog",
        ]
        INSTALLED_APPS += ["shop"]
        INSTALLED_APPS.append("search")
        INSTALLED_APPS = INSTALLED_APPS + ["reports"]
        if DEBUG:
            INSTALLED_APPS += ["debug_toolbar"]
        """,
        """\
        INSTALLED_APPS = [
            "common.apps.CommonConfig",
            "blog",
        ]
        INSTALLED_APPS += ["shop"]
        INSTALLED_APPS.append("search")
        INSTALLED_APPS = INSTALLED_APPS + ["reports"]
        if DEBUG:
            INSTALLED_APPS += ["debug_toolbar"]
        """,
        middleware=None,
    )
    assert result.rewritten == [("INSTALLED_APPS", 1)]


def test_annotated_settings_and_middleware_sum() -> None:
    check(
        """\
        INSTALLED_APPS: list[str] = ["blog"]
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
        ] + EXTRA_MIDDLEWARE
        """,
        """\
        INSTALLED_APPS: list[str] = ["common.apps.CommonConfig", "blog"]
        MIDDLEWARE = [
            "common.middleware.HealthCheckMiddleware",
            "django.middleware.security.SecurityMiddleware",
        ] + EXTRA_MIDDLEWARE
        """,
    )


def test_single_quotes_are_kept() -> None:
    check(
        "INSTALLED_APPS = ['blog']\nSECRET_KEY = 'x'\n",
        "INSTALLED_APPS = ['common.apps.CommonConfig', 'blog']\nSECRET_KEY = 'x'\n",
        middleware=None,
    )


def test_middleware_only() -> None:
    # a split settings module whose INSTALLED_APPS lives elsewhere
    result = check(
        'MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]\n',
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", '
        '"django.middleware.common.CommonMiddleware"]\n',
        app=None,
    )
    assert result.rewritten == [("MIDDLEWARE", 1)]
    assert result.left == []


def test_another_label() -> None:
    # "common" belongs to the project: the generated app is djfix_common
    check(
        'INSTALLED_APPS = ["common"]\n',
        'INSTALLED_APPS = ["djfix_common.apps.CommonConfig", "common"]\n',
        app="djfix_common.apps.CommonConfig",
        middleware=None,
    )


# -- the rewritten settings load in Django ---------------------------------------------------------

APPS_PY = """\
from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
"""
MIDDLEWARE_PY = """\
class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
"""
SCRIPT = """\
import django
from django.apps import apps
from django.conf import settings

django.setup()
print(type(apps.get_app_config("common")).__name__, settings.MIDDLEWARE[0])
"""


def test_rewritten_settings_load_in_django(tmp_path: Path) -> None:
    settings = COOKIECUTTER.replace('    "rest_framework",\n', "").replace(
        '    "shop.users",\n', ""
    )
    result = transform('SECRET_KEY = "test"\n' + settings, app=APP, middleware=HEALTH_MIDDLEWARE)
    files = {
        "shop/__init__.py": "",
        "shop/settings.py": result.code,
        "common/__init__.py": "",
        "common/apps.py": APPS_PY,
        "common/middleware.py": MIDDLEWARE_PY,
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(tmp_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "shop.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == ["CommonConfig", HEALTH_MIDDLEWARE]
