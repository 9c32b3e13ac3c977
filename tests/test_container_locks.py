"""The generated image's install step where djfix adds packages to a dependency file whose lock
file (poetry.lock, uv.lock, Pipfile.lock) then lacks them: the image must build before the
developer re-locks, and the notes must say the lock is stale and how to refresh it."""

from __future__ import annotations

import textwrap

import pytest

from fixer.apply import plan
from fixer.checks import Selection
from fixer.config import Config, effective_options
from fixer.fixes import item01_dockerfile as container
from tests.conftest import MINIMAL_MANAGE
from tests.test_container import PIPFILE, PYPROJECT_POETRY, PYPROJECT_UV, base

POETRY = "/opt/poetry/bin/poetry"
QUIET = "--no-interaction --no-ansi"
POETRY_INSTALL = f"{POETRY} install --only main --no-root {QUIET}"
POETRY_RELOCK = f"({POETRY} check --lock {QUIET} || {POETRY} lock --no-update {QUIET})"
UV_SYNC = "/opt/uv/bin/uv sync{} --no-dev --no-install-project --no-cache"
PIPENV_STEPS = [
    "python -m venv /opt/pipenv",
    "/opt/pipenv/bin/pip install --no-cache-dir pipenv==2024.4.0",
    "/opt/pipenv/bin/pipenv requirements > /tmp/requirements.txt",
    "pip install --no-cache-dir -r /tmp/requirements.txt",
]
ENVIRON = ["django-environ"]

POETRY_NOTE = (
    "poetry.lock is stale: pyproject.toml now declares django-environ, which it lacks, until "
    "`poetry lock --no-update` is run and poetry.lock committed. Meanwhile the builder re-locks "
    "before `poetry install`, which refuses a stale lock; a fresh lock passes its `poetry check "
    "--lock` and is installed as it is"
)
UV_NOTE = (
    "uv.lock is stale: pyproject.toml now declares django-environ, which it lacks, until `uv "
    "lock` is run and uv.lock committed. Meanwhile the builder syncs without `--locked`, which "
    "refuses a stale lock, so uv re-locks in the build; with a fresh uv.lock committed, "
    "`--locked` can return"
)
PIPENV_NOTE = (
    "Pipfile.lock is stale: Pipfile now declares django-environ, which it lacks, until `pipenv "
    "lock` is run and Pipfile.lock committed. Meanwhile the builder installs it after the "
    "packages of Pipfile.lock, which leaves it out, at the version djfix chose; with a fresh "
    "Pipfile.lock committed, that `pip install` can go"
)


def files_of(manager: str, *, lock: bool = True) -> dict[str, str | None]:
    manifest = {
        "poetry": ("pyproject.toml", PYPROJECT_POETRY, "poetry.lock", "# lock\n"),
        "uv": ("pyproject.toml", PYPROJECT_UV, "uv.lock", "version = 1\n"),
        "pipfile": ("Pipfile", PIPFILE, "Pipfile.lock", "{}\n"),
    }[manager]
    out: dict[str, str | None] = {**base(), manifest[0]: manifest[1]}
    if lock:
        out[manifest[2]] = manifest[3]
    return out


def install(project, packages: list[str]) -> list[str]:
    return container.spec(project, {"runtime-packages": packages}).install


# -- no-op cases first ----------------------------------------------------------------------


@pytest.mark.parametrize("packages", [[], ["gunicorn"]], ids=["nothing-added", "already-declared"])
def test_fresh_lock_installs_as_locked(make_project, packages):
    # gunicorn is declared already: the plans add nothing, the lock stays fresh
    project = make_project(files_of("poetry"))
    assert install(project, packages)[2:] == [POETRY_INSTALL]
    s = container.spec(project, {"runtime-packages": packages})
    assert (s.stale_lock, s.stale_lock_comment) == ("", [])
    assert install(make_project(files_of("uv")), packages)[2:] == [UV_SYNC.format(" --locked")]


def test_fresh_pipfile_lock_installs_the_lock_alone(make_project):
    assert install(make_project(files_of("pipfile")), ["daphne"]) == PIPENV_STEPS


@pytest.mark.parametrize("manager", ["poetry", "uv"])
def test_no_lock_nothing_to_make_stale(make_project, manager):
    project = make_project(files_of(manager, lock=False))
    expected = POETRY_INSTALL if manager == "poetry" else UV_SYNC.format("")
    assert install(project, ENVIRON)[2:] == [expected]
    assert container.spec(project, {"runtime-packages": ENVIRON}).stale_lock == ""


def test_no_pipfile_lock_locks_in_the_build_as_before(make_project):
    steps = install(make_project(files_of("pipfile", lock=False)), ENVIRON)
    assert steps == [*PIPENV_STEPS[:2], "/opt/pipenv/bin/pipenv lock", *PIPENV_STEPS[2:]]


# -- a lock djfix's change makes stale --------------------------------------------------------


def test_poetry_relocks_while_the_lock_is_stale(make_project):
    project = make_project(files_of("poetry"))
    assert install(project, ENVIRON) == [
        "python -m venv /opt/poetry",
        "/opt/poetry/bin/pip install --no-cache-dir poetry==1.8.5",
        POETRY_RELOCK,
        POETRY_INSTALL,
    ]
    assert container.spec(project, {"runtime-packages": ENVIRON}).stale_lock == POETRY_NOTE


def test_poetry_in_a_folder_changes_directory_once(make_project):
    files = {f"app/{rel}": text for rel, text in files_of("poetry").items()}
    files.update({"manage.py": None, "mysite/__init__.py": None})
    files.update({"app/manage.py": MINIMAL_MANAGE, "app/mysite/__init__.py": ""})
    project = make_project(files)
    assert install(project, ENVIRON)[2:] == [f"cd app && {POETRY_RELOCK}", POETRY_INSTALL]
    assert install(project, [])[2:] == [f"cd app && {POETRY_INSTALL}"]


def test_uv_syncs_without_locked(make_project):
    project = make_project(files_of("uv"))
    assert install(project, ENVIRON)[2:] == [UV_SYNC.format("")]
    assert container.spec(project, {"runtime-packages": ENVIRON}).stale_lock == UV_NOTE


def test_pipenv_installs_the_added_packages_pinned(make_project):
    project = make_project(files_of("pipfile"))
    steps = install(project, ["django-environ", "psycopg[binary]"])
    assert steps[:4] == PIPENV_STEPS
    assert steps[4].startswith("pip install --no-cache-dir django-environ==")
    # quoted: an extra's brackets are a shell pattern
    assert "'psycopg[binary]==" in steps[4]
    assert len(steps) == 5
    assert container.spec(project, {"runtime-packages": ENVIRON}).stale_lock == PIPENV_NOTE


def test_rendered_dockerfile_says_why(make_project):
    project = make_project(files_of("poetry"))
    dockerfile = container.render(project, {"runtime-packages": ENVIRON})["Dockerfile"]
    comment = textwrap.fill(POETRY_NOTE, 98, initial_indent="# ", subsequent_indent="# ")
    assert comment in dockerfile
    assert f"    && {POETRY_RELOCK} \\\n    && {POETRY_INSTALL} \\\n" in dockerfile


# -- apply: the Dockerfile and the notes together ----------------------------------------------

SETTINGS_WITH_SECRET = base()["mysite/settings.py"].replace('"x"', '"x" * 60')


@pytest.mark.parametrize(
    ("manager", "dockerfile_note", "manifest_note"),
    [
        (
            "poetry",
            POETRY_NOTE,
            "pyproject.toml: poetry.lock is now stale: run `poetry lock --no-update` and commit "
            "poetry.lock (`poetry install` refuses a stale lock)",
        ),
        (
            "uv",
            UV_NOTE,
            "pyproject.toml: uv.lock is now stale: run `uv lock` and commit uv.lock (`uv sync "
            "--locked` refuses a stale lock)",
        ),
        (
            "pipfile",
            PIPENV_NOTE,
            "Pipfile: Pipfile.lock is now stale: run `pipenv lock` and commit Pipfile.lock (an "
            "install from the lock leaves the new packages out)",
        ),
    ],
)
def test_apply_adds_environ_and_says_the_lock_is_stale(
    make_project, manager, dockerfile_note, manifest_note
):
    files = {**files_of(manager), "mysite/settings.py": SETTINGS_WITH_SECRET}
    if manager == "pipfile":  # gunicorn declared: django-environ is all djfix adds
        files["Pipfile"] = PIPFILE.replace('daphne = "==4.1.2"', 'gunicorn = "==23.0.0"')
    project = make_project(files)
    result = plan(project, Selection(), effective_options(Config()))
    changeset = result.changeset
    manifest = "Pipfile" if manager == "pipfile" else "pyproject.toml"
    assert "django-environ" in (changeset.read(manifest) or "")
    dockerfile = changeset.read("Dockerfile") or ""
    assert "\n# " + dockerfile_note[:60] in dockerfile
    assert f"Dockerfile: {dockerfile_note}" in result.context.notes
    assert manifest_note in result.context.notes
    assert [s.status for s in result.items if s.item == 1] == ["fixed"]
