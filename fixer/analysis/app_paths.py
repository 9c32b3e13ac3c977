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


def image_path(value: Any) -> str | None:
    """The path a settings value names in the image: `BASE_DIR / "media"`,
    `os.path.join(BASE_DIR, "media")`, `str(BASE_DIR / "db.sqlite3")` -> /app/...; an absolute
    literal as written; None for anything else (an environment read, another base)."""
    if isinstance(value, str):
        return posixpath.normpath(value) if value.startswith("/") else None
    if isinstance(value, EnvRef):
        return image_path(value.default) if value.has_default else None
    if not isinstance(value, Unknown):
        return None
    try:
        node = ast.parse(value.expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    parts = _base_parts(node)
    if parts is None:
        return None
    path = posixpath.normpath(posixpath.join(IMAGE_APP_DIR, *parts))
    if path != IMAGE_APP_DIR and not path.startswith(IMAGE_APP_DIR + "/"):
        return None  # `BASE_DIR / ".."`: outside the code folder, where djfix cannot tell
    return path


def _base_parts(node: ast.expr, depth: int = 0) -> list[str] | None:
    """The literal parts joined to BASE_DIR, or None when the expression is something else."""
    if depth > 20:
        return None
    if isinstance(node, ast.Name):
        return [] if node.id == _BASE else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        head = _base_parts(node.left, depth + 1)
        tail = _literal(node.right)
        return None if head is None or tail is None else [*head, tail]
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        args = node.args
        if func == "str" and len(args) == 1:
            return _base_parts(args[0], depth + 1)
        if func in ("os.path.join", "path.join", "join", "Path") and args:
            head = _base_parts(args[0], depth + 1)
            tail = [_literal(a) for a in args[1:]]
            if head is None or any(t is None for t in tail):
                return None
            return [*head, *(t for t in tail if t is not None)]
        if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
            head = _base_parts(node.func.value, depth + 1)
            tail = [_literal(a) for a in args]
            if head is None or any(t is None for t in tail):
                return None
            return [*head, *(t for t in tail if t is not None)]
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if not (isinstance(first, ast.FormattedValue) and _base_parts(first.value) == []):
            return None
        rest = [_literal(v) for v in node.values[1:]]
        if any(r is None for r in rest):
            return None
        text = "".join(r for r in rest if r is not None)
        return [text.lstrip("/")] if text.strip("/") else []
    return None


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def data_paths(project: ProjectModel) -> list[AppPath]:
    """What the production settings have the app write to, as paths in the image."""
    settings = project.settings
    out: list[AppPath] = []

    def add(setting: str, value: Any, is_file: bool = False) -> None:
        path = image_path(value)
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
