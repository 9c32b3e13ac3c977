"""A front-end build that lives in a Makefile target, carried into the generated Dockerfile
(item 1): `RUN make build-static` in the old Dockerfile, or a target nothing runs that builds
what STATICFILES_DIRS reads (tests/projects/containers/make_assets, and shapes built here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from fixer.discovery import discover
from fixer.fixes import item01_dockerfile as container
from fixer.fixes.item01_make import sort_step
from fixer.parsers.makefile import Step
from tests.conftest import PROJECTS

PROJECT = PROJECTS / "containers" / "make_assets"

ASSETS_STAGE = (
    "# --- assets: the front-end build -----------------------------------------------\n"
    "FROM ${NODE_IMAGE} AS assets\n"
    "\n"
    "WORKDIR /src\n"
    "COPY . ./\n"
    "RUN npm ci \\\n"
    "    && mkdir -p static/build \\\n"
    "    && npm run build \\\n"
    "    && rm -rf node_modules\n"
)
LEFT_OUT = [
    "Makefile:15 `npm run lint` was left out: it tests, lints, serves or watches the front end: "
    "no build step",
    "Makefile:25 `npx sentry-cli sourcemaps upload static/build --auth-token $(SENTRY...` was "
    "left out: it reads $(SENTRY_AUTH_TOKEN): a secret has no place in an image build; run it "
    "where the secret is",
]
PLAIN_DOCKERFILE = (
    "FROM python:3.11\n"
    "WORKDIR /app\n"
    "COPY . .\n"
    "RUN pip install -r requirements.txt\n"
    "CMD gunicorn wiki.wsgi -b 0.0.0.0:8000\n"
)


def copy(tmp_path, name: str = "make_assets"):
    root = tmp_path / name
    shutil.copytree(PROJECT, root)
    return root


# -- no-op cases first ----------------------------------------------------------------------


def test_no_package_json_no_makefile_build(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(PLAIN_DOCKERFILE)
    (root / "package.json").unlink()
    s = container.spec(discover(root))
    assert (s.assets, s.node_image, s.compilemessages) == ([], "", False)
    assert [n for n in s.notes if "Makefile" in n] == []


def test_makefile_building_nothing_staticfiles_dirs_reads(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(PLAIN_DOCKERFILE)
    # the build writes elsewhere, and STATICFILES_DIRS' folder is in the repository
    (root / "Makefile").write_text("build-static:\n\tnpm ci\n\tnpm run build\n")
    s = container.spec(discover(root))
    assert s.assets == []
    assert [n for n in s.notes if "Makefile" in n] == []


def test_old_dockerfile_with_its_own_front_end_build_keeps_it(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(
        PLAIN_DOCKERFILE.replace("COPY . .\n", "COPY . .\nRUN npm ci && npm run build\n")
    )
    s = container.spec(discover(root))
    assert s.assets == ["npm ci && npm run build"]  # the Makefile's target is not added twice
    assert not s.compilemessages


# -- the make call of the old Dockerfile ----------------------------------------------------


def test_make_target_of_the_old_dockerfile_runs_in_the_assets_stage():
    project = discover(PROJECT)
    s = container.spec(project)
    assert s.assets == ["npm ci", "mkdir -p static/build", "npm run build"]
    assert s.node_image == "node:22-bookworm-slim"
    assert s.compilemessages  # `messages`, a prerequisite: in the code stage, with gettext
    assert "gettext" in s.build_packages
    assert s.notes == [
        "`make build-static` (Dockerfile:8) is not run as such (make is in no generated stage): "
        "its front-end steps (Makefile lines 10, 13, 14) run in the assets stage, whose output "
        "the collectstatic and api stages use; its collectstatic, compilemessages run in the "
        "stages that do them",
        "compilemessages runs in the code stage; the api stage copies its output",
        *LEFT_OUT,
        "Dockerfile installed make to run its Makefile; the generated stages run what the "
        "targets run, so make is left out of the image",
    ]
    assert "make" not in s.build_packages
    text = container.render(project)["Dockerfile"]
    assert ASSETS_STAGE in text
    assert "make build-static" not in text
    assert "        make \\\n" not in text  # the builder installs no make
    assert text.index("AS assets") < text.index("AS code") < text.index("AS collectstatic")
    code = text[text.index("FROM builder AS code") : text.index("FROM code AS collectstatic")]
    assert "COPY --from=assets /src/ ./\n" in code
    assert "    python manage.py compilemessages\n" in code


def test_make_call_beside_other_commands(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(
        PLAIN_DOCKERFILE.replace(
            "COPY . .\n", "COPY . .\nRUN make -s build-js && python manage.py migrate\n"
        )
    )
    s = container.spec(discover(root))
    assert s.assets == ["npm ci", "mkdir -p static/build", "npm run build"]
    assert not s.compilemessages  # build-js alone does not compile the messages
    assert [n for n in s.notes if "was left out" in n] == [
        LEFT_OUT[0],
        "Dockerfile:4 `python manage.py migrate` was left out: migrations need the database, "
        "which a build has not: run them as a one-off command before the new image serves",
    ]


def test_make_call_in_a_script_the_old_dockerfile_runs(tmp_path):
    root = copy(tmp_path)
    (root / "scripts").mkdir()
    (root / "scripts" / "build.sh").write_text(
        "#!/bin/sh\nset -e\nmake build-js\npython manage.py compilemessages\n"
    )
    (root / "Dockerfile").write_text(
        PLAIN_DOCKERFILE.replace("COPY . .\n", "COPY . .\nRUN sh ./scripts/build.sh\n")
    )
    s = container.spec(discover(root))
    assert s.assets == ["npm ci", "mkdir -p static/build", "npm run build"]
    assert s.compilemessages
    assert s.notes[0] == (
        "`make build-js` (Dockerfile:4 via scripts/build.sh:3) is not run as such (make is in "
        "no generated stage): its front-end steps (Makefile lines 10, 13, 14) run in the assets "
        "stage, whose output the collectstatic and api stages use"
    )


def test_make_call_djfix_cannot_follow_is_named(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(
        PLAIN_DOCKERFILE.replace("COPY . .\n", "COPY . .\nRUN make assets && make -C docs html\n")
    )
    s = container.spec(discover(root))
    assert s.assets == []
    assert [n for n in s.notes if "was left out" in n] == [
        "Dockerfile:4 `make assets` was left out: djfix cannot follow it: Makefile has no rule "
        "for assets",
        "Dockerfile:4 `make -C docs html` was left out: djfix cannot tell which stage needs it; "
        "add it to the api stage if the app does",
    ]


# -- no make call: the target that builds what STATICFILES_DIRS reads -----------------------


@pytest.mark.parametrize("dockerfile", [PLAIN_DOCKERFILE, None])
def test_target_nothing_runs_builds_the_static_folder(tmp_path, dockerfile):
    root = copy(tmp_path)
    if dockerfile is None:
        (root / "Dockerfile").unlink()
    else:
        (root / "Dockerfile").write_text(dockerfile)
    s = container.spec(discover(root))
    assert s.assets == ["npm ci", "mkdir -p static/build", "npm run build"]
    assert s.compilemessages
    assert [n for n in s.notes if "Makefile" in n] == [
        "`make build-static` of Makefile builds the front end (the front-end build writes into "
        "static, which STATICFILES_DIRS reads), and nothing of the old set-up ran it in an "
        "image: its front-end steps (Makefile lines 10, 13, 14) run in the assets stage, whose "
        "output the collectstatic and api stages use; its collectstatic, compilemessages run in "
        "the stages that do them",
        *LEFT_OUT,
    ]


def test_missing_staticfiles_dirs_folder_is_the_builds_output(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(PLAIN_DOCKERFILE)
    settings = root / "wiki" / "settings.py"
    settings.write_text(
        settings.read_text().replace('[BASE_DIR / "static"]', '[BASE_DIR / "assets" / "dist"]')
    )
    (root / "Makefile").write_text(
        "WEBPACK = npx webpack --mode production\n"
        "all: test assets\n"
        "test:\n\tpython -m pytest\n"
        "assets:\n\t$(WEBPACK)\n"
    )
    s = container.spec(discover(root))
    assert s.assets == ["npx webpack --mode production"]
    assert [n for n in s.notes if "Makefile" in n] == [
        "`make assets` of Makefile builds the front end (STATICFILES_DIRS reads assets/dist, "
        "which the repository does not hold), and nothing of the old set-up ran it in an image: "
        "its front-end steps (Makefile lines 6) run in the assets stage, whose output the "
        "collectstatic and api stages use",
    ]


def test_several_targets_building_the_front_end_are_named_not_guessed(tmp_path):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(PLAIN_DOCKERFILE)
    (root / "Makefile").write_text(
        "css:\n\tnpx sass scss/site.scss static/build/site.css\n"
        "js:\n\tnpx webpack --output-path static/build\n"
    )
    s = container.spec(discover(root))
    assert s.assets == []
    assert [n for n in s.notes if "Makefile" in n] == [
        "Makefile has several targets that build the front end (css, js): djfix cannot tell "
        "which one the image needs; add the front-end build to the assets stage",
    ]


@pytest.mark.parametrize(
    ("rel", "text"),
    [
        ("README.md", "Build the front end with `make js`, then `make sure` it loads.\n"),
        (".github/workflows/ci.yml", "jobs:\n  b:\n    steps:\n      - run: make js\n"),
    ],
)
def test_target_the_docs_or_ci_run_is_the_one(tmp_path, rel, text):
    root = copy(tmp_path)
    (root / "Dockerfile").write_text(PLAIN_DOCKERFILE)
    (root / "Makefile").write_text(
        "css:\n\tnpx sass scss/site.scss static/build/site.css\n"
        "js:\n\tnpx webpack --output-path static/build\n"
    )
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    s = container.spec(discover(root))
    assert s.assets == ["npx webpack --output-path static/build"]
    assert [n for n in s.notes if "Makefile" in n] == [
        "`make js` of Makefile builds the front end (the front-end build writes into static, "
        f"which STATICFILES_DIRS reads; {rel} runs it), and nothing of the old set-up ran it in "
        "an image: its front-end steps (Makefile lines 4) run in the assets stage, whose output "
        "the collectstatic and api stages use",
        "Makefile also builds front-end files in css, which were left out: add them to the "
        "assets stage if the app serves them",
    ]


# -- what each recipe line is ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yarn install --frozen-lockfile", "assets"),
        ("pnpm run build", "assets"),
        ("cd frontend && npx webpack --config webpack.prod.js", "assets"),
        ("./node_modules/.bin/gulp build", "assets"),
        ("grunt", "assets"),
        ("cp node_modules/htmx.org/dist/htmx.min.js static/vendor/", "file"),
        ("curl -fsSL -o static/vendor/a.js https://unpkg.com/a@1", "download"),
        ("python manage.py compilemessages", "django"),
        ("cd app && ./manage.py collectstatic --noinput", "django"),
        ("npm test", "left"),
        ("npx eslint frontend", "left"),
        ("webpack --watch", "left"),
        ("gulp watch", "left"),
        ("python -m pytest", "left"),
        ("flake8 .", "left"),
        ("aws s3 sync static s3://bucket", "left"),
        ("git push origin main", "left"),
        ("pip install -r requirements.txt", "left"),
        ("sudo apt-get install nodejs", "left"),
        ("bundle exec jekyll build", "left"),
        ("npm run build && python manage.py collectstatic", "assets"),
    ],
)
def test_recipe_lines_sorted_by_what_they_do(text, kind):
    assert sort_step(Step("t", 1, text)).kind == kind


def test_recipe_line_shell_keeps_make_semantics():
    step = sort_step(Step("t", 1, "cd frontend && npm run build", ignore_errors=True))
    assert step.shell == "(cd frontend && npm run build) || true"


# -- run for real ------------------------------------------------------------------------------


@pytest.mark.slow
def test_make_assets_stages_run_in_order_and_collectstatic_finds_the_bundle(tmp_path):
    """The generated stages' commands, run on the host in their order: the project's own check
    (pages.E001, which collectstatic runs) passes only with the bundle the carried steps build."""
    if not (shutil.which("npm") and shutil.which("msgfmt")):
        pytest.skip("npm or msgfmt (gettext) is not installed")
    root = copy(tmp_path)
    s = container.spec(discover(root))
    build_env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1", **s.build_env}

    def collectstatic():
        return subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=root,
            env=build_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    before = collectstatic()
    assert before.returncode != 0
    assert "pages.E001" in before.stderr
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "npm_config_cache": str(tmp_path)}
    done = subprocess.run(
        ["sh", "-c", " && ".join(s.assets)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [sys.executable, "manage.py", "compilemessages"],
        cwd=root,
        env=build_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = collectstatic()
    assert after.returncode == 0, after.stderr
    assert (root / "staticfiles" / "build" / "wiki.js").read_text().startswith("/* built */")
    assert (root / "wiki" / "locale" / "fr" / "LC_MESSAGES" / "django.mo").is_file()
