"""What every settings fix needs once all plans ran: `env` reachable in each rewritten module,
the packages in the dependency file, and the environment files.

- `.env.example` (tracked) lists every variable with a comment and a safe placeholder;
- `.env` (never tracked) receives the development values the settings held before, so local
  development keeps working; it is written only when git ignores it or djfix can make it do so;
- `.gitignore` gains `.env`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from pathlib import Path
from typing import Any

import libcst as cst

from codemods import env_calls, secret_values, settings_env
from codemods.dependencies.declare import add_packages
from codemods.dependencies.requirement import HASH_PINNED, NotAdded, Package, base_name
from codemods.dependencies.versions import packages_for
from fixer import git, redaction
from fixer.analysis.required_settings import required_variables
from fixer.discovery.settings_modules import is_test_settings
from fixer.fix_context import EnvVar, FixContext, rediscover
from fixer.fixes.item01_python import verified_python
from fixer.fixes.item05_environment import env_plan
from fixer.project import ProjectModel, normalise_package, settings_chain
from fixer.settings_values import EnvRef
from fixer.sources import PyFile
from fixer.templating import render

DOTENV = ".env"
EXAMPLE = ".env.example"
SECRET_KEY_EXAMPLE = "change-me-to-a-long-random-string"


def finish(ctx: FixContext) -> None:
    _bind_env(ctx)
    _add_packages(ctx)
    # a project whose item 5 passes keeps the .env.example its authors wrote; one without any
    # gets every variable its settings read
    item5 = 5 in ctx.wanted_items and 5 not in ctx.left_out
    if item5 and (ctx.wants(5) or ctx.changeset.read(EXAMPLE) is None):
        _add_every_read(ctx)
    if ctx.env_vars:
        _write_example(ctx)
        _write_dotenv(ctx)
    if ctx.settings_need:
        held = _held_by_dotenv(ctx)
        production, elsewhere = _needed_where(ctx, ctx.settings_need)
        if production:
            ctx.notes.append(need_note(production, held))
        for rel, names in sorted(elsewhere.items()):
            ctx.notes.append(elsewhere_note(rel, names, held))


def _needed_where(ctx: FixContext, need: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(the variables the production settings need, {module: the ones only another settings
    module needs}): a development module that now reads SECRET_KEY asks nothing of CI or a
    deployment (wger's local_dev.py beside a main.py that makes its own key)."""
    planned = rediscover(ctx.project, ctx.changeset)
    chain = settings_chain(planned)
    required = set(required_variables(planned))
    strict: dict[str, set[str]] = {}  # variable -> modules reading it with no default
    for dotted, mod in planned.settings_modules.items():
        for use in mod.env_uses:
            if use.var and use.ref is not None and not use.ref.has_default and not use.conditional:
                strict.setdefault(use.var, set()).add(dotted)
    production: list[str] = []
    elsewhere: dict[str, list[str]] = {}
    for name in need:
        modules = strict.get(name, set())
        others = sorted(d for d in modules - chain if not is_test_settings(d))
        if name in required or modules & chain or not others:
            production.append(name)
            continue
        for dotted in others:
            rel = planned.settings_modules[dotted].rel or dotted
            elsewhere.setdefault(rel, []).append(name)
    return production, elsewhere


def elsewhere_note(rel: str, names: list[str], held: set[str]) -> str:
    """The note on variables only a settings module other than the production one needs."""
    them = "them" if len(names) > 1 else "it"
    note = (
        f"{rel} now reads {', '.join(names)} from the environment (the production settings do "
        f"not need {them}): set {them} where that module runs"
    )
    kept = [name for name in names if name in held]
    if kept:
        return note + f" (.env holds {', '.join(kept)} for local development)"
    return note


def need_note(need: list[str], held: set[str]) -> str:
    """The note on the variables the settings now need; the parenthesis about .env only for
    those the .env as planned really holds."""
    them = "them" if len(need) > 1 else "it"
    note = (
        f"the settings now need {', '.join(need)} in the environment: set {them} in CI and in "
        "every deployment"
    )
    kept = [name for name in need if name in held]
    if kept == need:
        return note + f" (.env holds {them} for local development)"
    if kept:
        return note + f" (.env holds {', '.join(kept)} for local development)"
    return note


def _held_by_dotenv(ctx: FixContext) -> set[str]:
    """The variables the untracked .env sets, as the plans leave it (none when git tracks it:
    djfix writes no values there)."""
    change = next((c for c in ctx.changeset.changes(tracked=False) if c.rel == DOTENV), None)
    if change is not None:
        text: str | None = change.new
    else:
        root = ctx.project.root
        if dotenv_tracked(root):
            return set()
        text = ctx.changeset.read(DOTENV)
    return set(re.findall(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", text or "", re.M))


def _add_every_read(ctx: FixContext) -> None:
    """Every variable the planned settings read (helper modules they import and reads that were
    there before djfix included) goes into `.env.example`, with an example its read parses."""
    planned = rediscover(ctx.project, ctx.changeset)
    for dotted, mod in sorted(planned.settings_modules.items()):
        if is_test_settings(dotted) and dotted != planned.production_module:
            continue
        for use in mod.env_uses:
            if not use.var or use.var in ctx.env_vars or use.ref is None:
                continue
            if use.var == "DJANGO_SETTINGS_MODULE":
                continue
            example = example_for(use.ref) if use.literal_default else ""
            assignment = mod.names.get(use.setting) if use.setting else None
            # read without a default, and not only under a condition: the settings need it
            required = (
                not use.ref.has_default
                and not use.conditional
                and not (assignment and assignment.conditional)
            )
            if use.setting == "SECRET_KEY":
                comment, example = env_calls.SECRET_KEY_COMMENT, SECRET_KEY_EXAMPLE
            else:
                comment = f"{use.var}."
            secret = secret_values.is_secret_name(use.var)
            ctx.add_env(EnvVar(use.var, comment, example, None, secret, required))


def example_for(ref: EnvRef) -> str:
    """A placeholder for one read that its cast parses and that commits no secret: the read's
    own default where it is a plain value, else an empty or zero value. (A default computed
    from other settings, `default=not DEBUG`, gets no example: the variable stays optional.)"""
    default = ref.default if ref.has_default else None
    secret = secret_values.is_secret_name(ref.var or "")
    if ref.helper is not None and isinstance(default, str) and not secret:
        # the project's own reader takes the text its default is written in ("True", "587")
        return default if "\n" not in default and not secret_values.has_credentials(default) else ""
    if ref.cast == "bool":
        return str(default) if isinstance(default, bool) else "False"
    if ref.cast in ("int", "float"):
        ok = isinstance(default, (int, float)) and not isinstance(default, bool)
        return str(default) if ok else "0"
    if ref.cast in ("list", "tuple"):
        if isinstance(default, (list, tuple)) and all(isinstance(v, str) for v in default):
            return ",".join(default)
        return ""
    if secret or not isinstance(default, (str, int, float)) or isinstance(default, bool):
        return ""
    text = str(default)
    if secret_values.has_credentials(text):
        return secret_values.strip_credentials(text)
    return text if "\n" not in text else ""


def _planned_python(ctx: FixContext, path: Path | None, rel: str, text: str) -> PyFile | None:
    """The planned text as the rediscoveries of this run read it (its `ast` tree is parsed once
    for both), or None where the module has no path."""
    if path is None:
        return None
    found = ctx.project.cache.store.planned_file(path, rel, text, python=True)
    return found if isinstance(found, PyFile) else None


def _bind_env(ctx: FixContext) -> None:
    by_rel = {m.rel: m for m in ctx.project.settings_modules.values() if m.rel}
    for change in ctx.changeset.changes():
        mod = by_rel.get(change.rel)
        if mod is None:
            continue
        planned = _planned_python(ctx, mod.path, change.rel, change.new)
        parsed_here = planned is not None and not planned.has_tree
        try:
            code = settings_env.ensure_env(
                change.new,
                env_plan(ctx, mod, config=False),
                (lambda f=planned: f.tree) if planned is not None else None,
            )
        except cst.ParserSyntaxError:
            code = None
        # the tree serves the rediscovery of the same text (the usual case: nothing to add);
        # a text about to change is not read again, so its tree goes
        if parsed_here and planned is not None and planned.has_tree and code != change.new:
            planned.release()
        if code is None:
            continue
        if code != change.new:
            ctx.packages.add("django-environ")
            ctx.changeset.write(change.rel, code)


def _add_packages(ctx: FixContext) -> None:
    if not ctx.packages:
        return
    project = ctx.project
    declared = project.packages  # includes files pulled in with -r
    names = sorted(n for n in ctx.packages if normalise_package(base_name(n)) not in declared)
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
    for item, group in _by_item(ctx, names):
        packages = packages_to_declare(project, group, ctx.options)
        for rel, kind in targets.items():
            text = ctx.changeset.read(rel)
            if text is None:
                continue
            result = add_packages(
                kind,
                text,
                packages,
                path=rel,
                hashes=_compiled_with_hashes(ctx, rel),
                locked=_has_lock(ctx, rel, kind),
            )
            notes = list(result.notes)
            source = rel[: -len(".txt")] + ".in" if rel.endswith(".txt") else ""
            if result.compile_note and source not in targets:
                # the .in file it is compiled from gets the packages too where it names Django
                notes.append(result.compile_note)
            for note in notes:
                if f"{rel}: {note}" not in ctx.notes:  # a second group's `poetry lock`
                    ctx.notes.append(f"{rel}: {note}")
            if result.not_added:
                ctx.notes.append(not_added_note(ctx, rel, result.not_added))
            if result.text != text:
                ctx.write(rel, result.text, item)


def _by_item(ctx: FixContext, names: list[str]) -> list[tuple[int, list[str]]]:
    """The packages to declare grouped by the checklist item whose commit declares them: those
    a plan named an item for (`ctx.package_items`), then the rest as item 5's (item 8's when
    django-redis is all there is)."""
    groups: dict[int, list[str]] = {}
    for name in names:
        if name in ctx.package_items:
            groups.setdefault(ctx.package_items[name], []).append(name)
    rest = [n for n in names if n not in ctx.package_items]
    if rest:
        groups.setdefault(8 if rest == ["django-redis"] else 5, []).extend(rest)
    return sorted(groups.items())


#: the lock file beside a dependency file of each kind whose notes tell to re-lock
LOCK_FILES = {"pipfile": "Pipfile.lock", "poetry": "poetry.lock"}


def _has_lock(ctx: FixContext, rel: str, kind: str) -> bool:
    """The project has the lock file a note about `rel` would tell to update."""
    name = LOCK_FILES.get(kind)
    if name is None:
        return True
    folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    return ctx.changeset.read(folder + name) is not None


def not_added_note(ctx: FixContext, rel: str, not_added: list[NotAdded]) -> str:
    """What a dependency file could not take, why, what installs it instead (the generated
    Dockerfile, in a step of its own) and how to fold it into the file."""
    names = ", ".join(n.package.name for n in not_added)
    them = "them" if len(not_added) > 1 else "it"
    if any(n.reason != HASH_PINNED for n in not_added):
        return f"{rel}: could not add {names}: add {them} by hand"
    source = _compiled_from(ctx, rel)
    note = (
        f"{rel} pins every package with --hash, and a line without one would make pip refuse the "
        f"whole file: {names} could not be added to it"
    )
    by_image = [n for n in not_added if ctx.image_installs.get(n.package.name) == n.package.pin]
    if by_image:
        pins = ", ".join(f"{n.package.name}=={n.package.pin}" for n in by_image)
        note += f"; the Dockerfile installs {pins} itself, in a step after the hash-checked install"
    if source:
        return note + (
            f"; {names} {'are' if len(not_added) > 1 else 'is'} declared in {source}: re-run "
            f"`pip-compile --generate-hashes {source}` to pin {them} with hashes"
            + (", then delete that Dockerfile step" if by_image else "")
        )
    return note + (
        f"; add {them} to the file {rel} is compiled from and re-run "
        "`pip-compile --generate-hashes`"
        + (", then delete that Dockerfile step" if by_image else "")
    )


def _compiled_with_hashes(ctx: FixContext, rel: str) -> bool:
    """A pip-tools input whose compiled requirements file pins every package with --hash."""
    if not rel.endswith(".in"):
        return False
    compiled = ctx.changeset.read(rel[: -len(".in")] + ".txt") or ""
    return bool(re.search(r"(^|\s)--hash[=\s]", compiled, re.M))


def _compiled_from(ctx: FixContext, rel: str) -> str | None:
    """The pip-tools input (`requirements.in`) beside a compiled requirements file, where the
    planned project has one."""
    if not rel.endswith(".txt"):
        return None
    source = rel[: -len(".txt")] + ".in"
    return source if ctx.changeset.read(source) is not None else None


def packages_to_declare(
    project: ProjectModel, names: list[str], options: dict[str, Any]
) -> list[Package]:
    """The packages djfix declares for `names`, pinned to versions that support the project's
    Django and Python (the pins a hash-pinned file's Dockerfile installs, too)."""
    return packages_for(
        names,
        django_version=project.django_version,
        python_version=_project_python(project, options),
    )


def _project_python(project: ProjectModel, options: dict[str, Any]) -> str | None:
    """The Python the packages must install on: the project's declared one (runtime.txt,
    .python-version...), else the interpreter named to run the project (--python), else None
    (`packages_for` then takes the oldest Python the project's Django supports)."""
    if project.python_version:
        return project.python_version
    return verified_python(options.get("python"))


def _existing_names(text: str | None) -> set[str]:
    if not text:
        return set()
    # `# NAME=` is a variable .env.example lists without setting it
    return set(re.findall(r"^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", text, re.M))


def _write_example(ctx: FixContext) -> None:
    current = ctx.changeset.read(EXAMPLE)
    have = _existing_names(current)
    missing = [_placeholder(v) for v in ctx.env_vars.values() if v.name not in have]
    if not missing:
        return
    block = render(
        "env_example.jinja",
        variables=missing,
        header=current is None,
        dotenv_tracked=dotenv_tracked(ctx.project.root),
    )
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


def _git_state(root: Path) -> tuple[int | None, ...]:
    """What the answers of `_git_facts` depend on, read with a few stats: a repository made,
    a file staged (the index) or the root .gitignore edited changes it."""
    out: list[int | None] = []
    for rel in (".git", ".git/index", ".gitignore"):
        try:
            out.append(os.stat(root / rel).st_mtime_ns)
        except (OSError, ValueError):
            out.append(None)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _git_facts(root: Path, state: tuple[int | None, ...]) -> tuple[bool, bool, bool]:
    """(a git work tree, .env tracked, .env ignored by a committed rule) of `root`: asked once
    per state, where each of the items' plans asked git again (about 10 runs of git an apply)."""
    del state  # the key: a changed repository asks again
    in_git = git.is_repository(root)
    tracked = in_git and git.is_tracked(root, DOTENV)
    ignored = in_git and _ask_ignored(root, DOTENV)
    return in_git, tracked, ignored


def _ignored_by_committed_rules(root: Path, rel: str) -> bool:
    if rel == DOTENV:
        return _git_facts(root, _git_state(root))[2]
    return _ask_ignored(root, rel)


def _ask_ignored(root: Path, rel: str) -> bool:
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
    in_git, _, ignored = _git_facts(root, _git_state(root))
    if in_git and ignored:
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


def dotenv_tracked(root: Path) -> bool:
    """The repository commits its `.env` (git tracks it: .gitignore does not change that)."""
    return _git_facts(root, _git_state(root))[1]


def _write_dotenv(ctx: FixContext) -> None:
    values = [v for v in ctx.env_vars.values() if v.dev_value is not None]
    root = ctx.project.root
    _ensure_ignored(ctx)
    if dotenv_tracked(root):
        # never "untracked": it is in the repository and its history, whatever djfix writes
        wrote = ", so djfix wrote no development values into it" if values else ""
        ctx.notes.append(
            f".env is committed: git tracks it{wrote}; remove it from the repository "
            "(`git rm --cached .env`) and rotate every secret it holds: its values stay in the "
            "git history"
        )
        return
    if not values:
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
