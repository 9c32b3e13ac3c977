"""Discovery: builds the ProjectModel of the repository, statically, once.

Discovery never imports or runs the target's code. It walks the repository to a bounded depth,
skipping virtualenvs, VCS folders and front-end dependencies, and parses only the files that
matter: manage.py, the settings modules, the installed local apps' apps.py and migrations, the
dependency declarations and the deploy files.
"""

from __future__ import annotations

import ast
from pathlib import Path

from fixer.deep_stack import call_deep
from fixer.discovery.apps import read_apps
from fixer.discovery.dependencies import read_dependencies, read_versions
from fixer.discovery.deploy import read_deploy_files
from fixer.discovery.frames import read_frames
from fixer.discovery.services import read_services
from fixer.discovery.settings_modules import (
    base_module,
    evaluated_settings,
    guess_settings,
    production_module,
    read_settings_facts,
    served_settings,
    settings_family,
)
from fixer.discovery.walk import SAMPLE_DIRS, walk_repository
from fixer.errors import DjfixError, UsageError
from fixer.project import ProjectModel
from fixer.settings_eval import resolve_module
from fixer.sources import FileStore, SourceCache


def _settings_default(tree: ast.Module | None) -> str | None:
    """The DJANGO_SETTINGS_MODULE default a manage.py / wsgi.py / asgi.py sets."""
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            if (
                isinstance(first, ast.Constant)
                and first.value == "DJANGO_SETTINGS_MODULE"
                and isinstance(second, ast.Constant)
                and isinstance(second.value, str)
            ):
                return second.value
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "DJANGO_SETTINGS_MODULE"
                    and isinstance(node.value.value, str)
                ):
                    return node.value.value
    return None


def _pick_manage(root: Path, candidates: list[Path]) -> Path | None:
    if not candidates:
        return None

    def is_sample(p: Path) -> bool:
        return any(part.lower() in SAMPLE_DIRS for part in p.relative_to(root).parts[:-1])

    real = [p for p in candidates if not is_sample(p)] or candidates
    depth = min(len(p.relative_to(root).parts) for p in real)
    shallowest = [p for p in real if len(p.relative_to(root).parts) == depth]
    if len(shallowest) > 1:
        listing = "\n".join(f"  {p.relative_to(root).as_posix()}" for p in shallowest)
        raise UsageError(
            f"found {len(shallowest)} manage.py files and cannot tell which one is the project:\n"
            f"{listing}\nname one with --manage PATH (or `manage` under [tool.djfix] "
            "in pyproject.toml)"
        )
    return shallowest[0]


def _manage_that_resolves(
    root: Path, candidates: list[Path], chosen: Path, cache: SourceCache
) -> tuple[Path, str] | None:
    """Where the chosen manage.py names a settings module that is no file below its folder
    (a copy at the root of a project kept in a subfolder, run from there), the manage.py whose
    own folder holds the settings module it names: the shallowest one, when only one is."""
    found: list[tuple[Path, str]] = []
    for path in candidates:
        if path == chosen:
            continue
        default = _settings_default(cache.python(path).tree)
        if default and resolve_module(path.parent, default) is not None:
            found.append((path, default))
    if not found:
        return None
    depth = min(len(p.relative_to(root).parts) for p, _ in found)
    shallowest = [f for f in found if len(f[0].relative_to(root).parts) == depth]
    return shallowest[0] if len(shallowest) == 1 else None


def discover(
    path: Path,
    *,
    settings: str | None = None,
    manage: str | None = None,
    overlay: dict[str, str] | None = None,
    reuse: SourceCache | None = None,
) -> ProjectModel:
    """Build the ProjectModel for the repository at `path`. Raises UsageError / DjfixError.

    A rediscovery passes the first discovery's cache as `reuse`: files the overlay leaves
    unchanged are then neither walked, read nor parsed again. Settings are evaluated by
    recursion over their statements: discovery runs where deep nesting has room."""
    return call_deep(
        _discover, path, settings=settings, manage=manage, overlay=overlay, reuse=reuse
    )


def _discover(
    path: Path,
    *,
    settings: str | None,
    manage: str | None,
    overlay: dict[str, str] | None,
    reuse: SourceCache | None,
) -> ProjectModel:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory; give the repository's root folder")
    root = path.resolve()
    store = reuse.store if reuse is not None and reuse.root == root else FileStore()
    try:
        walk = walk_repository(root, store)
    except OSError as exc:
        raise DjfixError(f"{root}: cannot be read: {exc.strerror or exc}") from exc
    if not walk.any_file:
        raise UsageError(f"{root} is empty: there is no Django project to check")

    cache = SourceCache(root, overlay, store)
    notes: list[str] = []
    if manage:
        manage_path = (root / manage).resolve()
        if not manage_path.is_file():
            raise UsageError(f"--manage {manage}: no such file in {root}")
    else:
        manage_path = _pick_manage(root, walk.manage)
    if manage_path is not None and manage_path.is_symlink():
        # `python manage.py` runs the file a link points to, from that file's folder (Python
        # puts the real script's folder first on sys.path): so does the project model
        target = manage_path.resolve()
        if target.is_file() and root in target.parents:
            manage_path = target
    source_root = manage_path.parent if manage_path else root

    origin = ""
    settings_module = settings
    if settings_module:
        origin = "given"
    manage_default = None
    if manage_path is not None:
        manage_file = cache.python(manage_path)
        manage_default = _settings_default(manage_file.tree)
        if manage_file.problem is not None and manage_file.tree is None:
            notes.append(f"{manage_file.rel} {manage_file.problem.message}")
    if not settings_module and manage_default:
        settings_module, origin = manage_default, f"{cache.rel(manage_path)}"  # type: ignore[arg-type]
        if not manage and resolve_module(source_root, settings_module) is None:
            other = _manage_that_resolves(root, walk.manage, manage_path, cache)  # type: ignore[arg-type]
            if other is not None:
                notes.append(
                    f"{cache.rel(manage_path)} names the settings module {settings_module}, which "  # type: ignore[arg-type]
                    f"is not a file below its folder: the project is {cache.rel(other[0])}, "
                    f"whose folder holds it (give --manage to choose another)"
                )
                manage_path, settings_module = other
                source_root = manage_path.parent
                origin = cache.rel(manage_path)
    wsgi_defaults: dict[str, str] = {}
    for wsgi in walk.wsgi:
        try:
            wsgi.relative_to(source_root)
        except ValueError:
            continue
        default = _settings_default(cache.python(wsgi).tree)
        if default:
            wsgi_defaults[cache.rel(wsgi)] = default
    if not settings_module and wsgi_defaults:
        rel, settings_module = sorted(wsgi_defaults.items())[0]
        origin = rel
    if not settings_module:
        settings_module = guess_settings(source_root, walk, cache)
        if settings_module:
            origin = "guessed"
            notes.append(
                f"no DJANGO_SETTINGS_MODULE default in manage.py, wsgi.py or asgi.py: guessed "
                f"the settings module {settings_module}; give --settings to be sure"
            )
    if not settings_module:
        if manage_path is None:
            raise UsageError(
                f"{root} is not a Django project: no manage.py and no settings module "
                "(a settings.py defining INSTALLED_APPS) was found"
            )
        raise UsageError(
            f"cannot find the settings module of {cache.rel(manage_path)}: it sets no "
            "DJANGO_SETTINGS_MODULE default; give --settings MODULE"
        )
    if resolve_module(source_root, settings_module) is None:
        raise UsageError(
            f"the settings module {settings_module} (from {origin}) is not a file below "
            f"{cache.rel(source_root) or '.'}; give --settings MODULE"
        )

    served = served_settings(source_root, walk, cache)
    production, why = production_module(source_root, settings_module, wsgi_defaults, origin, served)
    if why:
        notes.append(why)
    settings_values = evaluated_settings(cache, source_root, production)
    modules = settings_family(cache, source_root, settings_module, production, settings_values)
    base = base_module(settings_values, modules)

    model = ProjectModel(
        root=root,
        source_root=source_root,
        cache=cache,
        manage_py=cache.rel(manage_path) if manage_path else None,
        settings_module=settings_module,
        settings_origin=origin,
        production_module=production,
        base_module=base,
        settings=settings_values,
        settings_modules=modules,
        notes=notes,
    )
    for rel, line, reason in settings_values.dynamic:
        notes.append(f"{rel}:{line}: {reason}; djfix reads these settings only in part")
    read_settings_facts(model)
    read_apps(model)
    read_dependencies(model, walk)
    read_versions(model)
    read_services(model)
    read_deploy_files(model, walk)
    read_frames(model, walk)
    return model
