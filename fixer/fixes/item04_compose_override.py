"""Compose override files (`docker compose -f docker-compose.yml -f docker-compose.ssl.yml`),
as item 4's compose rewrite (fixer.fixes.item04_compose) treats them: keyed to what the rewrite
of their base file made of its services (`BaseStack`), and never given the stack's own
additions, which the base holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from fixer.fixes.item04_compose_commands import command_text
from fixer.fixes.item04_compose_layout import attach_tail, detach_tail
from fixer.fixes.item04_compose_volumes import is_bind, mount_parts, volume_key


@dataclass(frozen=True)
class BaseStack:
    """What the rewrite of the compose file an override is merged over made of it
    (fixer.fixes.item04_compose_plan.base_stack): the override's changes are keyed to these
    services."""

    #: the base file's repository path
    rel: str
    #: every service the base file defines
    services: frozenset[str]
    #: the service that runs the api image's own command (None: none serves the app)
    api: str | None
    #: the services that run the app's code (`ComposeResult.app_services`)
    app_services: frozenset[str]
    #: the service that serves the collected static files (None: the base has none)
    static: str | None = None
    #: the sources of the static files' mounts the base's services lost
    static_sources: frozenset[str] = frozenset()
    #: the base's services whose configuration now forwards the static URL to `static`
    proxied: frozenset[str] = frozenset()
    #: the top-level named volumes the base declares, as rewritten
    volumes: frozenset[str] = frozenset()


def merged_build(name: str, service: Any, base: BaseStack) -> list[str]:
    """A service of the base that runs the api image takes its build from the base: a build of
    its own in the override would be merged over the api target (another Dockerfile, other
    arguments). Its `image:` stays: merged with the base's build, it is the name compose tags
    the api image with (`image: registry/app:prod`, to push). The changes made, one line each."""
    if "build" not in service:
        return []
    del service["build"]
    return [
        f"service {name!r} no longer sets its own build: {base.rel} builds it from the api "
        "target, which compose would otherwise merge this one over"
    ]


def not_the_api(name: str, base: BaseStack) -> str:
    """Why a service that serves the app in an override is left as it is."""
    if base.api is None:
        where = (
            f"{base.rel}, which this file overrides, has no service that djfix runs on the api "
            "image"
        )
    else:
        where = (
            f"{base.rel}, which this file overrides, runs the app in its service {base.api!r} "
            "on the api image"
        )
    return (
        f"service {name!r} serves the app here, and {where}: djfix makes the stack's changes "
        f"(the api target, the migrate and static services) in {base.rel} only, so this "
        "service stays as it is: point it at the root Dockerfile's api target in "
        f"{base.rel} by hand, or remove it"
    )


def kept_command(name: str, key: str, value: Any, base: BaseStack | None) -> str:
    """Why the override's command of the api service stays: it starts no server djfix knows, so
    dropping it could stop what the deployment needs."""
    shown = command_text(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    where = base.rel if base is not None else "the base file"
    return (
        f"service {name!r} runs `{shown}` (its {key}) in place of the api image's own command "
        f"that {where} now runs, and djfix finds no server it starts: remove it if the image's "
        "command should run, or keep it if it is what this stack needs"
    )


def drop_forwarded_mounts(
    services: Any,
    app_services: list[Any],
    base: BaseStack,
    own_configs: Callable[[str], dict[str, str]] | None,
) -> list[str]:
    """A service whose configuration the base's rewrite made forward the static URL to the
    static service mounts the static files' volume no more here either, where this file gives
    it no configuration of its own (`own_configs(name)`, which may serve the volume still): the
    changes made."""
    changes: list[str] = []
    for name, service in services.items():
        if str(name) not in base.proxied or name in app_services or not isinstance(service, dict):
            continue
        if own_configs is not None and own_configs(str(name)):
            continue  # its own configuration: changed as any proxy's, or left with the reason
        volumes = service.get("volumes")
        if not isinstance(volumes, list):
            continue
        dropped = [v for v in volumes if volume_key(mount_parts(v)[0]) in base.static_sources]
        if not dropped:
            continue
        tail = detach_tail(service)
        kept = [v for v in volumes if all(v is not d for d in dropped)]
        if kept:
            volumes[:] = kept
        else:
            del service["volumes"]
        attach_tail(service, tail)
        sources = ", ".join(
            dict.fromkeys(mount_parts(v)[0] or "an anonymous volume" for v in dropped)
        )
        changes.append(
            f"service {name!r} no longer mounts {sources}: {base.rel} has it forward the static "
            f"files to the `{base.static}` service, which holds them"
        )
    return changes


def declare_base_volumes(data: Any, base: BaseStack) -> list[str]:
    """Declare here the static files' named volumes that a service here still mounts and that
    the base no longer declares (none of its services mounts them): compose stops on a mount of
    a volume no file of the stack declares. The changes made."""
    mounted: dict[str, str] = {}
    for name, service in data["services"].items():
        volumes = service.get("volumes") if isinstance(service, dict) else None
        for volume in volumes if isinstance(volumes, list) else []:
            mounted.setdefault(volume_key(mount_parts(volume)[0]), str(name))
    top = data.get("volumes")
    if top is not None and not isinstance(top, dict):
        return []
    missing = [
        source
        for source in sorted(base.static_sources)
        if source in mounted
        and not is_bind(source)
        and source not in base.volumes
        and (top is None or source not in top)
    ]
    if not missing:
        return []
    tail = detach_tail(data)
    if top is None:
        top = CommentedMap()
        data["volumes"] = top
    for source in missing:
        top[source] = None
    attach_tail(data, tail)
    return [
        f"the volume {source!r} is declared here: {base.rel} no longer declares it (none of its "
        f"services mounts it), and service {mounted[source]!r} here still does"
        for source in missing
    ]
