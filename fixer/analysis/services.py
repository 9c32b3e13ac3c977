"""The services a project talks to over the network (databases, caches, brokers, search), as
the startup probes (item 13) and the generated common app see them."""

from __future__ import annotations

import ast

from fixer.project import ProjectModel, Service

LOCAL_KINDS = {"sqlite", "locmem", "file", "dummy", "database"}


def in_process_cache(project: ProjectModel, service: Service) -> bool:
    """A CACHES entry whose backend lives in the process (LocMemCache's name contains
    "memcache", so a service list may call it Memcached)."""
    if service.role != "cache" or not service.setting.startswith("CACHES["):
        return False
    try:
        alias = ast.literal_eval(service.setting[len("CACHES[") : -1])
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    caches = project.settings.get("CACHES")
    conf = caches.get(alias) if isinstance(caches, dict) else None
    backend = conf.get("BACKEND") if isinstance(conf, dict) else None
    return isinstance(backend, str) and backend.lower().endswith(
        ("locmemcache", "filebasedcache", "dummycache", "databasecache")
    )


def networked(project: ProjectModel) -> list[Service]:
    """The services that live in another process or host."""
    return [
        s
        for s in project.services[:100]
        if s.kind not in LOCAL_KINDS and not in_process_cache(project, s)
    ]
