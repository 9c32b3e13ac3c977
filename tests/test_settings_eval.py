from __future__ import annotations

import ast
from pathlib import Path

from fixer.settings_eval import evaluate_settings
from fixer.settings_values import EnvDict, EnvRef, Unknown, is_literal
from fixer.sources import SourceCache
from tests.conftest import write_tree


def evaluate(tmp_path: Path, files: dict[str, str], module: str = "mysite.settings"):
    write_tree(tmp_path, {"mysite/__init__.py": "", **files})
    return evaluate_settings(SourceCache(tmp_path), tmp_path, module)


def test_literals_and_positions(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                DEBUG = True
                ALLOWED_HOSTS = ["a.example", "b.example"]
                DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db"}}
            """
        },
    )
    assert s.get("DEBUG") is True
    assert s.get("ALLOWED_HOSTS") == ["a.example", "b.example"]
    assert s.get("DATABASES")["default"]["NAME"] == "db"
    where = s.where("DATABASES")
    assert (where.path, where.line, where.column) == ("mysite/settings.py", 3, 1)


def test_slices_of_a_written_out_list(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                MIDDLEWARE = ["a.Security", "a.Common", "a.Csrf"]
                MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.W", *MIDDLEWARE[1:]]
                LAST = MIDDLEWARE[-2::1]
                ODD = MIDDLEWARE[::STEP]
            """
        },
    )
    assert s.get("MIDDLEWARE") == ["a.Security", "whitenoise.W", "a.Common", "a.Csrf"]
    assert s.get("LAST") == ["a.Common", "a.Csrf"]
    assert isinstance(s.get("ODD"), Unknown)


def test_reads_through_a_name_bound_to_the_environment(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os

                env = os.environ
                getenv = os.environ.get
                SECRET_KEY = env["SECRET_KEY"]
                DEBUG = env.get("DEBUG", "0") == "1"
                HOST = getenv("HOST", "localhost")
            """
        },
    )
    assert [(u.var, u.api) for u in s.env_uses] == [
        ("SECRET_KEY", "os.environ"),
        ("DEBUG", "os.environ"),
        ("HOST", "os.environ"),
    ]
    assert isinstance(s.get("HOST"), EnvRef) and s.get("HOST").default == "localhost"


def test_split_package_star_imports_override_and_mutate(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": """\
                DEBUG = False
                INSTALLED_APPS = ["django.contrib.auth", "shop"]
                DATABASES = {"default": {"ENGINE": "x", "NAME": "base"}}
            """,
            "mysite/settings/prod.py": """\
                from .base import *  # noqa

                INSTALLED_APPS += ["extra"]
                INSTALLED_APPS.append("other")
                DATABASES["default"]["CONN_MAX_AGE"] = 60
            """,
        },
        "mysite.settings.prod",
    )
    assert s.star_imports == ["mysite.settings.base"]
    assert s.get("INSTALLED_APPS") == ["django.contrib.auth", "shop", "extra", "other"]
    assert s.get("DATABASES")["default"]["CONN_MAX_AGE"] == 60
    # DEBUG keeps the place where it was defined, in base.py
    assert s.where("DEBUG").path == "mysite/settings/base.py"
    # the base module's own evaluation is not changed by prod's mutations
    base = evaluate_settings(SourceCache(tmp_path), tmp_path, "mysite.settings.base")
    assert base.get("INSTALLED_APPS") == ["django.contrib.auth", "shop"]


def test_a_star_import_brings_the_imported_modules_reader(tmp_path):
    # base imports decouple's config; prod gets it through `from .base import *` and reads
    # DEBUG and the database with it
    s = evaluate(
        tmp_path,
        {
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": """\
                from decouple import config
                SECRET_KEY = config("SECRET_KEY")
            """,
            "mysite/settings/prod.py": """\
                from .base import *

                DEBUG = config("DEBUG", cast=bool)
                DATABASES = {"default": {"ENGINE": "x", "NAME": config("DB_NAME")}}
            """,
        },
        "mysite.settings.prod",
    )
    debug = s.get("DEBUG")
    assert isinstance(debug, EnvRef)
    assert (debug.var, debug.api, debug.cast, debug.has_default) == (
        "DEBUG",
        "decouple",
        "bool",
        False,
    )
    name = s.get("DATABASES")["default"]["NAME"]
    assert isinstance(name, EnvRef) and name.var == "DB_NAME"


def test_a_split_read_keeps_its_separator(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                ALLOWED_HOSTS = os.environ.get("HOSTS").split(" ")
                INTERNAL_IPS = os.environ.get("IPS", "").split()
                ADMINS = os.environ.get("ADMINS", "").split(",")
            """
        },
    )
    for name, sep in (("ALLOWED_HOSTS", " "), ("INTERNAL_IPS", None), ("ADMINS", ",")):
        ref = s.get(name)
        assert isinstance(ref, EnvRef) and ref.cast == "list"
        assert ref.kwarg("split", "absent") == sep


def test_environment_apis_become_env_refs(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                from os import getenv
                from decouple import config, Csv
                import environ

                env = environ.Env()
                A = os.environ["A"]
                B = os.environ.get("B", "b-default")
                C = getenv("C")
                D = config("D", default=False, cast=bool)
                E = config("E", cast=Csv())
                F = env.bool("F", default=True)
                G = env("G")
                H = int(os.environ.get("H", "5"))
                I = os.environ.get("I", "").split(",")
                J = os.environ.get("J") or "fallback"
                K = os.environ.get("K") == "true"
                DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///x")}
                DATABASES["default"]["CONN_MAX_AGE"] = 30
            """
        },
    )
    a, b, c, d, e, f, g, h, i, j, k = (s.get(n) for n in "ABCDEFGHIJK")
    assert (a.api, a.var, a.has_default) == ("os.environ", "A", False)
    assert (b.api, b.var, b.default) == ("os.environ", "B", "b-default")
    assert (c.api, c.var) == ("os.getenv", "C")
    assert (d.api, d.cast, d.default) == ("decouple", "bool", False)
    assert e.cast == "list"
    assert (f.api, f.cast, f.default) == ("django-environ", "bool", True)
    assert (g.api, g.var, g.has_default) == ("django-environ", "G", False)
    assert (h.cast, h.default) == ("int", "5")
    assert i.cast == "list"
    assert j.default == "fallback"
    assert k.cast == "bool"
    db = s.get("DATABASES")["default"]
    assert isinstance(db, EnvDict)
    assert db.ref.var == "DATABASE_URL" and db.ref.default == "sqlite:///x"
    assert db["CONN_MAX_AGE"] == 30
    assert [u.var for u in s.env_uses] == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
        "H",
        "I",
        "J",
        "K",
        "DATABASE_URL",
    ]
    assert s.env_uses[1].setting == "B"


def test_dj_database_url_keywords_are_known_keys(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import dj_database_url
                DATABASES = {"default": dj_database_url.config(conn_max_age=600)}
            """
        },
    )
    db = s.get("DATABASES")["default"]
    assert isinstance(db, EnvDict) and db["CONN_MAX_AGE"] == 600
    assert db.ref.var == "DATABASE_URL"


def test_if_on_known_value_takes_one_branch(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                DEBUG = False
                if DEBUG:
                    X = 1
                else:
                    X = 2
            """
        },
    )
    assert s.get("X") == 2
    assert s.where("X").conditional is False


def test_unknown_branches_are_conditional(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                if os.environ.get("PROD"):
                    X = 1
                try:
                    from .local import *
                except ImportError:
                    pass
            """
        },
    )
    assert s.get("X") == 1
    assert s.where("X").conditional is True
    assert s.dynamic == []


def test_dynamic_constructs_are_recorded(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import importlib, os
                exec(open("extra.py").read())
                globals().update({"A": 1})
                mod = importlib.import_module(os.environ["SETTINGS"])
            """
        },
    )
    reasons = [r for _, _, r in s.dynamic]
    assert reasons == [
        "settings run exec()",
        "settings are written through globals()",
        "settings import a module chosen at run time",
    ]


def test_a_loop_writing_globals_is_one_reason_a_line(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                from mysite import configuration
                for name in dir(configuration):
                    if name.startswith("SOCIAL_"):
                        globals()[name] = getattr(configuration, name)
            """,
            "mysite/configuration.py": "SOCIAL_KEY = 'k'\n",
        },
    )
    assert [(line, reason) for _, line, reason in s.dynamic] == [(4, "globals() is written to")]


def test_circular_star_import_does_not_recurse(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings/__init__.py": "",
            "mysite/settings/a.py": "from .b import *\nA = 1\n",
            "mysite/settings/b.py": "from .a import *\nB = 2\n",
        },
        "mysite.settings.a",
    )
    assert s.get("A") == 1 and s.get("B") == 2
    assert any("circular import" in r for _, _, r in s.dynamic)


def test_unparsable_settings_give_empty_module_and_problem(tmp_path):
    s = evaluate(tmp_path, {"mysite/settings.py": "DEBUG = (\n"})
    assert s.names == {}
    assert s.file is not None and s.file.problem.kind == "syntax"


def test_split_settings_include(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings/__init__.py": """\
                from split_settings.tools import include, optional
                include("components/base.py", "components/db.py", optional("local.py"))
            """,
            "mysite/settings/components/base.py": "DEBUG = False\n",
            "mysite/settings/components/db.py": "DATABASES = {'default': {}}\nDEBUG = True\n",
        },
        "mysite.settings",
    )
    assert s.get("DEBUG") is True
    assert s.where("DEBUG").path == "mysite/settings/components/db.py"
    assert s.includes == ["mysite.settings.components.base", "mysite.settings.components.db"]


def test_is_literal():
    assert is_literal({"a": [1, "x"]})
    assert not is_literal({"a": Unknown("x")})
    assert not is_literal([EnvRef("X", "os.environ")])


def test_environ_setdefault_is_a_write_not_a_read(tmp_path):
    s = evaluate(
        tmp_path,
        {"mysite/settings.py": 'import os\nos.environ.setdefault("FEATURE_X", "False")\n'},
    )
    assert s.env_uses == []


def test_the_evaluation_holds_no_node_and_finds_each_statement_again(tmp_path):
    cache = SourceCache(tmp_path)
    write_tree(
        tmp_path,
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": """\
                INSTALLED_APPS = ["a"]
                if DEBUG:
                    INSTALLED_APPS += ["debug_toolbar"]
                INSTALLED_APPS.append("b")
            """,
        },
    )
    s = evaluate_settings(cache, tmp_path, "mysite.settings")
    s.file.release()  # the assignments hold places, not nodes: nothing holds the tree
    assert [ast.unparse(a.node) for a in s.own] == [
        "INSTALLED_APPS = ['a']",
        "INSTALLED_APPS += ['debug_toolbar']",
        "INSTALLED_APPS.append('b')",
    ]
    assert cache.store.parses == 2


def test_environs_file_aware_env_reads_like_environs_env(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                from environs import FileAwareEnv

                env = FileAwareEnv()
                DEBUG = env.bool("DEBUG", False)
            """
        },
    )
    debug = s.get("DEBUG")
    assert isinstance(debug, EnvRef)
    assert (debug.api, debug.var, debug.default) == ("environs", "DEBUG", False)


def test_a_submodule_imported_from_the_package_being_loaded_is_no_circle(tmp_path):
    # mysite/settings/__init__.py star-imports dev, which imports its sibling base by name
    s = evaluate(
        tmp_path,
        {
            "mysite/settings/__init__.py": "from .base import *\nfrom .dev import *\n",
            "mysite/settings/base.py": "INSTALLED_APPS = ['a']\nDEBUG = False\n",
            "mysite/settings/dev.py": "from . import base\n\nX = 1\n",
        },
    )
    assert s.dynamic == []
    assert s.get("DEBUG") is False and s.get("X") == 1


def test_a_read_tested_before_it_is_split_is_the_read_with_the_other_branch_as_default(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                hosts = os.environ.get("ALLOWED_HOSTS")
                ALLOWED_HOSTS = hosts.split(",") if hosts else []
                OTHER = hosts.split(",") if hosts else ["x", 1 + len(hosts)]
            """
        },
    )
    ref = s.get("ALLOWED_HOSTS")
    assert isinstance(ref, EnvRef)
    assert (ref.var, ref.cast, ref.default, ref.kwarg("split", "absent")) == (
        "ALLOWED_HOSTS",
        "list",
        [],
        ",",
    )
    assert not isinstance(s.get("OTHER"), EnvRef)  # a default that is no literal: as before


def test_import_module_of_a_written_name_is_an_import(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import importlib
                import os
                try:
                    LDAPSearch = importlib.import_module("django_auth_ldap.config").LDAPSearch
                except ImportError:
                    LDAPSearch = None
                plugin = importlib.import_module(os.environ.get("PLUGIN", "mysite.plugin"))
            """
        },
    )
    assert [(line, reason) for _, line, reason in s.dynamic] == [
        (7, "settings import a module chosen at run time")
    ]


def test_environ_scheme_gives_reads_their_cast_and_default(tmp_path):
    # `env("DJANGO_DEBUG")` of an Env with a scheme is a read with the scheme's default, not a
    # variable the settings need; a cast-only entry gives the cast and no default
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import environ
                env = environ.Env(DJANGO_DEBUG=(bool, False), PAGE_SIZE=int)
                DEBUG = env("DJANGO_DEBUG")
                PAGE = env("PAGE_SIZE")
            """
        },
    )
    debug, page = s.get("DEBUG"), s.get("PAGE")
    assert (debug.cast, debug.has_default, debug.default) == ("bool", True, False)
    assert (page.cast, page.has_default) == ("int", False)


def test_reads_under_a_membership_test_are_conditional(tmp_path):
    # `if "X" in os.environ: KWARGS["x"] = env.str("X")`: the read runs only when X is set
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                import environ
                env = environ.Env()
                SECRET_KEY = env.str("SECRET_KEY")
                POOL = dict()
                if "SSL_KEYFILE" in os.environ:
                    POOL["ssl_keyfile"] = env.str("SSL_KEYFILE")
            """
        },
    )
    conditional = {u.var: u.conditional for u in s.env_uses if u.var}
    assert conditional["SECRET_KEY"] is False
    assert conditional["SSL_KEYFILE"] is True


def test_a_read_only_where_its_variable_is_set_is_guarded(tmp_path):
    s = evaluate(
        tmp_path,
        {
            "mysite/settings.py": """\
                import os
                if "STATIC_DIR" in os.environ:
                    STATIC_ROOT = os.environ["STATIC_DIR"]
                if os.getenv("A") and os.environ.get("B"):
                    X = os.environ["A"] + os.environ["C"]
                if not os.getenv("DEBUG"):
                    KEY = os.environ["KEY"]
            """
        },
    )
    guarded = {(u.var, u.line): u.guarded for u in s.env_uses}
    assert guarded[("STATIC_DIR", 3)] and guarded[("A", 5)]
    assert not guarded[("C", 5)] and not guarded[("KEY", 7)] and not guarded[("A", 4)]
