"""A front-end build that lives in a Makefile target, for the generated Dockerfile: what
`make TARGET` runs (prerequisites first, `$(MAKE) other` followed, the file's variables
expanded; `fixer.parsers.makefile`), each recipe line sorted by what it does: a front-end or
asset build step (npm, yarn, pnpm, npx, gulp, webpack, grunt... and the file commands between
them) runs in the assets stage, a management command where its output is used (compilemessages
in the code stage, collectstatic in its own stage), and everything else (tests, linters,
deploys, secrets, tools djfix does not know) is left out with the reason.

The target is the one the old Dockerfile runs (`RUN make build-static`, or a shell script it
runs that does), or, where nothing runs make, the one target that clearly builds what the
settings read: the repository has a package.json, the target runs a front-end build, and a
STATICFILES_DIRS folder is missing from the repository or named by the build's files. Of
several, the one the docs or the CI run wins, then the one that also runs collectstatic; the
others that build more are named in the summary, and a tie is reported, not guessed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from fixer.analysis.app_paths import IMAGE_APP_DIR, image_path, path_bases
from fixer.parsers.commands import manage_py_commands
from fixer.parsers.makefile import Makefile, Step, default_target, read_makefile, target_steps
from fixer.parsers.shell import ScriptCommand
from fixer.project import ProjectModel

#: programs of a front-end build: node, its package managers and bundlers
NODE_TOOLS = re.compile(
    r"^(npm|yarn|pnpm|npx|node|gulp|grunt|webpack|webpack-cli|bower|parcel|vite|rollup|esbuild"
    r"|tsc|sass|node-sass|lessc|postcss|tailwindcss|uglifyjs|terser|cleancss|babel)$"
)
#: node scripts or tools that check, serve or watch rather than build
_NOT_A_BUILD = re.compile(
    r"^(test|lint|lint:.*|format|prettier|eslint|stylelint|jest|karma|mocha|cypress|start|"
    r"serve|dev|watch|storybook|check|audit|outdated|publish|deploy)$"
)
#: programs that only move files about, run in the build's order
_FILE_TOOLS = frozenset(
    {"mkdir", "rm", "cp", "mv", "touch", "ln", "echo", "cat", "true", "test", "[", "cd", "find"}
)
#: management commands the generated stages run themselves
_STAGE_COMMANDS = frozenset({"compilemessages", "collectstatic", "compress"})
#: programs that check the code: no part of an image
_CHECK_TOOLS = frozenset(
    {
        "pytest",
        "py.test",
        "tox",
        "nox",
        "flake8",
        "black",
        "ruff",
        "isort",
        "mypy",
        "pylint",
        "coverage",
        "pre-commit",
        "bandit",
        "safety",
    }
)
#: programs that deploy or publish: credentials and hosts beyond the package registries
_DEPLOY_TOOLS = frozenset(
    {
        "aws",
        "gcloud",
        "gsutil",
        "az",
        "scp",
        "rsync",
        "ssh",
        "sftp",
        "docker",
        "podman",
        "kubectl",
        "helm",
        "heroku",
        "fly",
        "flyctl",
        "twine",
        "s3cmd",
        "ansible-playbook",
        "fab",
        "terraform",
    }
)
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE|CREDENTIAL|_KEY\b|_DSN\b")
#: target names that say they build the static files
_STATIC_NAME = re.compile(r"static|asset|front|webpack|bundle|css|js\b|build", re.IGNORECASE)
#: the front-end build's own files, where the output folder is named
_BUILD_FILES = (
    "package.json",
    "webpack.config.js",
    "webpack.config.ts",
    "webpack.prod.js",
    "gulpfile.js",
    "Gruntfile.js",
    "rollup.config.js",
    "vite.config.js",
    "vite.config.ts",
)
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")


@dataclass(frozen=True)
class Sorted:
    """One recipe line and where it goes."""

    step: Step
    #: "assets" (front-end build), "file" (file commands, run with the build), "download",
    #: "django" (management commands: `commands`), "left" (`why`)
    kind: str
    why: str = ""
    #: the management commands, for "django" (and "assets" that also run one)
    commands: tuple[ScriptCommand, ...] = ()
    #: the part of the line the assets stage runs, where it is not all of it
    assets_text: str = ""

    @property
    def shell(self) -> str:
        """The line as one command of the assets stage's RUN: in a subshell where it changes
        folder (make runs each recipe line in a shell of its own)."""
        text = self.assets_text or self.step.text
        if any(c.argv[:1] == ["cd"] for c in self.step.commands()):
            text = f"({text})"
        return f"{text} || true" if self.step.ignore_errors else text


@dataclass
class MakeBuild:
    """What running one make call means for the generated image."""

    makefile: str
    #: `make build-static`, as the old Dockerfile wrote it or as djfix would run it
    call: str
    steps: list[Sorted] = field(default_factory=list)
    #: problems reading the Makefile or following the target ("" when none)
    problem: str = ""
    #: why djfix chose this target where nothing runs it (the STATICFILES_DIRS folder)
    reason: str = ""
    #: the other targets that build front-end files this one does not, where djfix chose
    others: list[str] = field(default_factory=list)

    @property
    def front_end(self) -> bool:
        return any(s.kind == "assets" for s in self.steps)

    @property
    def carried_lines(self) -> list[int]:
        return [s.step.line for s in self.steps if s.kind in ("assets", "file", "download")]


def read_project_makefile(project: ProjectModel, rel: str) -> Makefile | None:
    text = project.cache.text(project.root / rel).text
    return read_makefile(text, rel) if text is not None else None


def make_build(
    project: ProjectModel, rel: str, targets: list[str], call: str, model: Makefile | None = None
) -> MakeBuild:
    """What `make TARGETS` (on the Makefile `rel` of the repository root, read already as
    `model` where given) runs, sorted."""
    out = MakeBuild(rel, call)
    model = model or read_project_makefile(project, rel)
    if model is None:
        out.problem = f"the repository has no {rel} to read the target from"
        return out
    if not targets:
        first = default_target(model)
        if first is None:
            out.problem = f"{rel} has no target"
            return out
        targets = [first]
    problems: list[str] = []
    steps: list[Step] = []
    for target in targets:
        found, problems_here = target_steps(model, target)
        steps.extend(found)
        problems.extend(problems_here)
    if problems:
        out.problem = "; ".join(problems)
    out.steps = [sort_step(step) for step in steps]
    if not out.front_end:
        # file commands belong to a front-end build; without one they set up something else
        out.steps = [
            Sorted(s.step, "left", "it is not part of a front-end build djfix can tell")
            if s.kind == "file"
            else s
            for s in out.steps
        ]
    return out


def sort_step(step: Step) -> Sorted:
    """Where one expanded recipe line goes."""
    if step.unresolved:
        secrets = [u for u in step.unresolved if _SECRET_NAME.search(u.split(",")[0].upper())]
        if secrets:
            return Sorted(
                step,
                "left",
                f"it reads {_names(secrets)}: a secret has no place in an image build; run it "
                "where the secret is",
            )
        return Sorted(
            step,
            "left",
            f"djfix cannot tell what make would run: {'; '.join(step.unresolved)}",
        )
    commands = step.commands()
    if not commands:
        return Sorted(step, "left", "djfix cannot read its shell")
    django = manage_py_commands(commands)
    if django:
        managed = tuple(c for c, _, _ in django)
        others = [c for c in commands if c not in managed]
        if all(c.argv[0] == "cd" for c in others):
            return Sorted(step, "django", commands=managed)
        heads = {c.argv[0].rsplit("/", 1)[-1] for c in others}
        if {name for _, name, _ in django} <= _STAGE_COMMANDS and all(
            NODE_TOOLS.match(h) or h in _FILE_TOOLS for h in heads
        ):
            # `npm run build && python manage.py collectstatic`: the stages run the second
            rest = " && ".join(c.text for c in others)
            kind = "assets" if any(NODE_TOOLS.match(h) for h in heads) else "file"
            return Sorted(step, kind, commands=managed, assets_text=rest)
        return Sorted(step, "left", "it mixes management commands with other programs")
    heads = [c.argv[0].rsplit("/", 1)[-1] for c in commands]
    for command, head in zip(commands, heads, strict=True):
        if head in _DEPLOY_TOOLS or (head == "git" and command.argv[1:2] == ["push"]):
            return Sorted(
                step,
                "left",
                f"it deploys or publishes ({head}): that needs credentials and hosts beyond "
                "the package registries, which an image build has not",
            )
        if head in _CHECK_TOOLS or (re.fullmatch(r"python[\d.]*", head) and _runs_checks(command)):
            return Sorted(step, "left", f"it checks the code ({head}): no part of an image")
        if NODE_TOOLS.match(head) and _not_a_build(command.argv):
            return Sorted(
                step, "left", "it tests, lints, serves or watches the front end: no build step"
            )
        if head in ("apt-get", "apt", "apk", "brew", "sudo"):
            return Sorted(
                step, "left", f"it installs system packages ({head}) the generated stages provide"
            )
        if re.fullmatch(r"pip[\d.]*", head) or head in ("poetry", "pipenv", "uv"):
            return Sorted(step, "left", "the builder stage installs the Python dependencies")
    if any(NODE_TOOLS.match(h) for h in heads):
        return Sorted(step, "assets")
    if any(
        h in ("curl", "wget") or (h == "git" and c.argv[1:2] == ["clone"])
        for c, h in zip(commands, heads, strict=True)
    ) and all(h in _FILE_TOOLS or h in ("curl", "wget", "git", "tar", "unzip") for h in heads):
        return Sorted(step, "download")
    if all(h in _FILE_TOOLS for h in heads):
        return Sorted(step, "file")
    unknown = next(h for h in heads if h not in _FILE_TOOLS)
    return Sorted(
        step,
        "left",
        f"djfix does not know what {unknown} needs: add it to the stage that has that tool",
    )


def _names(unresolved: list[str]) -> str:
    return ", ".join(u.split(",")[0] for u in unresolved)


def _runs_checks(command: ScriptCommand) -> bool:
    argv = command.argv
    return argv[1:2] == ["-m"] and argv[2:3] != [] and argv[2] in _CHECK_TOOLS | {"unittest"}


def _not_a_build(argv: list[str]) -> bool:
    head = argv[0].rsplit("/", 1)[-1]
    args = [a for a in argv[1:] if not a.startswith("-")]
    if "--watch" in argv or ("-w" in argv and head in ("webpack", "tsc", "sass", "rollup")):
        return True
    if head in ("npm", "pnpm", "yarn"):
        if args[:1] in (["run"], ["run-script"]):
            args = args[1:]
        return bool(args) and bool(_NOT_A_BUILD.match(args[0]))
    if head == "npx":
        return bool(args) and bool(_NOT_A_BUILD.match(args[0]))
    if head in ("gulp", "grunt"):
        return bool(args) and bool(_NOT_A_BUILD.match(args[0]))
    return False


# -- where nothing runs make ----------------------------------------------------------------------


def static_build(project: ProjectModel) -> MakeBuild | None:
    """The Makefile target that clearly builds the static files STATICFILES_DIRS reads, where
    nothing runs make: None where there is no such target, or no package.json, or no folder
    the build writes for the settings. Several such targets: the one the docs or the CI run
    (`make build-static` in README.md or a workflow), else the one that also runs
    collectstatic, else one whose name says so; a tie is reported (the MakeBuild has no
    steps and a problem)."""
    if project.cache.text(project.root / "package.json").text is None:
        return None
    rel = next((n for n in _MAKEFILES if (project.root / n).is_file()), None)
    if rel is None:
        return None
    model = read_project_makefile(project, rel)
    if model is None:
        return None
    folders = _static_dirs(project)
    if not folders:
        return None
    calls = _documented_calls(project)
    candidates: list[tuple[int, MakeBuild]] = []
    for target in model.targets[:200]:
        build = make_build(project, rel, [target], f"make {target}", model)
        if not build.front_end or build.problem:
            continue
        why = _builds_for(project, model, build, folders)
        if not why:
            continue
        build.reason = why
        collects = any(
            name == "collectstatic"
            for s in build.steps
            if s.kind == "django"
            for _, name, _ in manage_py_commands(s.commands)
        )
        named = calls.get(target)
        if named:
            build.reason += f"; {named} runs it"
        score = 4 * bool(named) + 2 * collects + bool(_STATIC_NAME.search(target))
        candidates.append((score, build))
    if not candidates:
        return None
    best = max(score for score, _ in candidates)
    top = [b for score, b in candidates if score == best]
    # a target that only runs another candidate's steps (`all: build-static`) is that one
    top = [b for b in top if not any(_covers(o, b) for o in top if o is not b)]
    if len(top) > 1:
        names = ", ".join(b.call.split(" ", 1)[1] for b in top)
        return MakeBuild(
            rel,
            top[0].call,
            problem=f"{rel} has several targets that build the front end ({names}): djfix "
            "cannot tell which one the image needs",
        )
    chosen = top[0]
    within = set(chosen.carried_lines)
    chosen.others = [
        b.call.split(" ", 1)[1]
        for _, b in candidates
        if b is not chosen and not set(b.carried_lines) <= within
    ]
    return chosen


#: where a project says how it builds: its READMEs and docs, its CI configuration
_DOC_GLOBS = (
    "README*",
    "CONTRIBUTING*",
    "docs/*.md",
    "docs/*.rst",
    "docs/*.txt",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    ".travis.yml",
    ".circleci/config.yml",
    "Jenkinsfile",
)
_MAKE_CALL = re.compile(r"(?<![\w$(-])make[ \t]+([A-Za-z0-9_][\w.-]*)")


def _documented_calls(project: ProjectModel) -> dict[str, str]:
    """{target: the first file naming `make target`} in the docs and CI files (the first 60)."""
    out: dict[str, str] = {}
    paths = sorted({p for glob in _DOC_GLOBS for p in project.root.glob(glob) if p.is_file()})
    for path in paths[:60]:
        text = project.cache.text(path).text
        if text is None:
            continue
        rel = project.rel(path)
        for found in _MAKE_CALL.finditer(text[:200_000]):
            out.setdefault(found.group(1), rel)
    return out


def _covers(bigger: MakeBuild, smaller: MakeBuild) -> bool:
    """`smaller` runs the same front-end steps as `bigger` and more: `all: build-static test`."""
    mine = [s.step.line for s in bigger.steps if s.kind == "assets"]
    theirs = [s.step.line for s in smaller.steps if s.kind == "assets"]
    return mine == theirs and len(smaller.steps) > len(bigger.steps)


def _static_dirs(project: ProjectModel) -> list[str]:
    """STATICFILES_DIRS' folders as repository paths (those djfix can read)."""
    value = project.settings.get("STATICFILES_DIRS")
    if not isinstance(value, (list, tuple)):
        return []
    bases = path_bases(project)
    manage_dir = posixpath.dirname(project.manage_py or "")
    out: list[str] = []
    for entry in value[:50]:
        if isinstance(entry, tuple) and len(entry) == 2:
            entry = entry[1]  # (prefix, path)
        path = image_path(entry, bases)
        if path is None or path == IMAGE_APP_DIR:
            continue
        rel = path[len(IMAGE_APP_DIR) + 1 :]
        out.append(posixpath.join(manage_dir, rel) if manage_dir else rel)
    return out


def _builds_for(
    project: ProjectModel, model: Makefile, build: MakeBuild, folders: list[str]
) -> str:
    """Why this build's output is what STATICFILES_DIRS reads ("" when djfix cannot tell)."""
    missing = [f for f in folders if not (project.root / f).is_dir()]
    if missing:
        return f"STATICFILES_DIRS reads {', '.join(missing)}, which the repository does not hold"
    texts = [s.step.text for s in build.steps]
    for name in _BUILD_FILES:
        text = project.cache.text(project.root / name).text
        if text is not None:
            texts.append(text)
    for folder in folders:
        pattern = re.compile(rf"(?<![\w.-])(?<![\w-]/){re.escape(folder)}(?![\w-])")
        if any(pattern.search(text) for text in texts):
            return f"the front-end build writes into {folder}, which STATICFILES_DIRS reads"
    return ""
