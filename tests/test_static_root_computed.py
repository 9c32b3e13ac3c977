"""STATIC_ROOT computed by a helper of the project's own (tests/projects/install_paths:
`resolve_install_paths(...).root` joined to `public/static`): djfix cannot read it, so apply asks
the project with its interpreter, and the image's static stage copies the folder collectstatic
really writes. Without an interpreter the note says what to check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.analysis.app_paths import AppPath
from fixer.apply import plan
from fixer.checks import Selection
from fixer.cli import app
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.django_runner import settings_paths
from fixer.fixes import item01_static_root
from fixer.fixes.item01_static_root import ComputedStaticRoot
from fixer.parsers.dockerfile import parse_dockerfile
from fixer.parsers.shell import split_shell
from fixer.verify import render_table, verify_project
from tests.conftest import PROJECTS
from tests.test_apply_projects import copy_into_git

NAME = "install_paths"
SETTINGS = "depot/settings.py"
COMPUTED = "os.path.join(ROOT, 'public', 'static')"


def planned(tmp_path: Path, python: str | None) -> tuple[Path, dict[str, str], list[str]]:
    """(the project's copy, {path: planned text}, the notes) of a plan with `python`."""
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    options = effective_options(Config())
    options["python"] = python
    result = plan(discover(root), Selection(), options)
    files = {c.rel: c.new for c in result.changeset.changes()}
    return root, files, result.context.notes


def static_copy(dockerfile: str) -> str:
    """The folder the static stage copies from the collectstatic stage."""
    stage = parse_dockerfile(dockerfile, "Dockerfile").stage("static")
    assert stage is not None
    (copy,) = [i for i in stage.instructions if i.keyword == "COPY"]
    assert copy.flags.get("from") == "collectstatic"
    return copy.value.split()[-2]


def collectstatic_env(dockerfile: str) -> dict[str, str]:
    stage = parse_dockerfile(dockerfile, "Dockerfile").stage("collectstatic")
    assert stage is not None
    for _, text in stage.commands():
        for command in split_shell(text):
            if "collectstatic" in command.argv:
                return command.env
    raise AssertionError("no collectstatic RUN")


# -- no-op cases first ----------------------------------------------------------------------


def test_static_root_djfix_reads_is_not_asked(tmp_path):
    # BASE_DIR / "staticfiles": the plan needs no interpreter, and the note stays unsaid
    root = tmp_path / "env_helpers"
    shutil.copytree(PROJECTS / "env_helpers", root)
    options = effective_options(Config())
    options["python"] = "/nonexistent/python"  # would fail if it were asked
    result = plan(discover(root), Selection(), options)
    dockerfile = result.changeset.read("Dockerfile")
    assert static_copy(dockerfile) == "/app/staticfiles"
    assert not [n for n in result.context.notes if "STATIC_ROOT" in n]


def test_without_an_interpreter_the_note_says_what_to_check(tmp_path):
    _, files, notes = planned(tmp_path, "none")
    assert static_copy(files["Dockerfile"]) == "/app/staticfiles"
    assert "staticfiles" in files[".dockerignore"].splitlines()
    assert "chown" not in files["Dockerfile"]
    assert [n for n in notes if "_ROOT" in n] == [
        f"Dockerfile: STATIC_ROOT ({COMPUTED}) is not a folder of the code djfix can read, and "
        "no interpreter was given to ask the project: the static stage copies /app/staticfiles; "
        "run `python manage.py diffsettings | grep ^STATIC_ROOT` with the Dockerfile's "
        "build-only variables, and where it names another folder, put that folder (under /app, "
        "where the image holds manage.py's folder) in place of /app/staticfiles in the "
        "Dockerfile and .dockerignore"
    ]


def test_settings_that_do_not_load_say_why(tmp_path):
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    paths = root / "depot/paths.py"
    paths.write_text(paths.read_text() + "\nraise RuntimeError('no layout here')\n")
    options = effective_options(Config())
    options["python"] = sys.executable
    result = plan(discover(root), Selection(), options)
    assert static_copy(result.changeset.read("Dockerfile")) == "/app/staticfiles"
    (note,) = [n for n in result.context.notes if "STATIC_ROOT" in n]
    assert (
        "and the project could not tell it (its settings did not load: RuntimeError: no layout "
        "here): the static stage copies /app/staticfiles; run `python manage.py diffsettings"
    ) in note


# -- asked of the project --------------------------------------------------------------------


def test_static_root_as_the_project_computes_it(tmp_path):
    root, files, notes = planned(tmp_path, sys.executable)
    dockerfile = files["Dockerfile"]
    assert static_copy(dockerfile) == "/app/public/static"
    assert "    && mkdir -p /app/public/static\n" in dockerfile
    assert "public/static" in files[".dockerignore"].splitlines()
    assert "staticfiles" not in files[".dockerignore"].splitlines()
    # MEDIA_ROOT, computed by the same helper, is asked with it: the api image makes it its user's
    assert "    && chown 10001:10001 /app/public/media\n" in dockerfile
    assert [n for n in notes if "_ROOT" in n] == [
        "Dockerfile: MEDIA_ROOT as the project computes it: <repository>/public/media, "
        "/app/public/media in the image, which the api image makes its user's",
        "Dockerfile: STATIC_ROOT as the project computes it: <repository>/public/static "
        f"({COMPUTED}), /app/public/static in the image; collectstatic writes there and the "
        "static stage copies it",
    ]
    # the collectstatic stage's own command, in the planned tree as the image holds it at /app:
    # it writes the folder the static stage copies
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(collectstatic_env(dockerfile))
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "public/static/admin/css/base.css").is_file()
    assert not (root / "staticfiles").exists()


def test_the_question_leaves_the_repository_alone(tmp_path):
    # asked in a copy, from a folder outside it, without the developer's .env (the image's
    # build context has none either)
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    (root / ".env").write_text("DEPOT_ROOT=/srv/depot\n")
    paths = root / "depot/paths.py"
    paths.write_text(
        paths.read_text()
        + "\nif os.path.exists(os.path.join(os.path.dirname(os.path.dirname(__file__)), '.env')):"
        + "\n    raise RuntimeError('the .env was read')\n"
    )
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    asked = item01_static_root.ask(discover(root), sys.executable, {}, {}, "depot.settings")
    media = (AppPath("MEDIA_ROOT", "/app/public/media"), "<repository>/public/media")
    assert asked == ComputedStaticRoot(
        "/app/public/static", "<repository>/public/static", data=(media,)
    )
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


def test_every_folder_named_is_answered(tmp_path):
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    found, why = settings_paths(
        discover(root),
        sys.executable,
        ["STATIC_ROOT", "MEDIA_ROOT", "STATICFILES_DIRS"],
        settings_module="depot.settings",
    )
    assert why == ""
    assert {k: (v.shown, v.rel, v.absolute) for k, v in found.items()} == {
        "STATIC_ROOT": ("<repository>/public/static", "public/static", None),
        "MEDIA_ROOT": ("<repository>/public/media", "public/media", None),
    }


def test_a_folder_from_the_build_variables(tmp_path):
    # the installation names its folder (DEPOT_ROOT): the collectstatic stage's variables decide
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    project = discover(root)
    found, _ = settings_paths(
        project,
        sys.executable,
        ["STATIC_ROOT"],
        settings_module="depot.settings",
        variables={"DEPOT_ROOT": "/srv/depot"},
    )
    assert found["STATIC_ROOT"].absolute == "/srv/depot/public/static"
    found, _ = settings_paths(
        project,
        sys.executable,
        ["STATIC_ROOT"],
        settings_module="depot.settings",
        variables={"DEPOT_ROOT": "var/site"},
    )
    # relative: from manage.py's folder, the image's working folder
    assert found["STATIC_ROOT"].rel == "var/site/public/static"


# -- the real pipeline -----------------------------------------------------------------------


@pytest.mark.slow
def test_apply_then_verify_collects_where_the_static_stage_copies(tmp_path):
    repo = copy_into_git(NAME, tmp_path)
    result = CliRunner().invoke(
        app, ["apply", "--no-branch", "--python", sys.executable, str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "STATIC_ROOT as the project computes it: <repository>/public/static" in result.output
    dockerfile = (repo / "Dockerfile").read_text()
    assert static_copy(dockerfile) == "/app/public/static"
    report = verify_project(repo, python=sys.executable, only={1, 7})
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass", "pass"], table
    # step 7 ran the Dockerfile's collectstatic in a copy and found the files where the static
    # stage copies them (it fails when that folder is empty)
    assert report.step(7).note.startswith("Dockerfile:"), table


def test_planned_settings_that_need_a_package_the_change_adds(tmp_path):
    # the planned settings import what the change declares (django-environ), which the
    # interpreter may not have yet: the original settings compute the same folder
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    text = (root / SETTINGS).read_text()
    overlay = {SETTINGS: "import a_package_the_change_adds  # noqa\n" + text}
    asked = item01_static_root.ask(discover(root), sys.executable, overlay, {}, "depot.settings")
    assert asked.path == "/app/public/static"
    asked = item01_static_root.ask(discover(root), sys.executable, {}, {}, "depot.missing")
    assert asked.path is None
    assert asked.why.startswith("its settings did not load: ModuleNotFoundError"), asked.why


def test_a_virtualenv_named_env_is_no_environment_file(tmp_path):
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    (root / ".env").mkdir()
    (root / ".env/pyvenv.cfg").write_text("home = /usr/bin\n")
    asked = item01_static_root.ask(discover(root), sys.executable, {}, {}, "depot.settings")
    assert asked.path == "/app/public/static"


@pytest.mark.parametrize(
    ("static_root", "why"),
    [
        ("ROOT", "it is <repository>, the code folder itself"),
        ("os.path.dirname(ROOT)", "outside the code the image holds"),
        ("'/' + ROOT[:0] + 'app'", "it is /app, not a folder of its own"),
    ],
)
def test_a_folder_the_static_image_cannot_copy_alone(tmp_path, static_root, why):
    root = tmp_path / NAME
    shutil.copytree(PROJECTS / NAME, root)
    settings = root / SETTINGS
    text = settings.read_text().replace(f"STATIC_ROOT = {COMPUTED.replace(chr(39), chr(34))}", "")
    settings.write_text(text + f"STATIC_ROOT = {static_root}\n")
    asked = item01_static_root.ask(discover(root), sys.executable, {}, {}, "depot.settings")
    assert asked.path is None
    assert why in asked.why
