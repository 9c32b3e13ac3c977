"""Which dependency file gets installed (ProjectModel.install_source): the one decision the
generated image's builder and `djfix verify --install` both follow, on each combination of
files that declare Django."""

from __future__ import annotations

import pytest

from fixer import verify_install
from fixer.discovery import discover
from fixer.fixes.item01_dockerfile import render, spec
from fixer.fixes.item01_install import install_steps
from tests.conftest import MINIMAL_MANAGE, write_tree

SETTINGS = "INSTALLED_APPS = []\nWSGI_APPLICATION = 'mysite.wsgi.application'\n"
PIPFILE_RANGE = '[packages]\ndjango = "~=5.0"\n'
PIPFILE_PINNED = '[packages]\ndjango = "==5.2.3"\n'
PIPFILE_LOCK = (
    '{"default": {"django": {"version": "==5.2.4", "markers": "python_version >= \'3.10\'"},'
    ' "asgiref": {"version": "==3.8.1"}, "vcs": {"git": "https://example.invalid/x.git"}}}'
)
REQS_PINNED = "Django==5.2.3\ngunicorn==23.0.0\n"
REQS_DJANGO_PINNED = "Django==5.2.3\ngunicorn\n"
REQS_RANGE = "Django>=5.0\n"
POETRY = '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "^5.0"\n'
UV = '[project]\nname = "x"\nversion = "1"\ndependencies = ["django>=5.0"]\n'


@pytest.fixture
def make_project(tmp_path_factory):
    def make(files: dict[str, str]):
        root = tmp_path_factory.mktemp("repo")
        tree = {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "mysite/wsgi.py": "application = 1\n",
            **files,
        }
        write_tree(root, tree)
        return discover(root)

    return make


@pytest.mark.parametrize(
    ("files", "kind", "rel", "lock", "why"),
    [
        # one file: no choice to explain
        ({"Pipfile": PIPFILE_RANGE}, "pipfile", "Pipfile", None, ""),
        ({"requirements.txt": REQS_RANGE}, "requirements", "requirements.txt", None, ""),
        # the shape seen on a real repository: a loose Pipfile beside a pinned requirements.txt
        (
            {"Pipfile": PIPFILE_RANGE, "requirements.txt": REQS_PINNED},
            "requirements",
            "requirements.txt",
            None,
            "requirements.txt (every package pinned with ==) rather than Pipfile "
            "(Django ~=5.0, no Pipfile.lock)",
        ),
        # pinning Django alone still beats a range
        (
            {"Pipfile": PIPFILE_RANGE, "requirements.txt": REQS_DJANGO_PINNED},
            "requirements",
            "requirements.txt",
            None,
            "requirements.txt (Django pinned ==5.2.3) rather than Pipfile (Django ~=5.0, no "
            "Pipfile.lock)",
        ),
        (
            {"Pipfile": PIPFILE_PINNED, "requirements.txt": REQS_RANGE},
            "pipfile",
            "Pipfile",
            None,
            "Pipfile (Django pinned ==5.2.3) rather than requirements.txt (Django >=5.0)",
        ),
        # a lock beats a requirements file, however pinned: the project's manager file first
        (
            {
                "Pipfile": PIPFILE_RANGE,
                "Pipfile.lock": PIPFILE_LOCK,
                "requirements.txt": REQS_PINNED,
            },
            "pipfile",
            "Pipfile",
            "Pipfile.lock",
            "Pipfile (locked by Pipfile.lock) rather than requirements.txt (every package "
            "pinned with ==)",
        ),
        (
            {"pyproject.toml": POETRY, "poetry.lock": "# lock\n", "requirements.txt": REQS_RANGE},
            "poetry",
            "pyproject.toml",
            "poetry.lock",
            "pyproject.toml (locked by poetry.lock) rather than requirements.txt (Django >=5.0)",
        ),
        (
            {"pyproject.toml": UV, "uv.lock": "version = 1\n", "requirements.txt": REQS_PINNED},
            "uv",
            "pyproject.toml",
            "uv.lock",
            "pyproject.toml (locked by uv.lock) rather than requirements.txt (every package "
            "pinned with ==)",
        ),
        # an unlocked manager file loses to a pinned requirements file
        (
            {"pyproject.toml": POETRY, "requirements.txt": REQS_PINNED},
            "requirements",
            "requirements.txt",
            None,
            "requirements.txt (every package pinned with ==) rather than pyproject.toml "
            "(Django ^5.0, no poetry.lock)",
        ),
        # a pip-tools input and the file compiled from it are one source: pip reads the latter
        (
            {"requirements.in": "django\n", "requirements.txt": "django==5.2.1\n"},
            "pip-tools",
            "requirements.txt",
            None,
            "",
        ),
        # a pinned development file is never the image's
        (
            {
                "requirements.txt": REQS_RANGE,
                "requirements-dev.txt": "Django==5.2.3\npytest==8.0\n",
            },
            "requirements",
            "requirements.txt",
            None,
            "requirements.txt (Django >=5.0) rather than requirements-dev.txt (every package "
            "pinned with ==)",
        ),
    ],
)
def test_install_source(make_project, files, kind, rel, lock, why):
    project = make_project(files)
    install = project.install_source
    assert (install.source.kind, install.rel, install.lock, install.why) == (kind, rel, lock, why)
    assert project.dependency_source is install.source


@pytest.mark.parametrize(
    "files",
    [
        {"Pipfile": PIPFILE_RANGE, "requirements.txt": REQS_PINNED},
        {"requirements.in": "django\n", "requirements.txt": "django==5.2.1\n"},
        {"pyproject.toml": POETRY, "requirements.txt": REQS_PINNED},
    ],
)
def test_image_and_verify_install_the_same_file(make_project, files):
    project = make_project(files)
    _, copied, commands, _ = install_steps(project)
    args, _, hashed = verify_install.install_plan(project)
    assert commands[0] == f"pip install --no-cache-dir -r {project.install_source.rel}"
    assert copied == [project.install_source.rel]
    assert args[:2] == ["-r", str(project.root / project.install_source.rel)]
    assert project.root / project.install_source.rel in hashed


def test_verify_adds_what_a_stale_pipfile_lock_lacks(make_project):
    """`pipenv requirements` leaves out what the lock lacks; the image installs it after the
    lock's packages, and so does verify."""
    pipfile = PIPFILE_RANGE + 'django-environ = "==0.11.2"\n'
    project = make_project({"Pipfile": pipfile, "Pipfile.lock": PIPFILE_LOCK})
    args, messages, _ = verify_install.install_plan(project)
    assert args == [
        "asgiref==3.8.1",
        "django==5.2.4; python_version >= '3.10'",
        "django-environ==0.11.2",
        "gunicorn==23.0.0",
    ]
    assert messages == [
        "--install: Pipfile.lock is stale: it lacks django-environ, which Pipfile declares, "
        "until `pipenv lock` is run; it is installed at the declared range, as the generated "
        "image adds it too",
        "--install: gunicorn==23.0.0 added (the project's dependencies do not name it)",
    ]


def test_the_choice_is_stated_in_the_dockerfile_the_notes_and_verify(make_project):
    project = make_project({"Pipfile": PIPFILE_RANGE, "requirements.txt": REQS_PINNED})
    dockerfile = render(project)["Dockerfile"]
    assert (
        "WORKDIR /build\n"
        "# the dependencies of requirements.txt (every package pinned with ==) rather than "
        "Pipfile (Django\n"
        "# ~=5.0, no Pipfile.lock); `djfix verify --install` installs the same file\n"
        "COPY requirements.txt requirements.txt\n"
    ) in dockerfile
    assert (
        "the image installs the dependencies of requirements.txt (every package pinned with ==) "
        "rather than Pipfile (Django ~=5.0, no Pipfile.lock)"
    ) in spec(project).notes
    _, messages, _ = verify_install.install_plan(project)
    assert messages[0] == (
        "--install: the dependencies of requirements.txt (every package pinned with ==) rather "
        "than Pipfile (Django ~=5.0, no Pipfile.lock), as the image installs"
    )
    assert project.django_pin == (5, 2, 3)  # the Django that ships, not the Pipfile's range


def test_no_comment_where_one_file_declares_django(make_project):
    project = make_project({"requirements.txt": REQS_PINNED})
    assert "# the dependencies of" not in render(project)["Dockerfile"]
    assert not [n for n in spec(project).notes if "installs the dependencies of" in n]


def test_verify_installs_what_the_pipfile_lock_holds(make_project):
    """The image runs `pipenv requirements` on the lock; verify installs the same pins."""
    project = make_project({"Pipfile": PIPFILE_RANGE, "Pipfile.lock": PIPFILE_LOCK})
    args, _, hashed = verify_install.install_plan(project)
    assert args == [
        "asgiref==3.8.1",
        "django==5.2.4; python_version >= '3.10'",
        "gunicorn==23.0.0",  # the pin the image's dependency file gets
    ]
    assert project.root / "Pipfile.lock" in hashed
    assert project.django_pin == (5, 2, 4)


# PEP 735: a pyproject.toml without [project] whose dependencies sit in a group
# (`pip install --group main`)
GROUPS = (
    "[dependency-groups]\n"
    'main = ["Django==5.2.3", "gunicorn==23.0.0"]\n'
    'dev = [{include-group = "main"}, "pytest==8.0.0"]\n'
)


def test_a_dependency_group_is_what_the_image_and_verify_install(make_project):
    project = make_project({"pyproject.toml": GROUPS})
    install = project.install_source
    assert install is not None
    assert (install.source.kind, install.source.group, install.rel) == (
        "pep735",
        "main",
        "pyproject.toml",
    )
    assert [r.name for r in install.source.packages] == ["django", "gunicorn"]
    manager, files, steps, _ = install_steps(project)
    assert (manager, files) == ("pep735", ["pyproject.toml"])
    assert steps == [
        "pip install --no-cache-dir 'pip>=25.1'",
        "pip install --no-cache-dir --group pyproject.toml:main",
    ]
    args, _, _ = verify_install.install_plan(project)
    assert args[:2] == ["django==5.2.3", "gunicorn==23.0.0"]


def test_the_group_not_named_for_development_wins(make_project):
    groups = (
        "[dependency-groups]\n"
        'test = ["Django==5.2.3", "pytest"]\n'
        'web = ["Django==5.2.3", "gunicorn==23.0.0"]\n'
    )
    project = make_project({"pyproject.toml": groups})
    assert project.install_source is not None
    assert project.install_source.source.group == "web"


def test_groups_beside_project_dependencies_are_not_the_install(make_project):
    text = UV + '\n[dependency-groups]\ndev = ["Django==5.2.3", "pytest"]\n'
    project = make_project({"pyproject.toml": text})
    assert [s.kind for s in project.dependency_sources] == ["pep621"]
