"""Item 2: a multi-stage, minimal image: no build toolchain in the final stage, far under 300 MB.

## What it checks
In the root Dockerfile, the stage whose image runs Django (the last stage, or the last one before
a trailing nginx/caddy static-files stage) and every stage it is built `FROM`:

- takes its installed packages from a separate builder stage (`COPY --from=builder ...`), so the
  Dockerfile is really multi-stage (DJ020);
- starts from a slim base image: `python:3.x-slim`, `-alpine`, `debian:*-slim`, distroless or
  chainguard, not `python:3.x`, `python:3.x-bookworm`, `debian:bookworm` or `ubuntu`; a base
  given through `ARG` is read from the ARG's default, and `FROM builder` is followed to the image
  the chain starts from (DJ021);
- installs no build toolchain: gcc, g++, make, build-essential, git, cargo/rustc, pkg-config,
  `*-dev` / `*-devel` headers (DJ022);
- runs `pip install` with `--no-cache-dir` (`uv pip install` / `uv sync` with `--no-cache`), or
  with `PIP_NO_CACHE_DIR` / `UV_NO_CACHE` set, a `--mount=type=cache`, or the cache removed in
  the same RUN (DJ023);
- installs no development dependencies: `requirements-dev.txt`, `.[dev]`, `poetry install`
  without `--only main` / `--without dev` when dev groups exist, `pipenv install --dev`,
  `uv sync` / `pdm install` without `--no-dev` / `--prod` (DJ024; this one also looks at the
  stages whose files are copied in).

A package installed and removed again in the same RUN (`apt-get purge`, `apk del .build-deps`,
the official images' `apt-mark auto` + `--auto-remove` pattern) never reaches a layer, so it is
not reported. One removed in a later RUN is: the earlier layer still carries it.

A base image djfix does not know (your own registry's image, or an `ARG` without a default) is
not judged; djfix says nothing about it rather than guess.

Without a root Dockerfile djfix can read there is no image to judge, and the item fails with
DJ025 (item 1 says why: DJ010 or DJ012).

## Why it matters
`python:3.12` is about 1 GB: a full Debian with compilers and headers. `python:3.12-slim` is about
130 MB. Compilers left in the runtime image make it several hundred MB larger, slower to pull on
every deploy and autoscaling event, and hand an attacker a toolchain. The pip cache alone adds
tens of MB of wheels nobody will read again; dev dependencies add test tools and their attack
surface to production.

## Example
```diff
-FROM python:3.12
-RUN apt-get update && apt-get install -y build-essential libpq-dev
-RUN pip install -r requirements.txt
+FROM python:3.12-slim AS builder
+RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev
+RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.txt
+
+FROM python:3.12-slim
+RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
+    && rm -rf /var/lib/apt/lists/*
+COPY --from=builder /venv /venv
+ENV PATH="/venv/bin:$PATH"
```

## Fix safety
DJ025 is safe: djfix generates the multi-stage Dockerfile (see DJ010). DJ020 to DJ024 are
unsafe: the existing Dockerfile is replaced by a generated one whose builder stage gets the
headers of the dependencies built from source (psycopg2, psycopg 3's C implementation
`psycopg[c]`, mysqlclient, python-ldap) and the final stage only their runtime libraries
(`libpq5`, `libmariadb3`); psycopg 3 without its binary package loads the system's libpq, so
both stages get `libpq5` for it. Check the runtime packages it lists. The packages of
an Alpine-based Dockerfile are carried over under their Debian names (`postgresql-dev` becomes
`libpq-dev` in the builder and `libpq5` at run time; `musl-dev` has no Debian counterpart);
a name djfix does not know is listed in the summary, not installed. The runtime virtualenv
keeps no pip, setuptools or wheel, and the image has a `HEALTHCHECK` on /health (a Python
one-liner: no curl needed).

## Options
None.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.image import (
    ApiImage,
    api_image,
    copied_stages,
    image_parts,
    is_toolchain,
    physical_line,
    run_of,
)
from fixer.checks import rule
from fixer.findings import Finding, FixSafety, Severity
from fixer.parsers.dockerfile import Instruction, Stage
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel

ITEM = 2
TITLE = "Multi-stage, minimal image"

SINGLE_STAGE = rule(
    __name__,
    rule_codes.DOCKERFILE_SINGLE_STAGE,
    "dockerfile-single-stage",
    ITEM,
    Severity.WARNING,
    "The image is built in one stage, so build tools and caches stay in it.",
    FixSafety.UNSAFE,
)
BASE_NOT_SLIM = rule(
    __name__,
    rule_codes.IMAGE_BASE_NOT_SLIM,
    "image-base-not-slim",
    ITEM,
    Severity.WARNING,
    "The final stage starts from a full base image (about 1 GB) instead of a slim one.",
    FixSafety.UNSAFE,
)
TOOLCHAIN = rule(
    __name__,
    rule_codes.TOOLCHAIN_IN_FINAL_STAGE,
    "toolchain-in-final-stage",
    ITEM,
    Severity.WARNING,
    "The final stage installs compilers, headers or other build tools.",
    FixSafety.UNSAFE,
)
PIP_CACHE = rule(
    __name__,
    rule_codes.PIP_CACHE_IN_IMAGE,
    "pip-cache-in-image",
    ITEM,
    Severity.WARNING,
    "pip install in the final stage keeps its download cache in the image.",
    FixSafety.UNSAFE,
)
DEV_DEPENDENCIES = rule(
    __name__,
    rule_codes.DEV_DEPENDENCIES_IN_IMAGE,
    "dev-dependencies-in-image",
    ITEM,
    Severity.WARNING,
    "The image installs development dependencies.",
    FixSafety.UNSAFE,
)
NO_IMAGE = rule(
    __name__,
    rule_codes.IMAGE_BUILD_MISSING,
    "image-build-missing",
    ITEM,
    Severity.WARNING,
    "No readable root Dockerfile defines the image, so it cannot be multi-stage and minimal.",
    FixSafety.SAFE,
)
RULES = [SINGLE_STAGE, BASE_NOT_SLIM, TOOLCHAIN, PIP_CACHE, DEV_DEPENDENCIES, NO_IMAGE]
OPTIONS: dict = {}

#: Images that are a whole distribution unless their tag names a slim variant.
_FULL_IMAGES = frozenset(
    {
        "python",
        "pypy",
        "debian",
        "ubuntu",
        "buildpack-deps",
        "centos",
        "fedora",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "oraclelinux",
        "ubi",
        "ubi8",
        "ubi9",
    }
)
#: Images that are minimal whatever their tag.
_MINIMAL_MARKERS = ("alpine", "slim", "minimal", "micro", "distroless", "chainguard", "wolfi")
_DISTRO_TAGS = ("bookworm", "bullseye", "buster", "trixie", "stretch", "jessie")
_VAR_RE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")
_DEV_FILE = re.compile(
    r"(?:^|[-_./])(?:dev|devel|develop|development|test|tests|testing|local|lint|ci|docs)"
    r"(?:[-_.]|$)"
)
_DEV_EXTRAS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint"})


def applies(project: ProjectModel) -> bool:
    return True


# -- base image -----------------------------------------------------------------------------------


def _slim_suggestion(name: str, tag: str) -> str:
    if name in ("python", "pypy"):
        version = tag.split("-")[0] if tag and tag[0].isdigit() else "3.12"
        distro = next((d for d in _DISTRO_TAGS if d in tag), None)
        return f"{name}:{version}-slim" + (f"-{distro}" if distro else "")
    if name == "debian":
        return f"debian:{tag or 'bookworm'}-slim"
    return "python:3.12-slim"


def full_base(ref: str) -> bool | None:
    """True for a full distribution image, False for a minimal one, None when djfix does not
    know the image (or its name is still an unresolved ARG)."""
    if not ref or "$" in ref:
        return None
    repository, name, tag = image_parts(ref)
    if any(m in repository or m in tag for m in _MINIMAL_MARKERS) or name in ("scratch", "busybox"):
        return False
    if name in _FULL_IMAGES:
        return True
    if name == "uv" and "python" in tag:
        # ghcr.io/astral-sh/uv:python3.12-bookworm is python:3.12-bookworm with uv added
        return True
    return None


def _check_base(image: ApiImage, label: str) -> Iterator[Finding]:
    root = image.chain[-1]
    full = full_base(root.base)
    if not full:
        return
    _, name, tag = image_parts(root.base)
    raw = root.instructions[0].value.split()[0] if root.instructions[0].value.split() else ""
    origin = f" ({raw} resolves to {root.base})" if "$" in raw else ""
    via = f", which {label} is built FROM," if root is not image.stage else ""
    yield Finding(
        BASE_NOT_SLIM,
        f"{image.df.path}: the base image {root.base}{origin}{via} is a full distribution of "
        f"about 1 GB: build {label} FROM {_slim_suggestion(name, tag)} (or an -alpine or "
        "distroless image)",
        image.df.path,
        root.line,
    )


# -- multi-stage ----------------------------------------------------------------------------------


def _check_stages(image: ApiImage, label: str) -> Iterator[Finding]:
    df = image.df
    if len(df.stages) == 1:
        yield Finding(
            SINGLE_STAGE,
            f"{df.path} builds the image in a single stage, so everything needed to build it "
            "stays in it: install the dependencies in a builder stage and COPY --from=builder "
            "only the installed packages into a slim final stage",
            df.path,
            image.stage.line,
        )
        return
    if any(copied_stages(df, stage) for stage in image.chain):
        return
    if len(image.chain) > 1:
        parent = image.chain[1]
        yield Finding(
            SINGLE_STAGE,
            f"{df.path}: {label} is built FROM {parent.name or parent.index!s}, so it keeps "
            "everything that stage installed: start it from a slim image and COPY --from only "
            "the installed packages",
            df.path,
            image.stage.line,
        )
    else:
        yield Finding(
            SINGLE_STAGE,
            f"{df.path}: {label} copies nothing from the other stages, so it is built as a "
            "single stage: build the dependencies in a builder stage and COPY --from=builder "
            "only the installed packages",
            df.path,
            image.stage.line,
        )


# -- toolchain ------------------------------------------------------------------------------------


def _stage_variables(image: ApiImage, stage: Stage) -> dict[str, str]:
    """ARG defaults and ENV values in force in `stage` (from the start of its chain)."""
    variables: dict[str, str] = {}
    index = image.chain.index(stage) if stage in image.chain else 0
    for current in reversed(image.chain[index:]):
        for inst in current.instructions:
            if inst.keyword in ("ARG", "ENV"):
                variables.update(_assignments(inst))
    return variables


def _assignments(inst: Instruction) -> dict[str, str]:
    words = inst.value.split()
    if inst.keyword == "ENV" and words and "=" not in words[0]:
        return {words[0]: inst.value.split(None, 1)[1] if len(words) > 1 else ""}
    out: dict[str, str] = {}
    for word in re.findall(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""", inst.value):
        name, eq, value = word.partition("=")
        if eq and re.fullmatch(r"[A-Za-z_]\w*", name):
            out[name] = value.strip("\"'")
    return out


def _expand(words: list[str], variables: dict[str, str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if "$" not in word:
            out.append(word)
            continue
        expanded = _VAR_RE.sub(lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), word)
        out.extend(expanded.split() if "$" not in expanded else [word])
    return out


def _run_texts(inst: Instruction) -> list[tuple[int, str]]:
    if inst.heredocs:
        return [(h.line, h.body) for h in inst.heredocs] + [
            (inst.line, inst.value.split("\n", 1)[0])
        ]
    return [(inst.line, inst.shell_text())]


def _removed_in_run(inst: Instruction, variables: dict[str, str]) -> tuple[set[str], bool]:
    """(packages a RUN removes again, whether it removes everything it installed)."""
    removed: set[str] = set()
    virtual: dict[str, list[str]] = {}
    everything = False
    marks_auto = False
    local = dict(variables)
    commands: list[ScriptCommand] = []
    for line, text in _run_texts(inst):
        commands.extend(split_shell(text, line))
    for command in commands[:500]:
        if not command.argv:
            local.update(command.env)
            continue
        if command.argv[0] == "export":
            local.update(_assignments(Instruction("ARG", " ".join(command.argv[1:]), 0)))
            continue
        argv = _expand(command.argv, local)
        tool = posixpath.basename(argv[0])
        args = [a for a in argv[1:] if not a.startswith("-")]
        if tool == "apk" and args[:1] == ["add"]:
            for flag in ("--virtual", "-t"):
                if flag in argv and argv.index(flag) + 1 < len(argv):
                    name = argv[argv.index(flag) + 1]
                    virtual[name] = [a for a in args[1:] if a != name]
        elif tool == "apk" and args[:1] == ["del"]:
            for name in args[1:]:
                removed.update(virtual.get(name, [name]))
                if name in virtual and any("$" in p for p in virtual[name]):
                    everything = True
        elif tool == "apt-mark" and args[:1] == ["auto"]:
            marks_auto = True
        elif tool in ("apt-get", "apt", "aptitude") and args[:1] in (["purge"], ["remove"]):
            removed.update(args[1:])
            if marks_auto and "--auto-remove" in argv:
                everything = True
        elif tool in ("apt-get", "apt") and args[:1] == ["autoremove"] and marks_auto:
            everything = True
        elif tool in ("yum", "dnf", "microdnf", "tdnf") and args[:1] in (
            ["remove"],
            ["erase"],
            ["autoremove"],
        ):
            removed.update(args[1:])
        elif tool == "zypper" and args[:1] in (["rm"], ["remove"]):
            removed.update(args[1:])
    return {r.split("=", 1)[0] for r in removed}, everything


def _rustup_lines(stage: Stage) -> list[int]:
    return [
        line
        for line, text in stage.commands()
        if run_of(stage, line) is not None and ("sh.rustup.rs" in text or "rustup-init" in text)
    ]


def _check_toolchain(project: ProjectModel, image: ApiImage, label: str) -> Iterator[Finding]:
    df = image.df
    for stage in image.chain:
        removed_by_run: dict[int, tuple[set[str], bool]] = {}
        variables = _stage_variables(image, stage)
        per_line: dict[int, list[str]] = {}
        for line, package in stage.installed_system_packages():
            inst = run_of(stage, line)
            if inst is None or not is_toolchain(package):
                continue
            if inst.line not in removed_by_run:
                removed_by_run[inst.line] = _removed_in_run(inst, variables)
            removed, everything = removed_by_run[inst.line]
            if everything or package in removed:
                continue
            found = per_line.setdefault(physical_line(project, df.path, line, package), [])
            if package not in found:
                found.append(package)
        for line in _rustup_lines(stage):
            per_line.setdefault(line, []).append("rustup (cargo, rustc)")
        for line, packages in sorted(per_line.items()):
            inherited = (
                f" in stage {stage.name or stage.index!s}, which {label} is built FROM,"
                if stage is not image.stage
                else ""
            )
            yield Finding(
                TOOLCHAIN,
                f"{df.path} installs build tools ({', '.join(packages)}){inherited} into the "
                "image that runs the app: install them in a builder stage and copy only the "
                "built packages into the final stage (or remove them in the same RUN)",
                df.path,
                line,
            )


# -- pip cache ------------------------------------------------------------------------------------

_FALSE = frozenset({"", "0", "false", "no"})


def _pip_tool(argv: list[str]) -> str | None:
    """The tool (pip or uv) of a pip-style install command, else None."""
    if not argv:
        return None
    head = posixpath.basename(argv[0]).lower()
    if re.fullmatch(r"pip[\d.]*", head):
        return "pip"
    if re.fullmatch(r"python[\d.]*", head) and argv[1:3] == ["-m", "pip"]:
        return "pip"
    if head == "uv":
        return "uv"
    return None


def _check_pip_cache(project: ProjectModel, image: ApiImage, label: str) -> Iterator[Finding]:
    df = image.df
    for stage in image.chain:
        variables = _stage_variables(image, stage)
        env_off = {
            "pip": variables.get("PIP_NO_CACHE_DIR", "").lower() not in _FALSE,
            "uv": variables.get("UV_NO_CACHE", "").lower() not in _FALSE,
        }
        for line, text in stage.pip_installs():
            inst = run_of(stage, line)
            if inst is None:
                continue
            run_text = inst.value
            if "type=cache" in inst.flags.get("mount", "") or "cache purge" in run_text:
                continue
            if re.search(r"rm\s+-\w*\s+\S*\.cache\b", run_text) or "cache clean" in run_text:
                continue
            for command in split_shell(text, line):
                tool = _pip_tool(command.argv)
                if tool is None or env_off[tool]:
                    continue
                inline = {**command.env}
                if tool == "pip" and inline.get("PIP_NO_CACHE_DIR", "").lower() not in _FALSE:
                    continue
                if tool == "uv" and inline.get("UV_NO_CACHE", "").lower() not in _FALSE:
                    continue
                if "--no-cache-dir" in command.argv or "--no-cache" in command.argv:
                    continue
                flag, env = ("--no-cache-dir", "PIP_NO_CACHE_DIR")
                if tool == "uv":
                    flag, env = ("--no-cache", "UV_NO_CACHE")
                yield Finding(
                    PIP_CACHE,
                    f"{df.path}: `{command.text}` keeps {tool}'s download cache in {label}: "
                    f"add {flag} (or set ENV {env}=1)",
                    df.path,
                    physical_line(project, df.path, line, command.argv[0]),
                )
                break


# -- dev dependencies -----------------------------------------------------------------------------


def _declares_dev_groups(project: ProjectModel, tool: str) -> bool:
    """Whether pyproject.toml declares dependency groups the tool installs by default; True
    when djfix cannot read it (so an unbounded install is reported, not trusted)."""
    for base in {project.root, project.source_root}:
        path = base / "pyproject.toml"
        if not path.is_file():
            continue
        text = project.cache.text(path).text
        if text is None:
            return True
        if tool == "poetry":
            return "[tool.poetry.group." in text or "[tool.poetry.dev-dependencies]" in text
        return "[dependency-groups]" in text or "dev-dependencies" in text
    return True


def _dev_install(project: ProjectModel, argv: list[str]) -> str | None:
    """Why the install command installs development dependencies, or None."""
    if not argv:
        return None
    head = posixpath.basename(argv[0]).lower()
    args = argv[1:]
    if re.fullmatch(r"python[\d.]*", head) and args[:2] == ["-m", "pip"]:
        head, args = "pip", args[2:]
    if head == "uv" and args[:1] == ["pip"]:
        head, args = "pip", args[1:]
    if re.fullmatch(r"pip[\d.]*", head):
        for i, arg in enumerate(args):
            target = None
            if arg in ("-r", "--requirement") and i + 1 < len(args):
                target = args[i + 1]
            elif arg.startswith("--requirement="):
                target = arg.split("=", 1)[1]
            elif arg.startswith("-r") and len(arg) > 2:
                target = arg[2:]
            if target and _DEV_FILE.search(posixpath.basename(target).lower()):
                return f"installs {target}"
            m = re.search(r"\[([^\]]+)\]", arg)
            extras = set(m.group(1).replace(" ", "").split(",")) if m else set()
            if not arg.startswith("-") and extras & _DEV_EXTRAS:
                return f"installs the extras {arg}"
        return None
    subcommand = next((a for a in args if not a.startswith("-")), None)
    if head == "pipenv" and subcommand in ("install", "sync"):
        if "--dev" in args or "-d" in args:
            return "installs the Pipfile's dev-packages (--dev)"
        return None
    if head == "poetry" and subcommand in ("install", "sync"):
        text = " ".join(args)
        if re.search(r"--only[= ]main\b|--without[= ]\S*dev|--no-dev\b|--only-root", text):
            return None
        if _declares_dev_groups(project, "poetry"):
            return "`poetry install` installs every non-optional group, dev included"
        return None
    if head == "uv" and subcommand == "sync":
        if {"--no-dev", "--no-default-groups", "--only-group"} & {a.split("=")[0] for a in args}:
            return None
        if _declares_dev_groups(project, "uv"):
            return "`uv sync` installs the dev dependency group by default"
        return None
    if head == "pdm" and subcommand in ("install", "sync"):
        if {"--prod", "--production"} & set(args):
            return None
        if _declares_dev_groups(project, "pdm"):
            return "`pdm install` installs the dev dependency groups by default"
    return None


def _check_dev_dependencies(
    project: ProjectModel, image: ApiImage, label: str
) -> Iterator[Finding]:
    df = image.df
    for stage in image.contributing:
        for line, text in stage.pip_installs():
            if run_of(stage, line) is None:
                continue
            for command in split_shell(text, line):
                why = _dev_install(project, command.argv)
                if why is None:
                    continue
                where = (
                    ""
                    if stage is image.stage
                    else f" in stage {stage.name or stage.index!s}, which {label} uses,"
                )
                yield Finding(
                    DEV_DEPENDENCIES,
                    f"{df.path}: `{command.text}`{where} {why}: install only the production "
                    "dependencies in the image",
                    df.path,
                    physical_line(project, df.path, line, command.argv[0]),
                )
                break


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    image = api_image(project)
    if image is None:
        df = project.root_dockerfile
        if df is None and not (project.root / "Dockerfile").is_file():
            yield Finding(
                NO_IMAGE,
                "no Dockerfile at the repository root, so there is no image to keep small: add "
                "a multi-stage Dockerfile whose final stage starts from a slim Python image",
                None,
                None,
            )
        else:
            yield Finding(
                NO_IMAGE,
                "djfix cannot read the stages of Dockerfile (see DJ012), so it cannot tell "
                "whether the image is multi-stage and minimal: fix its FROM lines",
                "Dockerfile",
                df.final_stage.line if df is not None and df.final_stage is not None else None,
            )
        return
    label = f"stage {image.stage.name!r}" if image.stage.name else "the final stage"
    yield from _check_stages(image, label)
    yield from _check_base(image, label)
    yield from _check_toolchain(project, image, label)
    yield from _check_pip_cache(project, image, label)
    yield from _check_dev_dependencies(project, image, label)
