"""Configuration files the production settings read at import: a JSON, YAML, TOML or INI file
(`SECRETS = json.load(open(DATA_DIR / "conf" / "secrets.json"))`) whose values become settings.
Each deployment has to write or mount that file beside the image, which item 5 exists to end:
item 5 reports it (DJ058), with no automatic fix, as the file's keys and their meaning are the
project's own.

Only code that runs at import counts (module level, and the bodies of `if`, `try`, `with` there);
a function that reads a file when called does not. A file under `/run/secrets` (Docker's and
Kubernetes' secrets) or named by an environment variable (`open(os.environ["KEY_FILE"])`) is a
deployment's way of handing over one secret, not a configuration file, and is not reported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fixer.project import ProjectModel, settings_chain

#: the calls that parse a configuration file, by the last two parts of their dotted name
_PARSERS = {
    ("json", "load"),
    ("json", "loads"),
    ("yaml", "load"),
    ("yaml", "safe_load"),
    ("yaml", "full_load"),
    ("toml", "load"),
    ("toml", "loads"),
    ("tomllib", "load"),
    ("tomllib", "loads"),
    ("tomli", "load"),
    ("tomli", "loads"),
}
#: configparser's reading methods, on a parser the module made
_INI_READS = ("read", "read_file")
_HANDED_OVER = ("/run/secrets", "/var/run/secrets")
_MAX_SHOWN = 60


@dataclass(frozen=True)
class ConfigFileRead:
    settings: str  # the settings file (relative path)
    line: int
    how: str  # `json.load`
    source: str  # the file, as the code names it (shortened)


def _dotted(node: ast.expr) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that run at import: these, and those of the blocks among them."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack and len(out) < 100_000:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        out.append(stmt)
        blocks: list[list[ast.stmt]] = []
        if isinstance(stmt, ast.If | ast.For | ast.While):
            blocks = [stmt.body, stmt.orelse]
        elif isinstance(stmt, ast.With):
            blocks = [stmt.body]
        elif isinstance(stmt, ast.Try):
            blocks = [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
        for block in reversed(blocks):
            stack.extend(reversed(block))
    return out


def _own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The nodes of `stmt` outside its nested statements (those are visited on their own)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt | ast.Lambda):
                continue
            out.append(child)
            todo.append(child)
    return out


def _handed_over(text: str) -> bool:
    return any(place in text for place in _HANDED_OVER) or "environ" in text or "getenv" in text


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _opened(stmts: list[ast.stmt]) -> dict[str, str]:
    """{name: the file it was opened from}: `with open(PATH) as handle`, `f = open(PATH)`."""
    out: dict[str, str] = {}
    for stmt in stmts:
        items: list[tuple[ast.expr, ast.expr | None]] = []
        if isinstance(stmt, ast.With):
            items = [(item.context_expr, item.optional_vars) for item in stmt.items]
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            items = [(stmt.value, stmt.targets[0])]
        for value, target in items:
            path = _open_path(value)
            if path is not None and isinstance(target, ast.Name):
                out[target.id] = path
    return out


def _open_path(node: ast.expr) -> str | None:
    """The file `open(PATH)`, `PATH.open()`, `PATH.read_text()`, `open(PATH).read()` reads."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id in ("open", "io.open") and node.args:
        return ast.unparse(node.args[0])
    if isinstance(func, ast.Attribute):
        if func.attr in ("open", "read_text", "read_bytes") and not node.args[:1]:
            if _dotted(func.value)[:1] in (("os",), ("io",), ("codecs",)):
                return None
            return ast.unparse(func.value)
        if func.attr == "read" and isinstance(func.value, ast.Call):
            return _open_path(func.value)
        if _dotted(func) in (("io", "open"), ("codecs", "open")) and node.args:
            return ast.unparse(node.args[0])
    return None


def _read_of(call: ast.Call, opened: dict[str, str], parsers: set[str]) -> tuple[str, str] | None:
    """(how, file) where `call` parses a configuration file, else None."""
    name = _dotted(call.func)
    if name[-2:] in _PARSERS and call.args:
        arg = call.args[0]
        path = _open_path(arg)
        if path is None and isinstance(arg, ast.Name):
            path = opened.get(arg.id)
        if path is not None:
            return ".".join(name[-2:]), path
    if (
        len(name) == 2
        and name[0] in parsers
        and name[1] in _INI_READS
        and call.args
        and not isinstance(call.args[0], ast.List | ast.Tuple)
    ):
        arg = call.args[0]
        path = _open_path(arg) if name[1] == "read_file" else ast.unparse(arg)
        if path is not None:
            return f"configparser {name[1]}", path
    return None


def config_file_reads(project: ProjectModel) -> list[ConfigFileRead]:
    """The configuration files the production settings (and what they star-import) parse at
    import, one a settings file and line."""
    found: list[ConfigFileRead] = []
    for dotted in sorted(settings_chain(project)):
        module = project.settings_modules.get(dotted)
        if module is None or not module.rel or module.file is None:
            continue
        tree = module.file.tree
        if tree is None:
            continue
        found.extend(_reads_in(module.rel, tree))
    return found


def _reads_in(rel: str, tree: ast.Module) -> list[ConfigFileRead]:
    stmts = _module_level(tree.body)
    opened = _opened(stmts)
    # names bound to a configparser parser: `config = configparser.ConfigParser()`
    parsers = {
        stmt.targets[0].id
        for stmt in stmts
        if isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Call)
        and _dotted(stmt.value.func)[-1:]
        in (("ConfigParser",), ("RawConfigParser",), ("SafeConfigParser",))
    }
    out: list[ConfigFileRead] = []
    lines: set[int] = set()
    for stmt in stmts:
        for node in _own_expressions(stmt):
            if not isinstance(node, ast.Call):
                continue
            read = _read_of(node, opened, parsers)
            if read is None or _handed_over(read[1]) or node.lineno in lines:
                continue
            lines.add(node.lineno)
            out.append(ConfigFileRead(rel, node.lineno, read[0], _shown(read[1])))
    return out
