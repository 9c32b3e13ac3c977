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


def local_modules(project: ProjectModel) -> list[LocalModule]:
    """The git-ignored modules with a committed template beside a settings file that names
    them, one each (the first settings file that names it)."""
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
            if line is None or _optional_import(module.file.tree, stem):
                continue
            found[rel] = LocalModule(rel, template, module.rel, line)
    return list(found.values())
