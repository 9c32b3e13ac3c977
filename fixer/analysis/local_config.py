"""Modules each installation writes for itself: a Python file beside the settings that git
ignores, whose committed template (`configuration_example.py`, `local_settings.py.example`) the
install instructions say to copy and fill in. The settings take their configuration from it, so
a clone does not start until someone writes it, and a deployment has to make or mount it.
Item 5 reports it; verify names it when the settings do not load without it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from fixer.analysis.gitignore import GitIgnore
from fixer.project import ProjectModel

_TEMPLATE = re.compile(
    r"^(?:(?P<a>[A-Za-z_]\w*?)[._-](?:example|sample|template|dist|tmpl)\.py"
    r"|(?P<b>[A-Za-z_]\w*)\.py\.(?:example|sample|template|dist|tmpl))$"
)
#: exceptions whose handler makes an import optional (the settings start without the module)
_OPTIONAL = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class LocalModule:
    rel: str  # the module each installation writes (mysite/configuration.py)
    template: str  # its committed template (mysite/configuration_example.py)
    settings: str  # the settings file that names it
    line: int  # the first line there that names it


def _optional_import(tree: ast.AST, stem: str) -> bool:
    """Whether the settings import `stem` only inside a `try` that carries on without it (a
    local override: the settings start when the file is missing)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            h.type is None
            or any(
                isinstance(t, ast.Name) and t.id in _OPTIONAL
                for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type])
            )
            for h in node.handlers
        ):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    imports = [
        node
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.ImportFrom)
            and stem in ((node.module or "").split(".") + [a.name for a in node.names])
        )
        or (isinstance(node, ast.Import) and any(stem in a.name.split(".") for a in node.names))
    ]
    return bool(imports) and all(id(n) in guarded for n in imports)


def _first_use(tree: ast.AST, stem: str) -> int | None:
    """The first line whose code names `stem`: a name, an import, or a string naming the module
    (`"mysite.configuration"`, `"configuration.py"`); comments do not count."""
    word = re.compile(rf"\b{re.escape(stem)}\b")
    lines = []
    for node in ast.walk(tree):
        if (
            (isinstance(node, ast.Name) and node.id == stem)
            or (isinstance(node, ast.alias) and stem in node.name.split("."))
            or (isinstance(node, ast.ImportFrom) and stem in (node.module or "").split("."))
            or (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and word.search(node.value)
            )
        ):
            lines.append(getattr(node, "lineno", 0))
    lines = [n for n in lines if n]
    return min(lines) if lines else None


def local_modules(project: ProjectModel, *, optional: bool = False) -> list[LocalModule]:
    """The git-ignored modules with a committed template beside a settings file that names
    them, one each (the first settings file that names it). `optional`: also those the settings
    import inside a `try` that carries on without them (what an image must still leave out:
    the installation's file holds its secrets, and item 5's fix makes the import optional)."""
    gitignore = GitIgnore(project)
    found: dict[str, LocalModule] = {}
    for module in project.settings_modules.values():
        if not module.rel or module.file is None or module.file.tree is None:
            continue
        folder = module.rel.rsplit("/", 1)[0] if "/" in module.rel else ""
        directory = project.root / folder if folder else project.root
        try:
            names = sorted(p.name for p in directory.iterdir() if p.is_file())[:500]
        except OSError:
            continue
        text = module.file.text or ""
        for name in names:
            m = _TEMPLATE.match(name)
            if m is None:
                continue
            stem = m.group("a") or m.group("b")
            rel = f"{folder}/{stem}.py" if folder else f"{stem}.py"
            template = f"{folder}/{name}" if folder else name
            if rel in found or not gitignore.ignored(rel) or gitignore.ignored(template):
                continue
            if not re.search(rf"\b{re.escape(stem)}\b", text):
                continue
            line = _first_use(module.file.tree, stem)
            if line is None or (not optional and _optional_import(module.file.tree, stem)):
                continue
            found[rel] = LocalModule(rel, template, module.rel, line)
    return list(found.values())


@dataclass(frozen=True)
class Loader:
    """How settings load the local module by name instead of importing it (netbox's shape):
    `importlib.import_module(name)` where `name` defaults to the module, often read from an
    environment variable that names another module in its place."""

    call: str  # importlib.import_module, __import__
    line: int
    module: str  # the dotted name the settings default to ("inventory.configuration")
    variable: str | None  # the environment variable naming an alternate module, if any


_LOADERS = {"importlib.import_module", "import_module", "__import__", "importlib.__import__"}
_ENV_READS = {"os.environ.get", "os.getenv", "environ.get", "getenv", "env", "env.str", "config"}


def _call_name(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def custom_loader(tree: ast.AST, stem: str) -> Loader | None:
    """The loader by name of `stem` in a settings module, where it has no import statement of
    it: the first call of importlib.import_module / __import__, the module name the settings
    write (a string naming `stem`), and the environment variable read with that name as its
    default."""
    word = re.compile(rf"^[\w.]*\b{re.escape(stem)}\b[\w.]*$")
    calls: list[tuple[int, str]] = []
    module = ""
    variable: str | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                names.append(node.module or "")
            if any(stem in n.split(".") for n in names):
                return None  # an import statement: the plain shape
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name in _LOADERS:
            calls.append((node.lineno, name))
        elif name in _ENV_READS or name.endswith(".environ.get"):
            values = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "default")]
            first = node.args[0] if node.args else None
            for value in values:
                if (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and word.match(value.value)
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                ):
                    module = module or value.value
                    variable = variable or first.value
    if not calls:
        return None
    if not module:
        module = next(
            (
                n.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and word.match(n.value)
            ),
            stem,
        )
    line, call = min(calls)
    return Loader(call, line, module, variable)
