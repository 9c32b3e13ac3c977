"""Item 4's and item 5's plans for the compose files: which are rewritten (those that run the app,
at the root or in a subfolder building from the code, and not for development only), which are
left and why, and the stack the README's compose command runs (`compose_stack`). The rewrite
itself is fixer.fixes.item04_compose."""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass

from fixer.analysis.compose import (
    DEFAULT_COMPOSE_NAMES,
    DEFAULT_OVERRIDE_NAMES,
    ComposeRole,
    compose_roles,
    folder_has_dotenv,
    has_own_dotenv,
    is_production_compose,
    is_stack_compose,
    stack_command,
)
from fixer.analysis.variables import build_environment
from fixer.fix_context import EnvVar, FixContext
from fixer.fixes.item04_compose import rewrite
from fixer.fixes.item04_compose_override import BaseStack
from fixer.fixes.item04_compose_volumes import (
    old_images,
    service_configs,
)
from fixer.parsers.compose import ComposeFile, parse_compose
from fixer.project import ProjectModel


def fix_compose_files(ctx: FixContext, *, item: int = 4, for_images: bool = True) -> None:
    """Rewrite every compose file that runs the app (at the root, or in a subfolder building from
    the code) and is not for development only; leave the others,
    saying why. Item 4's plan (with the generated Dockerfile) points the services at its images;
    item 5's plan (`for_images` False) changes only the configuration: mounted `.env` and settings
    files, literal secrets."""
    project = ctx.project

    @functools.cache
    def settings_need_env() -> bool:
        return 5 in ctx.wanted_items or bool(build_environment(project))

    def uses_dotenv(dotenv: str) -> bool:
        if folder_has_dotenv(posixpath.dirname(dotenv), ctx.changeset.exists):
            return True
        # the settings read required variables, or item 5 moves them into the environment:
        # the root .env is where djfix documents them
        return dotenv == ".env" and settings_need_env()

    roles = compose_roles(project)
    # what the rewrite makes of each override's base, before this pass rewrites the base
    bases = {
        c.path: base_stack(ctx, c, for_images)
        for c in project.compose_files
        if any(role.base == c.path for role in roles.values())
    }
    for cf in project.compose_files:
        rel = cf.path
        text = ctx.changeset.read(rel)
        if text is None:
            continue
        not_rewritten = None
        role = roles.get(rel, ComposeRole())
        base_cf = next((c for c in project.compose_files if c.path == role.base), None)
        if role.development:
            not_rewritten = development_reason(rel, role)
        elif not is_stack_compose(project, base_cf or cf):
            not_rewritten = (
                f"{rel} is in {posixpath.dirname(rel)}/ and builds no service from the code "
                "(a build context of the repository root or of the folder of manage.py): djfix "
                "rewrites the compose files that run the app; if one of its services runs it, "
                "point it at the root Dockerfile's api target (context: the root, target: api) "
                "by hand"
            )
        if not_rewritten is not None:
            for left_item in (3, 4, 5) if for_images else (item,):
                _leave_once(ctx, left_item, rel, not_rewritten)
            continue
        base = None if base_cf is None else bases.get(base_cf.path)
        cf = parse_compose(text, rel)
        images = old_images(project, cf)
        if base_cf is not None:
            # the override's services take the base's build: what they ran is the base's
            images = {**old_images(project, base_cf), **images}
        result = rewrite(
            rel,
            text,
            project.scripts,
            for_images=for_images,
            uses_dotenv=uses_dotenv,
            layout=ctx.image_layout,
            old_images=images,
            proxy_files=functools.partial(service_configs, ctx, cf),
            own_dotenv=has_own_dotenv(rel, ctx.changeset.exists),
            base=base,
            env_values={name: var.dev_value for name, var in ctx.env_vars.items()},
        )
        if result is None:
            ctx.leave(item, rel, "the compose file has no services mapping djfix can read")
            continue
        if result.text and result.text != text:
            ctx.write(rel, result.text, item)
            for path, config in result.files.items():
                ctx.write(path, config, item)
            for change in result.changes:
                ctx.notes.append(f"{rel}: {change}")
        for reason in result.left:
            _leave_once(ctx, item, rel, reason)
            if base is not None and f"{rel}: {reason}" not in ctx.notes:
                # what an override leaves (a command, a proxy's mount) has no finding of its
                # own to hang on: the summary and the pull request say it as a note
                ctx.notes.append(f"{rel}: {reason}")
        for name, value, comment in result.secrets:
            ctx.add_env(
                EnvVar(
                    name,
                    f"Used by {rel}: {comment}.",
                    "change-me",
                    dev_value=value,
                    secret=True,
                )
            )


def base_stack(ctx: FixContext, base_cf: ComposeFile, for_images: bool) -> BaseStack | None:
    """What the rewrite of an override's base file makes of its services, read from the base as
    planned before the pass rewrites it (the rewrite of a rewritten file keeps its api service,
    but has no static files' mounts left to drop); None where djfix cannot read it."""
    rel = base_cf.path
    text = ctx.changeset.read(rel)
    if text is None:
        return None
    result = rewrite(
        rel,
        text,
        ctx.project.scripts,
        for_images=for_images,
        layout=ctx.image_layout,
        old_images=old_images(ctx.project, base_cf),
        proxy_files=functools.partial(service_configs, ctx, base_cf),
    )
    if result is None:
        return None
    services = parse_compose(text, rel).services
    return BaseStack(
        rel,
        frozenset(s.name for s in services),
        result.api_service,
        frozenset(result.app_services),
        result.static_service,
        frozenset(result.static_sources),
        frozenset(result.proxied),
        frozenset(result.volumes),
    )


def development_reason(rel: str, role: ComposeRole) -> str:
    """Why djfix leaves a development compose file as it is, and which file it rewrites."""
    reason = f"{rel} is a development compose file ({'; '.join(role.development)}): djfix leaves it"
    if role.production is not None:
        return f"{reason}, and treats {role.production} as the production one"
    if rel in DEFAULT_COMPOSE_NAMES:
        # fixer.fixes.item01_dockerfile generates no compose.yaml beside it
        return (
            f"{reason} as it is, and writes no compose.yaml beside it, which `docker compose` "
            "would read instead"
        )
    return f"{reason} as it is"


def _leave_once(ctx: FixContext, item: int, rel: str, reason: str) -> None:
    """Item 5's configuration pass and item 4's image pass may both meet the same file."""
    if not any(
        left.item == item and left.rel == rel and left.reason == reason for left in ctx.left
    ):
        ctx.leave(item, rel, reason)


@dataclass(frozen=True)
class ComposeStack:
    """How the README's commands run the compose file that runs the generated images."""

    #: `docker compose`, with `-f` for a file compose does not read by default, and for the
    #: override files the stack is run with (one named for production)
    command: str
    #: the service that runs the api image
    api: str
    #: the one-off service that runs the migrations before the api starts (None: run by hand)
    migrate: str | None = None
    #: (override file, the command that merges it too) of each other override of the file
    #: (`docker-compose.ssl.yml`), which the README names as a choice
    optional: tuple[tuple[str, str], ...] = ()


#: the compose.yaml item 1 generates where the project has none
GENERATED_STACK = ComposeStack("docker compose", "api")


def compose_stack(project: ProjectModel, rel: str) -> ComposeStack | None:
    """The stack item 4's rewrite makes of the project's production compose file `rel`, read from
    the rewrite itself (its service names are the project's: `web`, `release`); None where no
    service of it serves the app. Its overrides named for production are part of how it is run
    (`-f docker-compose.yml -f docker-compose.prod.yml`); another one that is not for
    development is a choice the README names; and where compose would merge a development one
    without being asked (`docker-compose.override.yml`), the command names `rel` with `-f`."""
    cf = next((c for c in project.compose_files if c.path == rel), None)
    text = project.cache.text(project.root / rel).text
    if cf is None or text is None:
        return None
    own = has_own_dotenv(rel, lambda path: (project.root / path).is_file())
    result = rewrite(rel, text, project.scripts, old_images=old_images(project, cf), own_dotenv=own)
    if result is None or result.api_service is None:
        return None
    roles = compose_roles(project)
    overrides = sorted(o for o, role in roles.items() if role.base == rel)
    used = [o for o in overrides if not roles[o].development]
    always = tuple(o for o in used if is_production_compose(o))
    merged_unasked = any(posixpath.basename(o) in DEFAULT_OVERRIDE_NAMES for o in overrides)
    command = stack_command(rel, always, own, explicit=merged_unasked)
    optional = tuple((o, stack_command(rel, (*always, o), own)) for o in used if o not in always)
    return ComposeStack(command, result.api_service, result.migrate_service, optional)
