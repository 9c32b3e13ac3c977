from __future__ import annotations

import ast
import configparser
import sys
from textwrap import dedent

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from codemods.dependencies.declare import add_packages
from codemods.dependencies.requirement import HASH_PINNED, NotAdded, Package, Result
from codemods.dependencies.versions import packages_for

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ENV = Package("django-environ", ">=0.11", "0.11.2")
GUNICORN = Package("gunicorn", ">=23.0", "23.0.0")
REDIS = Package("django-redis", ">=5.4", "5.4.0")
BOTH = [ENV, GUNICORN]


def assert_parses(kind: str, text: str) -> None:
    if kind in ("requirements", "pip-tools"):
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith(("#", "-")):
                Requirement(line)
    elif kind == "setup.py":
        ast.parse(text)
    elif kind == "setup.cfg":
        configparser.ConfigParser(interpolation=None).read_string(text)
    else:
        tomllib.loads(text)


def check(
    kind: str, before: str, after: str, packages: list[Package] = BOTH, path: str = ""
) -> Result:
    """`before` becomes exactly `after`; the output parses and a second run changes nothing."""
    result = add_packages(kind, dedent(before), packages, path=path)
    assert result.text == dedent(after)
    assert_parses(kind, result.text)
    again = add_packages(kind, result.text, packages, path=path)
    assert again.text == result.text
    assert again.added == []
    assert sorted(again.already) == sorted(p.name for p in packages)
    return result


# -- nothing to change ---------------------------------------------------------------------------


def test_already_declared_under_other_spellings() -> None:
    text = dedent(
        """\
        Django==4.2.7
        Django_Environ[cache]==0.9.0 ; python_version >= "3.8"
        GUNICORN  # the app server
        """
    )
    result = add_packages("requirements", text, BOTH)
    assert result == Result(text, added=[], already=["django-environ", "gunicorn"], notes=[])


def test_already_declared_as_editable_egg() -> None:
    text = "-e git+https://github.com/benoitc/gunicorn.git#egg=gunicorn\n"
    result = add_packages("requirements", text, [GUNICORN])
    assert (result.text, result.added, result.already) == (text, [], ["gunicorn"])


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("pep621", '[project]\ndependencies = ["Django", "django.environ>=0.9", "Gunicorn"]\n'),
        ("poetry", '[tool.poetry.dependencies]\nDjango_Environ = "^0.9"\ngunicorn = "*"\n'),
        ("pipfile", '[packages]\n"django.environ" = "*"\nGunicorn = "==21.2"\n'),
        ("setup.py", "setup(install_requires=['Django_environ', 'gunicorn>=20'])\n"),
        ("setup.cfg", "[options]\ninstall_requires =\n    django_environ\n    GUNICORN\n"),
    ],
    ids=["pep621", "poetry", "pipfile", "setup.py", "setup.cfg"],
)
def test_already_declared_in_every_kind(kind: str, text: str) -> None:
    result = add_packages(kind, text, BOTH)
    assert result == Result(text, added=[], already=["django-environ", "gunicorn"], notes=[])


def test_poetry_already_declared_in_the_other_table() -> None:
    text = dedent(
        """\
        [project]
        dependencies = ["django>=4.2", "gunicorn>=22"]

        [tool.poetry.dependencies]
        django-environ = "^0.11"
        """
    )
    result = add_packages("poetry", text, BOTH)
    assert (result.text, result.added, result.already) == (text, [], ["django-environ", "gunicorn"])


def test_hashes_are_not_mixed_with_unhashed_lines() -> None:
    # django-environ's files have known hashes and it installs nothing else: it is added with
    # them; gunicorn's are not shipped: a line without hashes would make pip refuse the file
    text = dedent(
        """\
        django==4.2.7 \\
            --hash=sha256:6e2d9b3a4cf0d5f1e0a3b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6
            # via -r requirements.in
        """
    )
    result = add_packages("requirements", text, BOTH, path="requirements/prod.txt")
    assert result.text == text + dedent(
        """\
        django-environ==0.11.2 \\
            --hash=sha256:0ff95ab4344bfeff693836aa978e6840abef2e2f1145adff7735892711590c05 \\
            --hash=sha256:f32a87aa0899894c27d4e1776fa6b477e8164ed7f6b3e410a62a6d72caaf64be
        """
    )
    assert result.added == ["django-environ"]
    # what could not go in is data, for the caller to act on (the image installs it) and say
    assert result.not_added == [NotAdded(GUNICORN, "requirements/prod.txt", HASH_PINNED)]
    assert result.notes == []
    again = add_packages("requirements", result.text, BOTH, path="requirements/prod.txt")
    assert again.text == result.text and again.already == ["django-environ"]


def test_hashed_file_without_known_hashes_is_left_with_a_note() -> None:
    text = "django==4.2.7 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    result = add_packages("requirements", text, [REDIS], path="requirements.txt")
    assert (result.text, result.added) == (text, [])
    assert result.not_added == [NotAdded(REDIS, "requirements.txt", HASH_PINNED)]


def test_hashed_line_goes_in_name_order() -> None:
    text = (
        "asgiref==3.8.1 \\\n    --hash=sha256:" + "a" * 64 + "\n"
        "django==4.2.7 \\\n    --hash=sha256:" + "b" * 64 + "\n"
        "sqlparse==0.5.1 \\\n    --hash=sha256:" + "c" * 64 + "\n"
    )
    result = add_packages("requirements", text, [ENV])
    names = [line.split("==")[0] for line in result.text.splitlines() if "==" in line]
    assert names == ["asgiref", "django", "django-environ", "sqlparse"]


@pytest.mark.parametrize(
    ("kind", "text", "note"),
    [
        (
            "pipfile",
            '[packages]\ndjango = "*"\n',
            "Pipfile.lock is now stale: run `pipenv lock` and commit Pipfile.lock "
            "(an install from the lock leaves the new packages out)",
        ),
        (
            "poetry",
            '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "^5.0"\n',
            "poetry.lock is now stale: run `poetry lock --no-update` and commit "
            "poetry.lock (`poetry install` refuses a stale lock)",
        ),
    ],
)
def test_no_lock_to_update_where_the_project_has_none(kind: str, text: str, note: str) -> None:
    # a project that keeps its lock out of git (or never made one) has nothing to re-lock
    assert add_packages(kind, text, BOTH).notes == [note]
    unlocked = add_packages(kind, text, BOTH, locked=False)
    assert unlocked.added and unlocked.notes == []


@pytest.mark.parametrize("kind", ["pep621", "uv", "poetry", "pipfile"])
def test_broken_toml_is_left_alone(kind: str) -> None:
    text = '[project\ndependencies = ["django"]\n[packages]\n'
    result = add_packages(kind, text, BOTH)
    assert (result.text, result.added) == (text, [])
    assert len(result.notes) == 1
    assert "not valid TOML" in result.notes[0]


@pytest.mark.parametrize(
    ("kind", "text", "why"),
    [
        pytest.param(
            "pep621",
            '[project]\nname = "x"\n',
            "has no [project].dependencies list",
            id="pep621-no-dependencies",
        ),
        pytest.param(
            "pep621",
            '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
            "dynamic",
            id="pep621-dynamic",
        ),
        pytest.param(
            "uv",
            '[tool.uv]\ndev-dependencies = ["pytest"]\n',
            "has no [project].dependencies",
            id="uv-no-project",
        ),
        pytest.param(
            "poetry",
            '[tool.poetry]\nname = "x"\n',
            "has neither [tool.poetry.dependencies]",
            id="poetry-no-tables",
        ),
        pytest.param(
            "poetry",
            '[tool.poetry]\ndependencies = {python = "^3.10"}\n',
            "a [table] of its own",
            id="poetry-inline-table",
        ),
        pytest.param(
            "pipfile",
            '[dev-packages]\npytest = "*"\n',
            "has no [packages] table",
            id="pipfile-no-packages",
        ),
        pytest.param(
            "setup.py",
            "from setuptools import setup\n",
            "has no setup() call",
            id="setup.py-no-call",
        ),
        pytest.param(
            "setup.py",
            "setup(name='x')\n",
            "has no install_requires in setup()",
            id="setup.py-no-install-requires",
        ),
        pytest.param(
            "setup.py",
            "setup(install_requires=open('r.txt').read().split())\n",
            "computes",
            id="setup.py-computed",
        ),
        pytest.param(
            "setup.py",
            "REQS = ['a']\nREQS += ['b']\nsetup(install_requires=REQS)\n",
            "REQS",
            id="setup.py-name-reassigned",
        ),
        pytest.param(
            "setup.py",
            "setup(install_requires=['a', EXTRA])\n",
            "not plain strings",
            id="setup.py-non-string-item",
        ),
        pytest.param(
            "setup.py", "setup(install_requires=[\n", "does not parse", id="setup.py-syntax-error"
        ),
        pytest.param(
            "setup.cfg",
            "[metadata]\nname = x\n",
            "has no [options] section",
            id="setup.cfg-no-options",
        ),
        pytest.param(
            "setup.cfg",
            "[options]\npackages = find:\n",
            "has no install_requires",
            id="setup.cfg-no-install-requires",
        ),
        pytest.param(
            "setup.cfg",
            "[options]\ninstall_requires = file: requirements.txt\n",
            "requirements.txt",
            id="setup.cfg-file-directive",
        ),
        pytest.param(
            "setup.cfg",
            "[options]\ninstall_requires = a; b\n",
            "ambiguous",
            id="setup.cfg-semicolons",
        ),
        pytest.param(
            "setup.cfg",
            "install_requires = a\n",
            "does not parse",
            id="setup.cfg-no-section-header",
        ),
        pytest.param(
            "conda",
            "dependencies:\n  - django\n",
            "unknown dependency file kind",
            id="unknown-kind",
        ),
    ],
)
def test_no_dependency_list_to_edit(kind: str, text: str, why: str) -> None:
    result = add_packages(kind, text, BOTH)
    assert (result.text, result.added, result.already) == (text, [], [])
    assert len(result.notes) == 1
    assert why in result.notes[0]


# -- requirements.txt ----------------------------------------------------------------------------


def test_requirements_pinned_sorted() -> None:
    check(
        "requirements",
        """\
        Django==4.2.7
        psycopg2-binary==2.9.9
        whitenoise==6.6.0
        """,
        """\
        Django==4.2.7
        django-environ==0.11.2
        gunicorn==23.0.0
        psycopg2-binary==2.9.9
        whitenoise==6.6.0
        """,
    )


def test_requirements_pinned_unsorted_appends_before_trailing_comments() -> None:
    check(
        "requirements",
        """\
        # web
        whitenoise==6.6.0
        Django==4.2.7

        # keep in sync with the docker image
        """,
        """\
        # web
        whitenoise==6.6.0
        Django==4.2.7
        django-environ==0.11.2
        gunicorn==23.0.0

        # keep in sync with the docker image
        """,
    )


def test_requirements_ranged() -> None:
    check(
        "requirements",
        """\
        Django>=4.2,<5.0
        requests>=2.31
        zope.interface
        """,
        """\
        Django>=4.2,<5.0
        django-environ>=0.11
        gunicorn>=23.0
        requests>=2.31
        zope.interface
        """,
    )


def test_requirements_compatible_release() -> None:
    check(
        "requirements",
        """\
        Django~=4.2.0
        whitenoise~=6.6
        """,
        """\
        Django~=4.2.0
        django-environ~=0.11
        gunicorn~=23.0
        whitenoise~=6.6
        """,
    )


def test_requirements_unpinned() -> None:
    check(
        "requirements",
        """\
        django
        redis
        """,
        """\
        django
        django-environ
        gunicorn
        redis
        """,
    )


def test_requirements_spaced_operators() -> None:
    check(
        "requirements",
        """\
        Django == 4.2.7
        whitenoise == 6.6.0
        """,
        """\
        Django == 4.2.7
        django-environ == 0.11.2
        gunicorn == 23.0.0
        whitenoise == 6.6.0
        """,
    )


def test_requirements_without_newline_at_end() -> None:
    result = add_packages("requirements", "redis==5.0\nDjango==4.2", BOTH)
    assert result.text == "redis==5.0\nDjango==4.2\ndjango-environ==0.11.2\ngunicorn==23.0.0"


def test_requirements_crlf() -> None:
    result = add_packages("requirements", "Django==4.2\r\nwhitenoise==6.6\r\n", BOTH)
    assert result.text == (
        "Django==4.2\r\ndjango-environ==0.11.2\r\ngunicorn==23.0.0\r\nwhitenoise==6.6\r\n"
    )


def test_requirements_comment_above_a_line_stays_with_it() -> None:
    check(
        "requirements",
        """\
        # Project dependencies
        Django==4.2.7
        # pinned: 5.x needs redis-server 6
        redis==4.6.0
        """,
        """\
        # Project dependencies
        Django==4.2.7
        django-environ==0.11.2
        gunicorn==23.0.0
        # pinned: 5.x needs redis-server 6
        redis==4.6.0
        """,
    )


def test_requirements_header_comment_stays_on_top() -> None:
    check(
        "requirements",
        """\
        # Install with: pip install -r requirements.txt
        gevent==23.9.1
        """,
        """\
        # Install with: pip install -r requirements.txt
        django-environ==0.11.2
        gevent==23.9.1
        gunicorn==23.0.0
        """,
    )


def test_requirements_compiled_without_hashes_keeps_via_comments() -> None:
    result = check(
        "requirements",
        """\
        #
        # This file is autogenerated by pip-compile with Python 3.11
        # by the following command:
        #
        #    pip-compile
        #
        asgiref==3.7.2
            # via django
        django==4.2.7
            # via -r requirements.in
        sqlparse==0.4.4
            # via django
        """,
        """\
        #
        # This file is autogenerated by pip-compile with Python 3.11
        # by the following command:
        #
        #    pip-compile
        #
        asgiref==3.7.2
            # via django
        django==4.2.7
            # via -r requirements.in
        django-environ==0.11.2
        gunicorn==23.0.0
        sqlparse==0.4.4
            # via django
        """,
    )
    # said by the caller only where it does not declare them in the .in file too
    assert result.notes == []
    assert result.compile_note == (
        "requirements.txt is generated by pip-compile: declare django-environ, gunicorn in its "
        ".in file too, or the next compile drops them"
    )


def test_requirements_only_includes() -> None:
    check(
        "requirements",
        """\
        -r requirements/base.txt
        """,
        """\
        -r requirements/base.txt
        django-environ
        gunicorn
        """,
    )


def test_requirements_empty_file() -> None:
    check("requirements", "", "django-environ\ngunicorn\n")


def test_requirements_capped_floor() -> None:
    legacy = [Package("django-environ", ">=0.4.5,<0.5", "0.4.5")]
    check("requirements", "Django>=1.8\n", "Django>=1.8\ndjango-environ>=0.4.5,<0.5\n", legacy)
    check("requirements", "Django~=1.8\n", "Django~=1.8\ndjango-environ~=0.4.5\n", legacy)


def test_requirements_unknown_version_is_bare() -> None:
    check(
        "requirements",
        "Django==4.2\n",
        "Django==4.2\nwhitenoise\n",
        [Package("whitenoise", "", "")],
    )


def test_requirements_result() -> None:
    result = add_packages("requirements", "Django==4.2\ngunicorn\n", [ENV, GUNICORN, ENV])
    assert (result.added, result.already, result.notes) == (["django-environ"], ["gunicorn"], [])


def test_pip_tools_in_file() -> None:
    result = check(
        "pip-tools",
        """\
        -c constraints.txt
        django>=4.2
        redis
        whitenoise
        """,
        """\
        -c constraints.txt
        django>=4.2
        django-environ
        gunicorn
        redis
        whitenoise
        """,
        path="requirements/base.in",
    )
    assert result.notes == [
        "run `pip-compile requirements/base.in` to pin django-environ, gunicorn"
    ]


# -- pyproject.toml [project] --------------------------------------------------------------------


def test_pep621_multiline_sorted() -> None:
    result = check(
        "pep621",
        """\
        [project]
        name = "mysite"
        dependencies = [
            "Django>=4.2",  # LTS
            "psycopg[binary]>=3.1",
        ]

        [tool.ruff]
        line-length = 100
        """,
        """\
        [project]
        name = "mysite"
        dependencies = [
            "Django>=4.2",  # LTS
            "django-environ>=0.11",
            "gunicorn>=23.0",
            "psycopg[binary]>=3.1",
        ]

        [tool.ruff]
        line-length = 100
        """,
    )
    assert result.notes == []


def test_pep621_server_in_a_dependency_group_keeps_its_constraint() -> None:
    # a second gunicorn constraint beside the group's (~=23 next to ~=26) makes the lock of
    # every group together unsolvable: the main list takes the group's own
    result = check(
        "uv",
        """\
        [project]
        dependencies = [
            "django~=6.0.7",
        ]

        [dependency-groups]
        docker = [
            "gunicorn~=26.0.0",
        ]
        """,
        """\
        [project]
        dependencies = [
            "django~=6.0.7",
            "gunicorn~=26.0.0",
        ]

        [dependency-groups]
        docker = [
            "gunicorn~=26.0.0",
        ]
        """,
        [GUNICORN],
    )
    assert result.added == ["gunicorn"]
    assert result.notes[0] == (
        "pyproject.toml declared gunicorn~=26.0.0 only in [dependency-groups] docker, which an "
        "install of the project's dependencies leaves out: [project].dependencies now lists it "
        "with the same constraint"
    )


def test_pep621_server_in_an_extra_keeps_its_constraint_and_djfix_extras() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = ["Django>=4.2"]

        [project.optional-dependencies]
        asgi = ["uvicorn >= 0.30"]
        """,
        """\
        [project]
        dependencies = ["Django>=4.2", "uvicorn[standard] >= 0.30"]

        [project.optional-dependencies]
        asgi = ["uvicorn >= 0.30"]
        """,
        [Package("uvicorn[standard]", ">=0.29", "0.29.0")],
    )


def test_pep621_multiline_unsorted_without_trailing_comma() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = [
          "whitenoise==6.6.0",
          "Django==4.2.7"  # LTS
          # "sentry-sdk==1.40.0",
        ]
        """,
        """\
        [project]
        dependencies = [
          "whitenoise==6.6.0",
          "Django==4.2.7",  # LTS
          "django-environ==0.11.2",
          "gunicorn==23.0.0"
          # "sentry-sdk==1.40.0",
        ]
        """,
    )


def test_pep621_comment_above_an_item_stays_with_it() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = [
            "django",
            # cache
            "redis",
        ]
        """,
        """\
        [project]
        dependencies = [
            "django",
            "django-environ",
            "gunicorn",
            # cache
            "redis",
        ]
        """,
    )


def test_pep621_comment_opening_the_list_stays_on_top() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = [  # runtime only
            # web
            "redis",
        ]
        """,
        """\
        [project]
        dependencies = [  # runtime only
            # web
            "django-environ",
            "gunicorn",
            "redis",
        ]
        """,
    )


def test_pep621_inline_sorted() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = ["Django>=4.2", "whitenoise>=6"]
        """,
        """\
        [project]
        dependencies = ["Django>=4.2", "django-environ>=0.11", "gunicorn>=23.0", "whitenoise>=6"]
        """,
    )


def test_pep621_inline_unsorted_with_trailing_comma() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = ['whitenoise', 'Django',]
        """,
        """\
        [project]
        dependencies = ['whitenoise', 'Django', 'django-environ', 'gunicorn',]
        """,
    )


def test_pep621_closing_bracket_on_the_last_line() -> None:
    check(
        "pep621",
        """\
        [project]
        dependencies = ["zope.interface",
                        "Django"]
        """,
        """\
        [project]
        dependencies = ["zope.interface",
                        "Django",
                        "django-environ",
                        "gunicorn"]
        """,
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("dependencies = []\n", 'dependencies = ["django-environ", "gunicorn"]\n'),
        ("dependencies = [\n]\n", 'dependencies = [\n    "django-environ",\n    "gunicorn",\n]\n'),
    ],
    ids=["inline", "multiline"],
)
def test_pep621_empty(before: str, after: str) -> None:
    check("pep621", "[project]\n" + before, "[project]\n" + after)


def test_pep621_dotted_key() -> None:
    check(
        "pep621",
        'project.name = "x"\nproject.dependencies = ["django"]\n',
        'project.name = "x"\nproject.dependencies = ["django", "django-environ", "gunicorn"]\n',
    )


def test_uv_notes_lock() -> None:
    result = check(
        "uv",
        """\
        [project]
        dependencies = [
            "django>=5.2",
        ]

        [tool.uv]
        dev-dependencies = ["pytest"]
        """,
        """\
        [project]
        dependencies = [
            "django>=5.2",
            "django-environ>=0.11",
            "gunicorn>=23.0",
        ]

        [tool.uv]
        dev-dependencies = ["pytest"]
        """,
    )
    assert result.notes == [
        "uv.lock is now stale: run `uv lock` and commit uv.lock (`uv sync "
        "--locked` refuses a stale lock)"
    ]


# -- poetry --------------------------------------------------------------------------------------


def test_poetry_caret() -> None:
    result = check(
        "poetry",
        """\
        [tool.poetry.dependencies]
        python = "^3.10"
        Django = "^4.2"  # LTS
        celery = {version = "^5.3", extras = ["redis"]}
        # trailing comment

        [tool.poetry.group.dev.dependencies]
        pytest = "*"
        """,
        """\
        [tool.poetry.dependencies]
        python = "^3.10"
        Django = "^4.2"  # LTS
        celery = {version = "^5.3", extras = ["redis"]}
        django-environ = "^0.11"
        gunicorn = "^23.0"
        # trailing comment

        [tool.poetry.group.dev.dependencies]
        pytest = "*"
        """,
    )
    assert result.notes == [
        "poetry.lock is now stale: run `poetry lock --no-update` and commit "
        "poetry.lock (`poetry install` refuses a stale lock)"
    ]


def test_poetry_sorted_insert_keeps_python_first() -> None:
    check(
        "poetry",
        """\
        [tool.poetry.dependencies]
        python = "^3.11"
        celery = "^5.3"
        # the web framework
        redis = "^5.0"
        """,
        """\
        [tool.poetry.dependencies]
        python = "^3.11"
        celery = "^5.3"
        django-environ = "^0.11"
        gunicorn = "^23.0"
        # the web framework
        redis = "^5.0"
        """,
    )


@pytest.mark.parametrize(
    ("django", "redis", "environ"),
    [
        ('">=4.2"', '">=5.0,<6"', '">=0.11"'),
        ('"4.2.7"', '"5.0.1"', '"0.11.2"'),
        ('"==4.2.7"', '"==5.0.1"', '"==0.11.2"'),
        ('"~4.2"', '"~5.0"', '"~0.11"'),
        ('"*"', '"*"', '"*"'),
        ('"*"', '"^5.0"', '"^0.11"'),
    ],
    ids=["ranged", "exact", "equals", "tilde", "star", "mixed-is-caret"],
)
def test_poetry_follows_a_consistent_style(django: str, redis: str, environ: str) -> None:
    before = f"[tool.poetry.dependencies]\npython = '^3.10'\ndjango = {django}\nredis = {redis}\n"
    after = (
        f"[tool.poetry.dependencies]\npython = '^3.10'\ndjango = {django}\n"
        f"django-environ = {environ}\nredis = {redis}\n"
    )
    check("poetry", before, after, [ENV])


def test_poetry_comment_opening_the_table_stays_on_top() -> None:
    check(
        "poetry",
        """\
        [tool.poetry.dependencies]
        # runtime
        redis = "^5.0"
        """,
        """\
        [tool.poetry.dependencies]
        # runtime
        django-environ = "^0.11"
        gunicorn = "^23.0"
        redis = "^5.0"
        """,
    )


def test_poetry_extras_and_aligned_keys() -> None:
    check(
        "poetry",
        """\
        [tool.poetry.dependencies]
        python     = "^3.12"
        django     = "^5.2"
        whitenoise = "^6.6"
        """,
        """\
        [tool.poetry.dependencies]
        python     = "^3.12"
        django     = "^5.2"
        uvicorn    = {version = "^0.34", extras = ["standard"]}
        whitenoise = "^6.6"
        """,
        [Package("uvicorn[standard]", ">=0.34", "0.34.0")],
    )


def test_poetry_single_quotes_and_indented_keys() -> None:
    check(
        "poetry",
        """\
        [tool.poetry.dependencies]
          python = '^3.10'
          Django = '^4.2'
        """,
        """\
        [tool.poetry.dependencies]
          python = '^3.10'
          Django = '^4.2'
          django-environ = '^0.11'
          gunicorn = '^23.0'
        """,
    )


def test_poetry_2_project_dependencies() -> None:
    check(
        "poetry",
        """\
        [project]
        name = "mysite"
        dependencies = [
            "django (>=4.2,<5.0)",
            "redis (>=5.0)",
        ]

        [tool.poetry]
        package-mode = false
        """,
        """\
        [project]
        name = "mysite"
        dependencies = [
            "django (>=4.2,<5.0)",
            "django-environ (>=0.11)",
            "gunicorn (>=23.0)",
            "redis (>=5.0)",
        ]

        [tool.poetry]
        package-mode = false
        """,
    )


@pytest.mark.parametrize(
    ("project", "table"),
    [
        ('["boto3>=1.34"]', 'python = "^3.12"\n'),
        (
            '["django>=5.2"]',
            'python = "^3.12"\ncelery = { version = "^5.3", source = "internal" }\n',
        ),
    ],
    ids=["table-only-has-python", "django-is-in-project"],
)
def test_poetry_2_adds_to_project_dependencies(project: str, table: str) -> None:
    before = f"[project]\ndependencies = {project}\n\n[tool.poetry.dependencies]\n{table}"
    added = project[:-1] + ', "django-environ>=0.11", "gunicorn>=23.0"]'
    after = before.replace(project, added)
    check("poetry", before, after)


def test_poetry_1_adds_to_the_table() -> None:
    check(
        "poetry",
        """\
        [project]
        name = "mysite"
        dependencies = ["requests"]

        [tool.poetry.dependencies]
        Django = "^4.2"
        """,
        """\
        [project]
        name = "mysite"
        dependencies = ["requests"]

        [tool.poetry.dependencies]
        Django = "^4.2"
        django-environ = "^0.11"
        gunicorn = "^23.0"
        """,
    )


def test_poetry_table_at_end_of_file_without_newline() -> None:
    result = add_packages("poetry", '[tool.poetry.dependencies]\nDjango = "^4.2"', [ENV])
    assert result.text == '[tool.poetry.dependencies]\nDjango = "^4.2"\ndjango-environ = "^0.11"'


# -- Pipfile -------------------------------------------------------------------------------------


PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
{packages}
[dev-packages]
pytest = "*"

[requires]
python_version = "3.11"
"""


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            'django = "*"\nredis = "*"\n',
            'django = "*"\ndjango-environ = "*"\ngunicorn = "*"\nredis = "*"\n',
        ),
        (
            'django = "*"\nredis = "*"\ncelery = {version = ">=5", extras = ["redis"]}\n',
            'django = "*"\nredis = "*"\ncelery = {version = ">=5", extras = ["redis"]}\n'
            'django-environ = "*"\ngunicorn = "*"\n',
        ),
        (
            'django = "==4.2.7"\nredis = "*"\nwhitenoise = "==6.6.0"\n',
            'django = "==4.2.7"\ndjango-environ = "==0.11.2"\ngunicorn = "==23.0.0"\n'
            'redis = "*"\nwhitenoise = "==6.6.0"\n',
        ),
        (
            'Django = ">=4.2,<5"\nredis = "~=5.0"\nwhitenoise = ">=6"\n',
            'Django = ">=4.2,<5"\ndjango-environ = ">=0.11"\ngunicorn = ">=23.0"\n'
            'redis = "~=5.0"\nwhitenoise = ">=6"\n',
        ),
        ("", 'django-environ = "*"\ngunicorn = "*"\n'),
    ],
    ids=["star-sorted", "star-unsorted", "pinned", "ranged", "empty-table"],
)
def test_pipfile(before: str, after: str) -> None:
    result = check("pipfile", PIPFILE.format(packages=before), PIPFILE.format(packages=after))
    assert result.notes == [
        "Pipfile.lock is now stale: run `pipenv lock` and commit Pipfile.lock "
        "(an install from the lock leaves the new packages out)"
    ]


# -- setup.py ------------------------------------------------------------------------------------


def test_setup_py_multiline_sorted_with_comments() -> None:
    check(
        "setup.py",
        """\
        from setuptools import find_packages, setup

        setup(
            name="mysite",
            packages=find_packages(),
            install_requires=[
                "Django>=3.2,<4",  # LTS

                # cache
                "redis>=4",
            ],
        )
        """,
        """\
        from setuptools import find_packages, setup

        setup(
            name="mysite",
            packages=find_packages(),
            install_requires=[
                "Django>=3.2,<4",  # LTS

                "django-environ>=0.11",
                "gunicorn>=23.0",
                # cache
                "redis>=4",
            ],
        )
        """,
    )


def test_setup_py_multiline_unsorted_without_trailing_comma() -> None:
    check(
        "setup.py",
        """\
        import setuptools

        if __name__ == "__main__":
            setuptools.setup(
                install_requires=[
                    'whitenoise==6.6.0',
                    'Django==4.2.7'  # LTS
                    # 'sentry-sdk',
                ]
            )
        """,
        """\
        import setuptools

        if __name__ == "__main__":
            setuptools.setup(
                install_requires=[
                    'whitenoise==6.6.0',
                    'Django==4.2.7',  # LTS
                    'django-environ==0.11.2',
                    'gunicorn==23.0.0'
                    # 'sentry-sdk',
                ]
            )
        """,
    )


def test_setup_py_comments_opening_the_list_stay_on_top() -> None:
    check(
        "setup.py",
        """\
        setup(
            install_requires=[  # runtime
                # web
                "redis",
            ],
        )
        """,
        """\
        setup(
            install_requires=[  # runtime
                # web
                "django-environ",
                "gunicorn",
                "redis",
            ],
        )
        """,
    )


def test_setup_py_inline_list() -> None:
    check(
        "setup.py",
        "from setuptools import setup\nsetup(name='x', install_requires=['requests', 'Django'])\n",
        "from setuptools import setup\n"
        "setup(name='x', install_requires=['requests', 'Django', 'django-environ', 'gunicorn'])\n",
    )


def test_setup_py_tuple_through_a_name() -> None:
    check(
        "setup.py",
        """\
        from setuptools import setup

        REQUIRES = (
            "django",
            "whitenoise",
        )

        setup(name="x", install_requires=REQUIRES)
        """,
        """\
        from setuptools import setup

        REQUIRES = (
            "django",
            "django-environ",
            "gunicorn",
            "whitenoise",
        )

        setup(name="x", install_requires=REQUIRES)
        """,
    )


def test_setup_py_empty_list() -> None:
    check(
        "setup.py",
        "setup(install_requires=[])\n",
        'setup(install_requires=["django-environ", "gunicorn"])\n',
    )


# -- setup.cfg -----------------------------------------------------------------------------------


def test_setup_cfg_sorted() -> None:
    check(
        "setup.cfg",
        """\
        [metadata]
        name = mysite

        [options]
        packages = find:
        install_requires =
            Django>=3.2
            # cache
            redis>=4
        python_requires = >=3.8

        [options.extras_require]
        dev = pytest
        """,
        """\
        [metadata]
        name = mysite

        [options]
        packages = find:
        install_requires =
            Django>=3.2
            django-environ>=0.11
            gunicorn>=23.0
            # cache
            redis>=4
        python_requires = >=3.8

        [options.extras_require]
        dev = pytest
        """,
    )


def test_setup_cfg_unsorted_two_space_indent_at_end_of_file() -> None:
    check(
        "setup.cfg",
        "[options]\ninstall_requires =\n  whitenoise==6.6.0\n  Django==4.2.7",
        "[options]\ninstall_requires =\n  whitenoise==6.6.0\n  Django==4.2.7\n"
        "  django-environ==0.11.2\n  gunicorn==23.0.0",
    )


def test_setup_cfg_comment_opening_the_list_stays_on_top() -> None:
    check(
        "setup.cfg",
        "[options]\ninstall_requires =\n    # runtime\n    redis\n",
        "[options]\ninstall_requires =\n    # runtime\n"
        "    django-environ\n    gunicorn\n    redis\n",
    )


def test_setup_cfg_tab_indent_and_trailing_space_after_equals() -> None:
    check(
        "setup.cfg",
        "[options]\ninstall_requires = \n\tDjango>=3.2\n\tredis>=3,!=4.0.0\n\n[flake8]\n",
        "[options]\ninstall_requires = \n\tDjango>=3.2\n\tdjango-environ>=0.11\n"
        "\tgunicorn>=23.0\n\tredis>=3,!=4.0.0\n\n[flake8]\n",
    )


def test_setup_cfg_single_line_value_becomes_a_list() -> None:
    check(
        "setup.cfg",
        "[options]\ninstall_requires = Django>=3.2\nzip_safe = False\n",
        "[options]\ninstall_requires =\n    Django>=3.2\n    django-environ>=0.11\n"
        "    gunicorn>=23.0\nzip_safe = False\n",
    )


# -- versions ------------------------------------------------------------------------------------

NAMES = ["django-environ", "django-redis", "gunicorn", "uvicorn", "daphne"]


@pytest.mark.parametrize(
    ("django", "python", "pins"),
    [
        ((1, 8), "2.7", ["0.4.5", "4.8.0", "19.10.0", "0.16.0", "2.5.0"]),
        ((1, 11), "3.5", ["0.10.0", "4.10.0", "21.2.0", "0.16.0", "2.5.0"]),
        ((1, 11), "3.6.15", ["0.11.2", "4.10.0", "21.2.0", "0.16.0", "3.0.2"]),
        ((2, 2), "3.7", ["0.11.2", "4.12.1", "23.0.0", "0.22.0", "3.0.2"]),
        ((3, 2), "3.8", ["0.11.2", "5.4.0", "23.0.0", "0.33.0", "4.1.2"]),
        ((4, 2), "3.11", ["0.11.2", "5.4.0", "23.0.0", "0.34.0", "4.2.3"]),
        ((5, 0), "python-3.12.1", ["0.12.1", "5.4.0", "23.0.0", "0.34.0", "4.2.3"]),
        ((5, 2), "3.13", ["0.13.0", "5.4.0", "23.0.0", "0.34.0", "4.2.3"]),
        (None, None, ["0.13.0", "5.4.0", "23.0.0", "0.34.0", "4.2.3"]),
        # Python unknown: the oldest Python 3 the Django supports decides
        ((1, 10), None, ["0.4.5", "4.8.0", "19.10.0", "0.16.0", "2.5.0"]),
        ((1, 11), None, ["0.4.5", "4.10.0", "19.10.0", "0.16.0", "2.5.0"]),
        ((2, 2), None, ["0.10.0", "4.12.1", "21.2.0", "0.16.0", "2.5.0"]),
        ((3, 2), None, ["0.11.2", "5.4.0", "21.2.0", "0.16.0", "3.0.2"]),
        ((4, 2), None, ["0.11.2", "5.4.0", "23.0.0", "0.33.0", "4.1.2"]),
        ((5, 1), None, ["0.12.1", "5.4.0", "23.0.0", "0.34.0", "4.2.3"]),
    ],
)
def test_packages_for(django: tuple[int, int] | None, python: str | None, pins: list[str]) -> None:
    packages = packages_for(NAMES, django_version=django, python_version=python)
    assert [p.name for p in packages] == NAMES
    assert [p.pin for p in packages] == pins
    for package in packages:
        assert package.pin in SpecifierSet(package.floor)


def test_packages_for_keeps_extras_and_unknown_names() -> None:
    packages = packages_for(
        ["uvicorn[standard]", "whitenoise"], django_version=None, python_version=None
    )
    assert packages == [
        Package("uvicorn[standard]", ">=0.34", "0.34.0"),
        Package("whitenoise", "", ""),
    ]


def test_pip_tools_input_of_a_hash_pinned_file_says_to_keep_the_hashes() -> None:
    result = add_packages("pip-tools", "django\n", [GUNICORN], path="requirements.in", hashes=True)
    assert result.text == "django\ngunicorn\n"
    assert result.notes == ["run `pip-compile --generate-hashes requirements.in` to pin gunicorn"]


def test_every_django_environ_pin_has_its_hashes() -> None:
    # django-environ can be declared after the Dockerfile is generated (a settings module that
    # needs `env` bound): a hash-pinned file must always take it, or the image would lack it
    from codemods.dependencies import versions

    pins = {release.pin for release in versions._RELEASES["django-environ"]}
    assert pins <= {pin for name, pin in versions.HASHES if name == "django-environ"}


def test_dependency_group_takes_the_packages_in_the_group_that_lists_django() -> None:
    text = dedent(
        """\
        [dependency-groups]
        main = [
            "Django==5.2.3",
            # the queue
            "celery[redis]==5.6.2",
        ]
        dev = [
            {include-group = "main"},
            "pytest==8.0.0",
        ]
        """
    )
    result = add_packages("pep735", text, BOTH)
    assert result.text == dedent(
        """\
        [dependency-groups]
        main = [
            "Django==5.2.3",
            # the queue
            "celery[redis]==5.6.2",
            "django-environ==0.11.2",
            "gunicorn==23.0.0",
        ]
        dev = [
            {include-group = "main"},
            "pytest==8.0.0",
        ]
        """
    )
    assert result.added == ["django-environ", "gunicorn"]
    assert add_packages("pep735", result.text, BOTH).text == result.text


def test_dependency_group_without_django_is_left_with_the_reason() -> None:
    text = '[dependency-groups]\ndev = ["pytest"]\n'
    result = add_packages("pep735", text, BOTH, path="pyproject.toml")
    assert result.text == text
    assert result.notes == [
        "pyproject.toml has no [dependency-groups] group that lists Django: add "
        "django-environ, gunicorn by hand"
    ]
