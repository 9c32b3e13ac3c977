"""Where the app reads and writes files at run time, as paths inside the generated image: the
settings' STATIC_ROOT, and what the app writes (MEDIA_ROOT, a SQLite database, file-based caches
and sessions, log files). The image copies the folder of manage.py to /app, which is BASE_DIR
for the usual layout; a path djfix cannot read (from the environment, another base) is left out.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from typing import Any

from fixer.project import ProjectModel
from fixer.settings_values import EnvRef, Unknown

#: the generated image's WORKDIR, where the code is, and so BASE_DIR
IMAGE_APP_DIR = "/app"
#: the user:group the generated api image runs as (its USER)
IMAGE_USER = "10001:10001"
_BASE = "BASE_DIR"
#: settings that name a folder the app writes to
_FOLDER_SETTINGS = ("MEDIA_ROOT", "SESSION_FILE_PATH", "EMAIL_FILE_PATH", "FILE_UPLOAD_TEMP_DIR")


@dataclass(frozen=True)
class AppPath:
    """A path the app uses at run time, as the settings name it."""

    #: the setting, as a reader finds it (`MEDIA_ROOT`, `DATABASES['default']['NAME']`)
    setting: str
    #: the absolute path in the generated image
    path: str
    #: a file (a SQLite database, a log), not a folder
    is_file: bool = False

    def holds(self, target: str, workdir: str = IMAGE_APP_DIR) -> bool:
        """True when a volume mounted at `target` holds what the app keeps here: the path
        itself, a folder inside it, or the folder of the file (never the code folder itself)."""
        if target == self.path or target.startswith(self.path.rstrip("/") + "/"):
            return True
        return self.is_file and target != workdir and self.path.startswith(target.rstrip("/") + "/")


@dataclass(frozen=True)
class ImageLayout:
    """The generated api image: where its code is, where collectstatic wrote, what the app
    writes to."""

    workdir: str
    static_root: str
    #: the URL path the `static` image serves the files under (`/static/`)
    static_url: str = "/static/"
    data: tuple[AppPath, ...] = ()
    #: the user:group the app runs as
    user: str = IMAGE_USER


def image_path(value: Any, bases: dict[str, str] | None = None) -> str | None:
    """The path a settings value names in the image: `BASE_DIR / "media"`,
    `os.path.join(BASE_DIR, "media")`, `str(BASE_DIR / "db.sqlite3")` -> /app/...; the same
    joined to another folder the settings derive from `__file__` (`bases`, from `path_bases`:
    `PROJECT_DIR / "collect_static"`); an absolute literal as written; None for anything else
    (an environment read, another base)."""
    if isinstance(value, str):
        return posixpath.normpath(value) if value.startswith("/") else None
    if isinstance(value, EnvRef):
        return image_path(value.default, bases) if value.has_default else None
    if not isinstance(value, Unknown):
        return None
    try:
        node = ast.parse(value.expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    parts = _base_parts(node, bases=bases if bases is not None else {_BASE: IMAGE_APP_DIR})
    if parts is None:
        return None
    path = posixpath.normpath(posixpath.join(IMAGE_APP_DIR, *parts))
    if path != IMAGE_APP_DIR and not path.startswith(IMAGE_APP_DIR + "/"):
        return None  # `BASE_DIR / ".."`: outside the code folder, where djfix cannot tell
    return path


#: calls that keep the path they are given (`os.path.abspath(__file__)`, `Path(__file__)`)
_SAME_PATH = frozenset({"os.path.abspath", "os.path.realpath", "abspath", "realpath", "Path"})


def path_bases(project: ProjectModel) -> dict[str, str]:
    """Settings names that hold a folder of the repository derived from `__file__`
    (`BASE_DIR = Path(__file__).resolve().parent.parent`, `PROJECT_DIR =
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))`), as paths in the image, which
    holds manage.py's folder at /app. BASE_DIR is /app where djfix cannot follow it."""
    settings = project.settings
    manage_dir = posixpath.dirname(project.manage_py or "")
    out: dict[str, str] = {}
    for name, assignment in list(settings.names.items())[:2000]:
        value = assignment.value
        if not isinstance(value, Unknown):
            continue
        folder = _repository_folder(settings, name, 0)
        if folder is None:
            continue
        rel = posixpath.relpath(folder or ".", manage_dir or ".")
        if rel == ".." or rel.startswith("../"):
            continue  # above the code the image holds
        out[name] = posixpath.normpath(posixpath.join(IMAGE_APP_DIR, rel))
    out.setdefault(_BASE, IMAGE_APP_DIR)
    return out


def _repository_folder(settings: Any, name: str, depth: int) -> str | None:
    """The repository path (POSIX, "" for the root) setting `name` holds, when its expression
    derives it from `__file__` or from another such name; None otherwise."""
    if depth > 8:
        return None
    assignment = settings.names.get(name)
    if assignment is None or not isinstance(assignment.value, Unknown) or not assignment.path:
        return None
    try:
        node = ast.parse(assignment.value.expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    return _folder_of(node, settings, assignment.path, depth)


def _folder_of(node: ast.expr, settings: Any, rel: str, depth: int) -> str | None:
    if depth > 30:
        return None
    if isinstance(node, ast.Name):
        if node.id == "__file__":
            return rel
        return _repository_folder(settings, node.id, depth + 1)
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if func in _SAME_PATH and len(node.args) == 1:
            return _folder_of(node.args[0], settings, rel, depth + 1)
        if func in ("os.path.dirname", "dirname") and len(node.args) == 1:
            inner = _folder_of(node.args[0], settings, rel, depth + 1)
            return None if inner is None or inner == "" else posixpath.dirname(inner)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
            return _folder_of(node.func.value, settings, rel, depth + 1)
        if func in ("os.path.join", "join") and node.args:
            head = _folder_of(node.args[0], settings, rel, depth + 1)
            tail = [_literal(a) for a in node.args[1:]]
            if head is None or any(t is None for t in tail):
                return None
            return posixpath.normpath(posixpath.join(head or ".", *tail)).lstrip("./") or ""
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _folder_of(node.value, settings, rel, depth + 1)
        return None if inner is None or inner == "" else posixpath.dirname(inner)
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        inner = _folder_of(node.value.value, settings, rel, depth + 1)
        for _ in range(node.slice.value + 1):
            if inner is None or inner == "":
                return None
            inner = posixpath.dirname(inner)
        return inner
    return None


def _base_parts(
    node: ast.expr, depth: int = 0, bases: dict[str, str] | None = None
) -> list[str] | None:
    """The literal parts joined to a base folder (BASE_DIR, or another of `bases`) as parts of
    the image path under /app, or None when the expression is something else."""
    if depth > 20:
        return None
    bases = bases if bases is not None else {_BASE: IMAGE_APP_DIR}
    if isinstance(node, ast.Name):
        base = bases.get(node.id)
        if base is None:
            return None
        return [] if base == IMAGE_APP_DIR else [posixpath.relpath(base, IMAGE_APP_DIR)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        head = _base_parts(node.left, depth + 1, bases)
        tail = _literal(node.right)
        return None if head is None or tail is None else [*head, tail]
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        args = node.args
        if func == "str" and len(args) == 1:
            return _base_parts(args[0], depth + 1, bases)
        if func in ("os.path.join", "path.join", "join", "Path") and args:
            head = _base_parts(args[0], depth + 1, bases)
            tail = [_literal(a) for a in args[1:]]
            if head is None or any(t is None for t in tail):
                return None
            return [*head, *(t for t in tail if t is not None)]
        if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
            head = _base_parts(node.func.value, depth + 1, bases)
            tail = [_literal(a) for a in args]
            if head is None or any(t is None for t in tail):
                return None
            return [*head, *(t for t in tail if t is not None)]
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if not isinstance(first, ast.FormattedValue):
            return None
        head = _base_parts(first.value, depth + 1, bases)
        rest = [_literal(v) for v in node.values[1:]]
        if head is None or any(r is None for r in rest):
            return None
        text = "".join(r for r in rest if r is not None)
        return [*head, text.lstrip("/")] if text.strip("/") else head
    return None


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def data_paths(project: ProjectModel) -> list[AppPath]:
    """What the production settings have the app write to, as paths in the image."""
    settings = project.settings
    out: list[AppPath] = []

    bases = path_bases(project)

    def add(setting: str, value: Any, is_file: bool = False) -> None:
        path = image_path(value, bases)
        if path is not None:
            out.append(AppPath(setting, path, is_file))

    for name in _FOLDER_SETTINGS:
        add(name, settings.get(name))
    for alias, db in _entries(settings.get("DATABASES")):
        if "sqlite" in str(db.get("ENGINE", "")):
            add(f"DATABASES[{alias!r}]['NAME']", db.get("NAME"), is_file=True)
    for alias, cache in _entries(settings.get("CACHES")):
        if "FileBasedCache" in str(cache.get("BACKEND", "")):
            add(f"CACHES[{alias!r}]['LOCATION']", cache.get("LOCATION"))
    logging = settings.get("LOGGING")
    if isinstance(logging, dict):
        for name, handler in _entries(logging.get("handlers")):
            add(f"LOGGING['handlers'][{name!r}]['filename']", handler.get("filename"), True)
    return out


def _entries(value: Any) -> list[tuple[str, dict]]:
    if not isinstance(value, dict):
        return []
    return [(str(k), v) for k, v in value.items() if isinstance(v, dict)]
