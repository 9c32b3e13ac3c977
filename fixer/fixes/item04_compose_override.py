"""Compose override files (`docker compose -f docker-compose.yml -f docker-compose.ssl.yml`),
as item 4's compose rewrite (fixer.fixes.item04_compose) treats them: keyed to what the rewrite
of their base file made of its services (`BaseStack`), and never given the stack's own
additions, which the base holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fixer.fixes.item04_compose_commands import command_text


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


def merged_build(name: str, service: Any, base: BaseStack) -> list[str]:
    """A service of the base that runs the api image takes its build from the base: a build or
    an image of its own in the override would be merged over the api target (another
    Dockerfile, or an old image pulled by its name). The changes made, one line each."""
    changes: list[str] = []
    for key in ("build", "image"):
        if key in service:
            del service[key]
            changes.append(
                f"service {name!r} no longer sets its own {key}: {base.rel} builds it from the "
                "api target, which compose would otherwise merge this one over"
            )
    return changes


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
