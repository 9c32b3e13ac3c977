"""Where a project creates its initial data outside migrations: post_migrate handlers (resolved
to their functions), loaddata commands in scripts and compose files, and the apps that own the
fixtures they name. Item 12 detects with it; its plan moves that data into migrations."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from fixer.analysis.startup_code import app_python_files, call_name
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import App, ProjectModel
from fixer.sources import PyFile

Handler = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


FIXTURE_FORMATS = ("json", "yaml", "yml", "xml")


COMPRESSIONS = ("", ".gz", ".zip", ".bz2", ".lzma", ".xz")


# options of loaddata (and of every command) that take a value
_LOADDATA_VALUE_OPTIONS = frozenset(
    {
        "--database",
        "--app",
        "-e",
        "--exclude",
        "--format",
        "--settings",
        "--pythonpath",
        "-v",
        "--verbosity",
    }
)


_MAX_RESOLVE = 50


def _is_post_migrate(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "post_migrate"


def _receiver_signals(decorator: ast.AST) -> list[ast.AST]:
    """The signals of `@receiver(signal_or_list, ...)`."""
    if not (isinstance(decorator, ast.Call) and call_name(decorator) == "receiver"):
        return []
    if not decorator.args:
        return []
    first = decorator.args[0]
    return list(first.elts) if isinstance(first, (ast.List, ast.Tuple)) else [first]


def app_of(project: ProjectModel, path: Path) -> App | None:
    best: App | None = None
    for app in project.apps:
        try:
            path.relative_to(app.path)
        except ValueError:
            continue
        if best is None or len(app.path.parts) > len(best.path.parts):
            best = app
    return best


def _import_target(project: ProjectModel, f: PyFile, node: ast.ImportFrom) -> str | None:
    """The dotted module an ImportFrom names, relative imports resolved from the file."""
    if not node.level:
        return node.module
    try:
        rel = f.path.relative_to(project.source_root)
    except ValueError:
        return None
    package = list(rel.parent.parts)
    if node.level > 1:
        package = (
            package[: len(package) - (node.level - 1)] if node.level - 1 <= len(package) else []
        )
    base = ".".join(package)
    if node.module:
        return f"{base}.{node.module}" if base else node.module
    return base or None


def _resolve_handler(
    project: ProjectModel, f: PyFile, expr: ast.AST, cls: ast.ClassDef | None
) -> tuple[PyFile, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The function definition a handler expression names: a function of the same file, a
    method through `self.`, or a function imported from a module of the repository."""
    tree = f.tree
    if tree is None:
        return None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        if expr.value.id in ("self", "cls") and cls is not None:
            for stmt in cls.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    stmt.name == expr.attr
                ):
                    return f, stmt
            return None
        module = _imported_module(project, f, tree, expr.value.id)
        return _function_in(project, module, expr.attr) if module else None
    if not isinstance(expr, ast.Name):
        return None
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == expr.id:
            return f, stmt
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == expr.id:
                    module = _import_target(project, f, node)
                    if module:
                        return _function_in(project, module, alias.name)
    return None


def _imported_module(project: ProjectModel, f: PyFile, tree: ast.Module, name: str) -> str | None:
    """The dotted module bound to `name` by `import a.b as name` or `from a import name`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == name or (alias.asname is None and alias.name == name):
                    return alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    base = _import_target(project, f, node)
                    return f"{base}.{alias.name}" if base else alias.name
    return None


def _function_in(
    project: ProjectModel, module: str, name: str
) -> tuple[PyFile, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    path = project.module_path(module)
    if path is None:
        return None
    f = project.cache.python(path)
    tree = f.tree
    for stmt in tree.body if tree else []:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return f, stmt
    return None


def post_migrate_handlers(
    project: ProjectModel,
) -> Iterator[tuple[PyFile, Handler, str]]:
    """(file of the handler, handler, how it is connected)."""
    resolved = 0
    for path in app_python_files(project):
        f = project.cache.python(path)
        if not f.text or "post_migrate" not in f.text or f.tree is None:
            continue
        tree = f.tree
        classes = [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
        owner: dict[int, ast.ClassDef] = {}
        for cls in classes:
            for inner in ast.walk(cls):
                owner.setdefault(id(inner), cls)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if any(_is_post_migrate(s) for s in _receiver_signals(decorator)):
                        yield f, node, "decorated with @receiver(post_migrate)"
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and _is_post_migrate(node.func.value)
            ):
                continue
            handler = node.args[0] if node.args else None
            for kw in node.keywords:
                if kw.arg == "receiver":
                    handler = kw.value
            if handler is None or resolved >= _MAX_RESOLVE:
                continue
            connected = f"connected at {f.rel}:{node.lineno}"
            if isinstance(handler, ast.Lambda):
                yield f, handler, connected
                continue
            resolved += 1
            found = _resolve_handler(project, f, handler, owner.get(id(node)))
            if found is not None:
                yield found[0], found[1], connected


def compose_line(project: ProjectModel, rel: str, service_line: int | None, key: str) -> int:
    """The line of `key:` in the service block that starts at `service_line`."""
    start = service_line or 1
    text = project.cache.text(project.root / rel).text or ""
    pattern = re.compile(rf"^\s*{key}\s*:")
    for number, line in enumerate(text.splitlines()[start - 1 :], start):
        if pattern.match(line):
            return number
    return start


def all_commands(project: ProjectModel) -> Iterator[tuple[str, ScriptCommand]]:
    """(file, command) for every command the deploy and setup files run."""
    for rel, commands in sorted(project.scripts.items()):
        for command in commands:
            yield rel, command
    for rel, targets in sorted(project.makefiles.items()):
        for _target, command in targets:
            yield rel, command
    for rel, entries in sorted(project.procfiles.items()):
        for entry in entries:
            for command in split_shell(entry.command, entry.line):
                yield rel, command
    for compose in project.compose_files:
        for service in compose.services:
            for key in ("entrypoint", "command"):
                text = getattr(service, key, None)
                if not text:
                    continue
                line = compose_line(project, compose.path, service.line, key)
                for command in split_shell(text, line):
                    yield compose.path, command
    for rel, commands in sorted(project.ci_files.items()):
        for command in commands:
            yield rel, command
    for dockerfile in project.dockerfiles:
        for stage in dockerfile.stages:
            for line, text in stage.commands():
                for command in split_shell(text, line):
                    yield dockerfile.path, command


def fixture_names(args: list[str]) -> list[str]:
    names: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in _LOADDATA_VALUE_OPTIONS
            continue
        names.append(arg)
    return names


def fixture_owner(project: ProjectModel, name: str) -> App | None:
    """The local app whose fixtures/ folder holds the fixture `name` (as loaddata finds it)."""
    stem = Path(name).name
    for app in project.apps:
        if app.rel and name.startswith(app.rel + "/"):
            return app
        folder = app.path / "fixtures"
        if not folder.is_dir():
            continue
        if (folder / stem).is_file():
            return app
        for fmt in FIXTURE_FORMATS:
            for compression in COMPRESSIONS:
                if (folder / f"{stem}.{fmt}{compression}").is_file():
                    return app
    return None


#: files read for `call_command("loaddata", ...)` outside the apps: the few beside them
_MAX_LOOSE_FILES = 200


def loaddata_calls(project: ProjectModel) -> list[tuple[str, int, list[str]]]:
    """(file, line, fixture names) of every `call_command("loaddata", ...)` in the Python code
    of the project that is not a test or a migration: the local apps (their management
    commands), and the modules beside them up to the repository root (`tasks.py` of invoke, a
    `fabfile.py`, a setup script). A name that is not a literal is given as "?"."""
    paths = list(app_python_files(project))
    seen = set(paths)
    folders: set[Path] = {project.root}
    for app in project.apps:
        parent = app.path.parent
        while parent != project.root and project.root in parent.parents:
            folders.add(parent)
            parent = parent.parent
    loose: list[Path] = []
    for folder in sorted(folders):
        loose += sorted(p for p in folder.glob("*.py") if p.is_file() and p not in seen)
    paths += [p for p in loose[:_MAX_LOOSE_FILES] if not p.name.startswith("test")]
    found: list[tuple[str, int, list[str]]] = []
    for path in paths:
        pyfile = project.cache.python(path)
        if "loaddata" not in (pyfile.text or "") or pyfile.tree is None:
            continue
        for node in ast.walk(pyfile.tree):
            if not (isinstance(node, ast.Call) and call_name(node) == "call_command"):
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and first.value == "loaddata"):
                continue
            names = [
                a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else "?"
                for a in node.args[1:]
            ]
            found.append((pyfile.rel, node.lineno, names))
    return sorted(found)
