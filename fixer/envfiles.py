"""What every settings fix needs once all plans ran: `env` reachable in each rewritten module,
the packages in the dependency file, and the environment files.

- `.env.example` (tracked) lists every variable with a comment and a safe placeholder;
- `.env` (never tracked) receives the development values the settings held before, so local
  development keeps working; it is written only when git ignores it or djfix can make it do so;
- `.gitignore` gains `.env`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import libcst as cst

from codemods import requirements, settings_env
from fixer import git, redaction
from fixer.apply import EnvVar, FixContext
from fixer.templating import render

DOTENV = ".env"
EXAMPLE = ".env.example"


def finish(ctx: FixContext) -> None:
    _bind_env(ctx)
    _add_packages(ctx)
    if ctx.env_vars:
        _write_example(ctx)
        _write_dotenv(ctx)


def _bind_env(ctx: FixContext) -> None:
    from fixer.settings_fix import env_plan

    by_rel = {m.rel: m for m in ctx.project.settings_modules.values() if m.rel}
    for change in ctx.changeset.changes():
        mod = by_rel.get(change.rel)
        if mod is None:
            continue
        try:
            code = settings_env.ensure_env(change.new, env_plan(ctx, mod, config=False))
        except cst.ParserSyntaxError:
            continue
        if code != change.new:
            ctx.packages.add("django-environ")
            ctx.changeset.write(change.rel, code)


def _add_packages(ctx: FixContext) -> None:
    if not ctx.packages:
        return
    project = ctx.project
    declared = project.packages  # includes files pulled in with -r
    names = sorted(n for n in ctx.packages if n not in declared)
    if not names:
        return
    if project.dependency_source is None:
        ctx.notes.append(
            "no dependency file was found: add " + ", ".join(names) + " to the project's "
            "dependencies"
        )
        return
    # every file that declares Django is one some build installs from (a Pipfile for
    # development, a requirements.txt for the platform): each gets the packages, in the very
    # file that names Django (requirements/base.txt, not the requirements.txt that -r's it)
    targets: dict[str, str] = {}
    for source in project.dependency_sources:
        for req in source.packages:
            if req.name == "django":
                kind = source.kind if req.rel == source.rel else "requirements"
                if req.rel.endswith(".in"):
                    kind = "pip-tools"
                targets.setdefault(req.rel, kind)
    if not targets:
        targets = {project.dependency_source.rel: project.dependency_source.kind}
    packages = requirements.packages_for(
        names, django_version=project.django_version, python_version=project.python_version
    )
    for rel, kind in targets.items():
        text = ctx.changeset.read(rel)
        if text is None:
            continue
        result = requirements.add_packages(kind, text, packages, path=rel)
        ctx.notes.extend(f"{rel}: {note}" for note in result.notes)
        if result.text != text:
            item = 8 if names == ["django-redis"] else 5
            ctx.write(rel, result.text, item)


def _existing_names(text: str | None) -> set[str]:
    if not text:
        return set()
    return set(re.findall(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", text, re.M))


def _write_example(ctx: FixContext) -> None:
    current = ctx.changeset.read(EXAMPLE)
    have = _existing_names(current)
    missing = [_placeholder(v) for v in ctx.env_vars.values() if v.name not in have]
    if not missing:
        return
    block = render("env_example.jinja", variables=missing, header=current is None)
    if current is None:
        text = block.lstrip("\n")
    else:
        text = current + ("" if current.endswith("\n") else "\n") + block
    ctx.write(EXAMPLE, text, 5)


def _placeholder(variable: EnvVar) -> EnvVar:
    """The variable as `.env.example` may show it: a URL's password, a known-format token or
    a secret's value becomes `change-me` (the real value goes to `.env` only)."""
    example = variable.example or ""
    parts = redaction.split_userinfo(example)
    if parts is not None:
        scheme, userinfo, rest = parts
        user = userinfo.split(":", 1)[0] + ":" if ":" in userinfo else ""
        example = f"{scheme}{user}change-me{rest}"
    if redaction.looks_like_token(example) or (
        variable.dev_value and variable.secret and variable.dev_value in example
    ):
        example = "change-me"
    if example == variable.example:
        return variable
    return dataclasses.replace(variable, example=example)


def _ignored_by_committed_rules(root, rel: str) -> bool:
    """Ignored by a `.gitignore` of the repository, which every clone and branch sees; a rule
    of this checkout only (.git/info/exclude, the user's global excludes) does not count."""
    result = git.run(root, "check-ignore", "-v", "--no-index", "--", rel, check=False)
    if result.returncode != 0:
        return False
    source = result.stdout.decode("utf-8", "replace").split(":", 1)[0]
    return source.endswith(".gitignore") and not Path(source).is_absolute()


def _ensure_ignored(ctx: FixContext) -> bool:
    """Make git ignore .env; False when djfix cannot be sure it is."""
    root = ctx.project.root
    in_git = git.is_repository(root)
    if in_git and _ignored_by_committed_rules(root, DOTENV):
        return True
    gitignore = ctx.changeset.read(".gitignore")
    lines = {ln.strip() for ln in (gitignore or "").splitlines()}
    if not lines & {".env", "/.env", ".env*", "*.env", "/.env*"}:
        addition = "# Local environment: never commit it (djfix)\n.env\n"
        text = (
            addition
            if gitignore is None
            else (
                gitignore
                + ("" if gitignore.endswith("\n") or not gitignore else "\n")
                + "\n"
                + addition
            )
        )
        ctx.write(".gitignore", text, 5)
    return True


def _write_dotenv(ctx: FixContext) -> None:
    values = [v for v in ctx.env_vars.values() if v.dev_value is not None]
    root = ctx.project.root
    _ensure_ignored(ctx)
    if not values:
        return
    if git.is_repository(root) and git.is_tracked(root, DOTENV):
        ctx.notes.append(
            ".env is tracked by git, so djfix wrote no development values into it; remove it "
            "from the repository (`git rm --cached .env`) and rotate what it holds"
        )
        return
    current = ctx.changeset.read(DOTENV)
    have = _existing_names(current)
    missing = [v for v in values if v.name not in have]
    if not missing:
        return
    lines = [
        "# Development values that were written in the settings before djfix moved them here.",
        "# This file is ignored by git: keep it that way.",
    ]
    lines += [f"{v.name}={_quote(v.dev_value or '')}" for v in missing]
    block = "\n".join(lines) + "\n"
    text = block if current is None else current + ("" if current.endswith("\n") else "\n") + block
    ctx.write(DOTENV, text, 5, tracked=False)
    names = ", ".join(v.name for v in missing)
    verb = "created" if current is None else "extended"
    ctx.notes.append(
        f".env {verb} (untracked, ignored by git) with the old development values of {names}"
    )


def _quote(value: str) -> str:
    """A .env value django-environ reads back unchanged: single quotes keep `#`, `$` and
    backslashes literal in every version (0.11 cuts an unquoted or double-quoted value at `#`)."""
    if re.fullmatch(r"[A-Za-z0-9_./:@%+,=-]*", value):
        return value
    if "'" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


__all__ = ["EnvVar", "finish"]
