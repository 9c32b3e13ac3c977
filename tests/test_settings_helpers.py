"""The project's own environment readers (`fixer.settings_helpers`): a call to a function whose
first parameter names a variable and whose result comes from `os.getenv(name, default)` reads
that variable, with the default its default parameter receives and the function's cast."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from fixer.settings_eval import evaluate_settings
from fixer.settings_values import MISSING, EnvRef, Unknown
from fixer.sources import SourceCache
from tests.conftest import write_tree

READERS = dedent(
    """\
    import os
    from pathlib import Path

    from django.core.exceptions import ImproperlyConfigured


    def envbool(s: str, default: str) -> bool:
        v = os.getenv(s, default=default)
        if v not in ("", "True", "False"):
            raise ImproperlyConfigured(f"{v} is no boolean for {s}")
        return v == "True"


    def envint(s: str, default: str) -> int | None:
        v = os.getenv(s, default)
        if v == "None":
            return None
        return int(v)


    def envsecret(s: str, default: str | None = None) -> str | None:
        if path := os.getenv(s + "_FILE"):
            return Path(path).read_text().strip()
        return os.getenv(s, default)
    """
)


def evaluate(tmp_path: Path, files: dict[str, str], module: str = "mysite.settings"):
    write_tree(tmp_path, {"mysite/__init__.py": "", **files})
    return evaluate_settings(SourceCache(tmp_path), tmp_path, module)


def read(ref: object) -> tuple:
    assert isinstance(ref, EnvRef), ref
    helper = ref.helper.name if ref.helper is not None else None
    return (ref.var, ref.api, ref.cast, ref.default, helper, ref.line, ref.column)


# -- not readers ----------------------------------------------------------------------------------


def test_a_function_that_reads_a_computed_name_is_no_reader(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os

                def prefixed(name, default=""):
                    return os.getenv("APP_" + name, default)

                SITE_NAME = prefixed("SITE_NAME", "Pulse")
            """
        },
    )
    assert isinstance(s.get("SITE_NAME"), Unknown)
    assert "prefixed" not in s.names
    assert s.env_uses == []


def test_a_function_that_builds_another_value_is_no_reader(tmp_path):
    # a list split from the text, two reads of the name, a parameter that is not the name:
    # none of them is the shape, so their calls stay unknown
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os

                def envlist(s, default=""):
                    return os.getenv(s, default).split(",")

                def either(s, default=""):
                    return os.getenv(s) or os.getenv(s, default)

                def second(prefix, s, default=""):
                    return os.getenv(s, default)

                HOSTS = envlist("HOSTS", "a,b")
                NAME = either("NAME", "x")
                OTHER = second("X", "OTHER")
            """
        },
    )
    for name in ("HOSTS", "NAME", "OTHER"):
        assert isinstance(s.get(name), Unknown), name
    assert s.env_uses == []


def test_a_call_that_misses_the_default_argument_is_not_read(tmp_path):
    s = evaluate(tmp_path, {"mysite/settings.py": READERS + '\nDEBUG = envbool("DEBUG")\n'})
    assert isinstance(s.get("DEBUG"), Unknown)
    assert s.env_uses == []


# -- readers --------------------------------------------------------------------------------------


def test_readers_in_the_settings_module(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": READERS
            + dedent(
                """\

                SECRET_KEY = envsecret("SECRET_KEY", "---")
                DEBUG = envbool("DEBUG", "True")
                EMAIL_PORT = envint("EMAIL_PORT", default="587")
                EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
                DATABASES = {"default": {"CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "0")}}
                """
            )
        },
    )
    assert read(s.get("SECRET_KEY")) == (
        "SECRET_KEY", "helper", None, "---", "envsecret", 26, 14
    )  # fmt: skip
    assert read(s.get("DEBUG")) == ("DEBUG", "helper", "bool", "True", "envbool", 27, 9)
    assert read(s.get("EMAIL_PORT")) == ("EMAIL_PORT", "helper", "int", "587", "envint", 28, 14)
    # the function's own default applies when the call passes none
    assert read(s.get("EMAIL_HOST_PASSWORD")) == (
        "EMAIL_HOST_PASSWORD", "helper", None, None, "envsecret", 29, 23
    )  # fmt: skip
    assert read(s.get("DATABASES")["default"]["CONN_MAX_AGE"])[:4] == (
        "DB_CONN_MAX_AGE", "helper", "int", "0"
    )  # fmt: skip
    debug = s.get("DEBUG").helper
    assert (debug.truths, debug.accepted, debug.false_spelling) == (
        ("True",), ("", "True", "False"), "False"
    )  # fmt: skip
    assert [(u.var, u.setting, u.literal_default) for u in s.env_uses] == [
        ("SECRET_KEY", "SECRET_KEY", True),
        ("DEBUG", "DEBUG", True),
        ("EMAIL_PORT", "EMAIL_PORT", True),
        ("EMAIL_HOST_PASSWORD", "EMAIL_HOST_PASSWORD", True),
        ("DB_CONN_MAX_AGE", "DATABASES", True),
    ]
    # the functions' own reads are not reads of the settings (their names are parameters)
    assert all(u.line > 24 for u in s.env_uses)


def test_readers_imported_from_a_project_module(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/envtools.py": READERS,
            "mysite/settings.py": """\
                from mysite import envtools
                from mysite.envtools import envbool as flag

                DEBUG = flag("DEBUG", "False")
                PAGE_SIZE = envtools.envint("PAGE_SIZE", "25")
            """,
        },
    )
    assert read(s.get("DEBUG")) == ("DEBUG", "helper", "bool", "False", "envbool", 4, 9)
    assert read(s.get("PAGE_SIZE")) == ("PAGE_SIZE", "helper", "int", "25", "envint", 5, 13)
    assert [(u.var, u.path) for u in s.env_uses] == [
        ("DEBUG", "mysite/settings.py"),
        ("PAGE_SIZE", "mysite/settings.py"),
    ]


def test_reader_shapes(tmp_path):
    # os.environ[...] (no default), a default written in the read, bool(v), a comparison with
    # `in`, a keyword-only default, float
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                from os import environ

                def required(name):
                    return environ[name]

                def optional(name):
                    return os.environ.get(name, "")

                def flag(name, default=""):
                    return bool(os.getenv(name, default))

                def yes(name, *, fallback="no"):
                    value = os.getenv(name, fallback)
                    return value in ("yes", "y")

                def ratio(name, default="0.5"):
                    return float(os.environ.get(name, default))

                SECRET_KEY = required("SECRET_KEY")
                SITE = optional("SITE")
                DEBUG = flag("DEBUG")
                SIGNUP = yes("SIGNUP", fallback="yes")
                RATIO = ratio("RATIO")
            """
        },
    )
    assert read(s.get("SECRET_KEY"))[:5] == ("SECRET_KEY", "helper", None, MISSING, "required")
    assert read(s.get("SITE"))[:5] == ("SITE", "helper", None, "", "optional")
    assert read(s.get("DEBUG"))[:5] == ("DEBUG", "helper", "bool", "", "flag")
    assert s.get("DEBUG").helper.truths is None  # any non-empty text is true
    assert s.get("DEBUG").helper.false_spelling == ""
    assert read(s.get("SIGNUP"))[:5] == ("SIGNUP", "helper", "bool", "yes", "yes")
    assert s.get("SIGNUP").helper.false_spelling == "False"
    assert read(s.get("RATIO"))[:5] == ("RATIO", "helper", "float", "0.5", "ratio")


def test_a_function_redefined_as_no_reader_is_no_longer_one(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": READERS
            + dedent(
                """\

                def envbool(s, default):
                    return default

                DEBUG = envbool("DEBUG", "True")
                """
            )
        },
    )
    assert isinstance(s.get("DEBUG"), Unknown)
    assert "envbool" not in s.names


def test_overload_stubs_before_the_reader_and_a_decorated_reader(tmp_path):
    # `@overload` stubs are no readers and do not hide the implementation after them; a
    # decorated function may be anything, so it is no reader either
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import functools
                import os
                from typing import overload

                @overload
                def envsecret(s: str) -> str | None: ...

                @overload
                def envsecret(s: str, default: str) -> str: ...

                def envsecret(s, default=None):
                    return os.getenv(s, default)

                @functools.cache
                def cached(s, default=""):
                    return os.getenv(s, default)

                SECRET_KEY = envsecret("SECRET_KEY", "---")
                SITE = cached("SITE")
            """
        },
    )
    assert read(s.get("SECRET_KEY"))[:5] == ("SECRET_KEY", "helper", None, "---", "envsecret")
    assert isinstance(s.get("SITE"), Unknown)


def test_readers_that_say_unset_by_a_guard(tmp_path):
    # `if name in os.environ: ... os.environ[name]` with `return None` after it is an optional
    # read (no KeyError: an unset variable gives None), and `v = os.environ.get(name)` with
    # `if v is None: return fallback` takes its default from `fallback`; a lower-cased
    # comparison takes "TRUE" as true
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os

                from django.core.validators import URLValidator

                def env_flag(name, fallback):
                    v = os.environ.get(name)
                    if v is None:
                        return fallback
                    return v.lower() in ("true", "1")

                def env_url(name, *, schemes=None):
                    if name in os.environ:
                        v = os.environ[name]
                        URLValidator(schemes=schemes)(v)
                        return v
                    return None

                def env_port(name):
                    if name not in os.environ:
                        return "8000"
                    return os.environ[name]

                def env_either(name, fallback):
                    if name in os.environ:
                        return os.environ[name]
                    if fallback:
                        return fallback
                    return ""

                DEBUG = env_flag("DEBUG", True)
                SITE_URL = env_url("SITE_URL", schemes=["https"])
                PORT = env_port("PORT")
                OTHER = env_either("OTHER", "x")
            """
        },
    )
    assert read(s.get("DEBUG"))[:5] == ("DEBUG", "helper", "bool", True, "env_flag")
    assert s.get("DEBUG").helper.is_true("TRUE") is True
    assert s.get("DEBUG").helper.false_spelling == "False"
    assert read(s.get("SITE_URL"))[:5] == ("SITE_URL", "helper", None, None, "env_url")
    assert read(s.get("PORT"))[:5] == ("PORT", "helper", None, "8000", "env_port")
    # two different values when unset: no reader, the call stays unknown
    assert isinstance(s.get("OTHER"), Unknown)


# -- functions that turn a text into a bool ------------------------------------------------------

CONVERTERS = dedent(
    """\
    import os


    def str_to_bool(value: str) -> bool:
        val_lower = value.strip().lower()
        if val_lower in ("true", "1", "t", "y", "yes"):
            return True
        elif val_lower in ("false", "0", "f", "n", "no"):
            return False
        raise ValueError(value)


    def on(value):
        return value.lower() in ("on", "1")


    def get_bool_from_env(key: str, default: str = "NO") -> bool:
        return str_to_bool(os.getenv(key, default))


    def not_a_converter(value):
        if value in ("1",):
            return True
        return value
    """
)


def test_text_to_bool_functions_are_known_by_their_shape(tmp_path):
    import ast

    from fixer.settings_helpers import text_to_bool

    functions = {f.name: f for f in ast.parse(CONVERTERS).body if isinstance(f, ast.FunctionDef)}
    found = {name: text_to_bool(f, "conv.py") for name, f in functions.items()}
    assert found["str_to_bool"] is not None and found["on"] is not None
    assert found["not_a_converter"] is None and found["get_bool_from_env"] is None
    assert found["str_to_bool"].truths == ("true", "1", "t", "y", "yes")
    assert (found["str_to_bool"].of(" YES "), found["str_to_bool"].of("no")) == (True, False)
    assert (found["on"].of("ON"), found["on"].of(" on")) == (True, False)


def test_a_reader_that_passes_the_text_to_a_converter_is_a_bool_reader(tmp_path):
    # paperless' shape: get_bool_from_env(key, default) returns str_to_bool(os.getenv(...))
    s = evaluate(
        tmp_path,
        {
            "mysite/parsers.py": CONVERTERS,
            "mysite/settings.py": """\
                from mysite.parsers import get_bool_from_env

                DEBUG = get_bool_from_env("APP_DEBUG", "NO")
            """,
        },
    )
    ref = s.get("DEBUG")
    assert read(ref) == ("APP_DEBUG", "helper", "bool", "NO", "get_bool_from_env", 3, 9)
    assert ref.helper.is_true("Yes") is True and ref.helper.is_true("NO") is False
