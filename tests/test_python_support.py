"""The Pythons each Django release supports (fixer.python_support), and the two choices read from
that one table: the generated Dockerfile's base image and `verify --install`'s interpreter."""

from __future__ import annotations

import pytest

from fixer import verify_install
from fixer.discovery import discover
from fixer.fixes import item01_python
from fixer.fixes.envfiles import packages_to_declare
from fixer.fixes.item01_dockerfile import render, spec
from fixer.fixes.item01_python import python_choice
from fixer.python_support import PythonRange, django_pythons, first_release_for
from tests.conftest import MINIMAL_MANAGE, write_tree

# -- the table -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("django", "python", "supported"),
    [
        # the patch releases that added a Python (Django's release notes)
        ((1, 8, 5), (3, 5), False),
        ((1, 8, 6), (3, 5), True),
        ((1, 11, 16), (3, 7), False),
        ((1, 11, 17), (3, 7), True),
        ((2, 0, 6), (3, 7), False),
        ((2, 0, 7), (3, 7), True),
        ((2, 2, 7), (3, 8), False),
        ((2, 2, 8), (3, 8), True),
        ((2, 2, 16), (3, 9), False),
        ((2, 2, 17), (3, 9), True),
        ((3, 0, 10), (3, 9), False),
        ((3, 0, 11), (3, 9), True),
        ((3, 1, 2), (3, 9), False),
        ((3, 1, 3), (3, 9), True),
        ((3, 2, 8), (3, 10), False),
        ((3, 2, 9), (3, 10), True),
        ((4, 1, 2), (3, 11), False),
        ((4, 1, 3), (3, 11), True),
        ((4, 2, 3), (3, 12), False),
        ((4, 2, 7), (3, 12), False),
        ((4, 2, 8), (3, 12), True),
        ((5, 1, 2), (3, 13), False),
        ((5, 1, 3), (3, 13), True),
        ((5, 2, 7), (3, 14), False),
        ((5, 2, 8), (3, 14), True),
        # a series without its patch is the series as pip installs it: its latest release
        ((4, 2), (3, 12), True),
        ((2, 2), (3, 9), True),
        # the floors, and the ceilings no patch release moved
        ((2, 1, 15), (3, 8), False),
        ((2, 1), (3, 4), False),
        ((4, 0, 10), (3, 11), False),
        ((4, 0), (3, 7), False),
        ((5, 0, 14), (3, 13), False),
        ((5, 0), (3, 9), False),
        ((6, 0, 1), (3, 11), False),
        ((6, 0), (3, 14), True),
    ],
)
def test_django_release_supports_python(django, python, supported):
    assert (python in django_pythons(django)) is supported


def test_unknown_and_out_of_table_djangos():
    assert django_pythons(None) is None
    assert django_pythons((1, 6, 11)) is None
    # newer than the table: the newest series' floor, no known ceiling
    assert django_pythons((7, 1)) == PythonRange((3, 12), None)


def test_first_release_for_a_python():
    assert first_release_for((4, 2), (3, 12)) == 8
    assert first_release_for((4, 2), (3, 11)) == 0
    assert first_release_for((4, 2), (3, 13)) is None


# -- the choices ----------------------------------------------------------------------------

SETTINGS = "INSTALLED_APPS = []\nWSGI_APPLICATION = 'mysite.wsgi.application'\n"
APP = {
    "app/manage.py": None,  # filled in below: manage.py in app/, as the real repository had it
    "app/mysite/__init__.py": "",
    "app/mysite/settings.py": SETTINGS,
    "app/mysite/wsgi.py": "application = 1\n",
}
MACHINE = {(3, 10): "/py310", (3, 11): "/py311", (3, 12): "/py312", (3, 13): "/py313"}


@pytest.fixture
def make_project(tmp_path_factory):
    """A fresh repository each call (manage.py and mysite/ at the root unless told)."""

    def make(files: dict[str, str | None]):
        root = tmp_path_factory.mktemp("repo")
        tree = {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
        }
        tree.update(files)
        write_tree(root, {rel: text for rel, text in tree.items() if text is not None})
        return discover(root)

    return make


def app_project(make_project, files: dict[str, str]):
    return make_project(
        {
            **APP,
            "app/manage.py": MINIMAL_MANAGE,
            "manage.py": None,
            "mysite/__init__.py": None,
            "mysite/settings.py": None,
            **files,
        }
    )


def test_old_image_python_in_a_compose_built_subfolder_dockerfile(make_project):
    """Django 4.2.3 supports Python 3.11 at most (4.2.8 added 3.12); the old image, built by
    compose from app/Dockerfile, ran 3.11: both the image and verify keep it."""
    project = app_project(
        make_project,
        {
            "app/requirements.txt": "Django==4.2.3\ngunicorn==23.0.0\n",
            "app/Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n"
            'CMD ["gunicorn", "mysite.wsgi"]\n',
            "docker-compose.yml": "services:\n  web:\n    build: ./app\n",
        },
    )
    assert python_choice(project) == ("3.11", [])
    assert verify_install.choose_interpreter(project, MACHINE) == (
        "/py311",
        "Python 3.11 (app/Dockerfile's base image; Django 4.2.3 supports it)",
    )


def test_old_image_beside_manage_py_built_on_an_arg(make_project):
    project = app_project(
        make_project,
        {
            "app/requirements.txt": "Django==4.2.3\n",
            "app/Dockerfile": "ARG PY=3.10\nFROM python:${PY}-slim AS base\nFROM base\n",
        },
    )
    assert python_choice(project) == ("3.10", [])


def test_compose_build_with_a_context_and_a_dockerfile_name(make_project):
    project = app_project(
        make_project,
        {
            "app/requirements.txt": "Django==4.2.3\n",
            "app/docker/prod.Dockerfile": "FROM python:3.10-slim-bookworm\n",
            "app/Dockerfile": "FROM python:3.9\n",  # the development one, beside manage.py
            "compose.yaml": "services:\n  web:\n    build:\n      context: app\n"
            "      dockerfile: docker/prod.Dockerfile\n",
        },
    )
    assert python_choice(project) == ("3.10", [])


def test_newest_python_the_pinned_release_supports(make_project):
    old = make_project({"requirements.txt": "Django==4.2.3\n"})
    assert python_choice(old) == ("3.11", [])
    assert verify_install.choose_interpreter(old, MACHINE)[0] == "/py311"
    patched = make_project({"requirements.txt": "Django==4.2.16\n"})
    assert python_choice(patched) == ("3.12", [])
    assert verify_install.choose_interpreter(patched, MACHINE)[0] == "/py312"


def test_declared_python_its_django_does_not_support_is_passed_over_with_a_note(make_project):
    project = app_project(
        make_project,
        {
            "app/requirements.txt": "Django==4.2.3\n",
            "runtime.txt": "python-3.12.7\n",
            "app/Dockerfile": "FROM python:3.12-slim\n",
        },
    )
    assert python_choice(project) == (
        "3.11",
        [
            "runtime.txt names Python 3.12, which Django 4.2.3 does not support (it supports "
            "3.8-3.11); Django 4.2.8 and later do; app/Dockerfile's base image names Python "
            "3.12, which Django 4.2.3 does not support (it supports 3.8-3.11); Django 4.2.8 and "
            "later do; the image uses Python 3.11, the newest Django 4.2.3 supports"
        ],
    )
    assert verify_install.choose_interpreter(project, MACHINE) == (
        "/py311",
        "Python 3.11, the newest here that Django 4.2.3 supports",
    )


def test_declared_python_without_a_slim_image(make_project):
    project = make_project(
        {"requirements.txt": "Django==1.11.29\n", "Dockerfile": "FROM python:3.6\n"}
    )
    assert python_choice(project) == (
        "3.7",
        [
            "Dockerfile's base image names Python 3.6, which has no official slim image; the "
            "image uses Python 3.7, the newest Django 1.11.29 supports"
        ],
    )


def test_declared_python_kept_when_supported(make_project):
    project = make_project({"requirements.txt": "Django==5.2.8\n", ".python-version": "3.14.0\n"})
    assert python_choice(project) == ("3.14", [])
    # one release earlier, 3.14 was not supported yet: the newest that was
    earlier = make_project({"requirements.txt": "Django==5.2.7\n", ".python-version": "3.14\n"})
    assert python_choice(earlier) == (
        "3.13",
        [
            ".python-version names Python 3.14, which Django 5.2.7 does not support (it "
            "supports 3.10-3.13); Django 5.2.8 and later do; the image uses Python 3.13, the "
            "newest Django 5.2.7 supports"
        ],
    )
    # unasked, no newer than djfix's default
    assert python_choice(make_project({"requirements.txt": "Django==5.2.8\n"}))[0] == "3.12"
    newer = make_project({"requirements.txt": "Django==5.0.1\n", "runtime.txt": "python-3.13\n"})
    assert python_choice(newer)[0] == "3.12"


def test_a_django_no_slim_image_can_run(make_project):
    project = make_project({"requirements.txt": "Django==1.10.8\n"})
    assert python_choice(project) == (
        "3.7",
        [
            "the image uses Python 3.7, the oldest official slim image: none has a Python "
            "Django 1.10.8 supports (3.4-3.5)"
        ],
    )


def test_unknown_django_gets_the_default(make_project):
    assert python_choice(make_project({"requirements.txt": "django\n"})) == ("3.12", [])


def test_django_version_read_at_patch_granularity(make_project):
    pinned = make_project({"requirements.txt": "Django==4.2.3\n"})
    assert (pinned.django_version, pinned.django_pin) == ((4, 2), (4, 2, 3))
    minor = make_project({"requirements.txt": "Django==4.2\n"})
    assert minor.django_pin == (4, 2, 0)
    ranged = make_project({"requirements.txt": "Django~=4.2.3\n"})
    assert (ranged.django_version, ranged.django_pin) == ((4, 2), None)
    locked = make_project(
        {
            "Pipfile": '[packages]\ndjango = "~=4.2"\n',
            "Pipfile.lock": '{"default": {"django": {"version": "==4.2.5"}}}',
        }
    )
    assert (locked.django_version, locked.django_pin) == ((4, 2), (4, 2, 5))


# -- the Python verification runs ------------------------------------------------------------


@pytest.fixture
def verified(monkeypatch):
    """`--python /pyXY` names an interpreter of Python X.Y (its version read without running
    it)."""
    versions = {"/py36": "3.6", "/py37": "3.7", "/py311": "3.11", "/py313": "3.13"}
    monkeypatch.setattr(item01_python, "_interpreter_version", versions.get)


def test_no_interpreter_named_keeps_the_default(make_project, verified):
    project = make_project({"requirements.txt": "Django==2.2.14\nPillow==6.2.2\n"})
    assert python_choice(project) == ("3.8", [])
    assert python_choice(project, None) == python_choice(project, "none") == ("3.8", [])


def test_the_verified_python_when_the_project_names_none(make_project, verified):
    """Django 2.2.14 verified on Python 3.7: the image runs 3.7, not 3.8 (the newest 2.2.14
    supports, which the pins of a legacy project may have no wheel for), and says why."""
    project = make_project({"requirements.txt": "Django==2.2.14\nPillow==6.2.2\n"})
    note = (
        "the image uses Python 3.7, the Python the project is verified with (the project names "
        "no Python)"
    )
    assert python_choice(project, "/py37") == ("3.7", [note])
    files = render(project, {"python": "/py37"})
    assert (
        "# The image uses Python 3.7, the Python the project is verified with (the project names "
        "no Python)\n"
        "ARG PYTHON_IMAGE=python:3.7-slim-bookworm\n"
    ) in files["Dockerfile"]
    assert note not in spec(project).notes  # only where it was chosen
    assert note in spec(project, {"python": "/py37"}).notes


def test_declared_python_and_old_image_come_before_the_verified_one(make_project, verified):
    declared = make_project({"requirements.txt": "Django==4.2.16\n", ".python-version": "3.12\n"})
    assert python_choice(declared, "/py311") == ("3.12", [])
    assert "# The image uses" not in render(declared, {"python": "/py311"})["Dockerfile"]
    old = make_project(
        {"requirements.txt": "Django==4.2.16\n", "Dockerfile": "FROM python:3.10-slim\n"}
    )
    assert python_choice(old, "/py311") == ("3.10", [])


def test_a_declared_python_passed_over_gives_way_to_the_verified_one(make_project, verified):
    project = make_project({"requirements.txt": "Django==4.2.3\n", "runtime.txt": "python-3.6\n"})
    assert python_choice(project, "/py311") == (
        "3.11",
        [
            "runtime.txt names Python 3.6, which has no official slim image; the image uses "
            "Python 3.11, the Python the project is verified with"
        ],
    )


def test_verified_python_without_a_slim_image(make_project, verified):
    project = make_project({"requirements.txt": "Django==1.11.29\n"})
    assert python_choice(project, "/py36") == (
        "3.7",
        [
            "the Python the project is verified with names Python 3.6, which has no official "
            "slim image; the image uses Python 3.7, the newest Django 1.11.29 supports"
        ],
    )
    assert "# The image uses" not in render(project, {"python": "/py36"})["Dockerfile"]


def test_verified_python_its_django_does_not_support(make_project, verified):
    project = make_project({"requirements.txt": "Django==4.2.3\n"})
    assert python_choice(project, "/py313") == (
        "3.11",
        [
            "the Python the project is verified with names Python 3.13, which Django 4.2.3 does "
            "not support (it supports 3.8-3.11); the image uses Python 3.11, the newest Django "
            "4.2.3 supports"
        ],
    )


def test_the_pins_follow_the_verified_python(make_project, verified):
    """The packages djfix declares are pinned for the Python the image now runs."""
    project = make_project({"requirements.txt": "Django==4.2.16\n"})
    assert packages_to_declare(project, ["uvicorn"], {"python": "/py311"})[0].pin == "0.34.0"
    assert packages_to_declare(project, ["uvicorn"], {})[0].pin == "0.33.0"  # 3.8: the oldest


def test_a_python_range_is_its_floor_raised_to_what_the_code_needs(make_project):
    # shynet's shape: poetry's `python = "^3.8"` while the code needs 3.9 (list[dict] evaluated
    # when a class is made): the range's oldest Python, raised to the one the code runs on
    pyproject = (
        '[tool.poetry]\nname = "x"\nversion = "1"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.8"\nDjango = "==4.1.13"\n'
    )
    settings = SETTINGS + "\n\ndef hosts(text: str) -> list[str]:\n    return text.split()\n"
    project = make_project({"pyproject.toml": pyproject, "mysite/settings.py": settings})
    assert (project.python_version, project.python_spec) == ("3.8", ">=3.8,<4")
    why = "pyproject.toml allows Python >=3.8,<4, and mysite/settings.py:"
    version, notes = python_choice(project)
    assert (version, notes) == ("3.9", [])
    machine = {(3, 8): "/py38", (3, 9): "/py39", **MACHINE}
    chosen, reason = verify_install.choose_interpreter(project, machine)
    assert chosen == "/py39"
    assert reason.startswith("Python 3.9 (" + why)
    assert (
        "evaluates list[...] in an annotation, which needs 3.9; Django 4.1.13 supports it)"
        in reason
    )
    # the code needs nothing newer: the range's oldest Python
    plain = make_project({"pyproject.toml": pyproject})
    assert python_choice(plain) == ("3.8", [])


def test_the_old_image_comes_before_a_range(make_project):
    pyproject = (
        '[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.9,<3.12"\n'
        'dependencies = ["Django==4.2.16"]\n'
    )
    project = make_project({"pyproject.toml": pyproject, "Dockerfile": "FROM python:3.10-slim\n"})
    assert python_choice(project) == ("3.10", [])
    assert verify_install.choose_interpreter(project, MACHINE)[0] == "/py310"


def test_one_python_named_is_the_project_s(make_project):
    project = make_project(
        {"requirements.txt": "Django==4.2.16\n", "Pipfile": '[requires]\npython_version = "3.9"\n'}
    )
    assert project.python_spec is None
    assert python_choice(project) == ("3.9", [])


def test_what_code_needs_is_read_without_running_it(tmp_path):
    import ast

    from fixer.analysis.code_python import _needs

    def needs(source: str) -> list[tuple[tuple[int, int], int]]:
        return [(v, line) for v, line, _ in _needs(ast.parse(source))]

    assert needs("def f(x: list[int]) -> dict[str, int]: ...\n") == [((3, 9), 1), ((3, 9), 1)]
    assert needs("class A:\n    x: int | None = None\n") == [((3, 10), 2)]
    assert needs("match x:\n    case 1:\n        pass\n") == [((3, 10), 1)]
    # postponed or string annotations, and a function's own locals, are never evaluated
    assert needs("from __future__ import annotations\ndef f(x: list[int]): ...\n") == []
    assert needs("def f(x: 'list[int]'):\n    y: list[int] = []\n") == []
