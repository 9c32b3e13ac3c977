"""The import graph of `fixer` and `codemods`, read statically, and the architecture rules on it.

Everything here reads source with `ast` and `tokenize`; nothing of the packages is imported, so a
cyclic module still yields a graph (and a failing test that names it); a module that does not
parse stops the build with a SyntaxError naming its file.

Every import counts, at any depth: one inside a function still loads its module at run time and
is the usual way a cycle hides. Imports under ``if TYPE_CHECKING:`` are left out: they never run.
Imports by string (``importlib.import_module("fixer....")``) are not seen.

``python -m tests.import_graph [ROOT]`` prints the figures: cycles, private names used across
modules, imports that point up the layers, modules in no layer, unmarked in-function imports,
the largest files.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("fixer", "codemods")
ITEMS = range(1, 14)

# The target layers: a module imports only from its own layer or below. A name stands for that
# module and, once it is a package, everything below it (`codemods` is all of codemods/); `fixer`
# alone is fixer/__init__.py.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "vocabulary",
        (
            "fixer",
            "fixer.errors",
            "fixer.findings",
            "fixer.redaction",
            "fixer.deep_stack",
            "fixer.progress",
            "fixer.templating",
            "fixer.changeset",
            "fixer.line_diff",
            "fixer.literals",
            "fixer.formatting",
            "fixer.git",
            "fixer.rule_codes",
            "fixer.python_support",
        ),
    ),
    ("parsers", ("fixer.parsers", "fixer.sources")),
    (
        "discovery",
        (
            "fixer.project",
            "fixer.discovery",
            "fixer.settings_eval",
            "fixer.settings_helpers",
            "fixer.urls",
            "fixer.url_patterns",
            "fixer.urlconf_module",
            "fixer.settings_values",
            "fixer.migration_graph",
            "fixer.django_runner",
        ),
    ),
    ("analysis", ("fixer.analysis",)),
    ("codemods", ("codemods",)),
    ("fix context", ("fixer.fix_context",)),
    ("fixes", ("fixer.fixes",)),
    ("checks", ("fixer.checks",)),
    (
        "verify",
        (
            "fixer.verify",
            "fixer.verify_env",
            "fixer.verify_aliases",
            "fixer.verify_steps",
            "fixer.verify_image",
            "fixer.verify_process",
            "fixer.verify_install",
            "fixer.verify_run",
            "fixer.verify_database",
            "fixer.verify_review",
        ),
    ),
    (
        "orchestration",
        (
            "fixer.apply",
            "fixer.apply_verify",
            "fixer.apply_packages",
            "fixer.handover",
            "fixer.many",
            "fixer.pr",
            "fixer.pr_body",
            "fixer.config",
        ),
    ),
    (
        "interface",
        (
            "fixer.report",
            "fixer.docs",
            "fixer.cli",
            "fixer.cli_options",
            "fixer.cli_apply",
            "fixer.__main__",
        ),
    ),
)

LAZY_COMMENT = re.compile(r"\blaz(y|ily)\b", re.IGNORECASE)
IMPORT_LINE = re.compile(r"\s*(from\s+\S+\s+)?import\s")
CHECK_MODULE = re.compile(r"item(\d\d)_([a-z0-9_]+)\.py")


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    rel: str  # path relative to the root, for messages
    is_package: bool
    lines: int


@dataclass(frozen=True)
class Import:
    """One first-party module loaded by one import statement of another."""

    importer: str
    target: str
    line: int
    in_function: bool
    where: str  # "fixer/apply.py:12", for messages


@dataclass(frozen=True)
class FunctionImport:
    """An import statement (of anything) inside a function."""

    module: str
    line: int
    statement: str
    marked_lazy: bool
    where: str


@dataclass(frozen=True)
class PrivateUse:
    module: str
    target: str
    name: str
    line: int
    where: str


@dataclass
class ImportGraph:
    root: Path
    modules: dict[str, Module] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    function_imports: list[FunctionImport] = field(default_factory=list)
    private_uses: list[PrivateUse] = field(default_factory=list)

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def build(cls, root: Path) -> ImportGraph:
        graph = cls(root)
        for package in PACKAGES:
            for path in sorted((root / package).rglob("*.py")):
                rel = path.relative_to(root)
                parts = list(rel.with_suffix("").parts)
                is_package = parts[-1] == "__init__"
                if is_package:
                    parts = parts[:-1]
                text = path.read_text(encoding="utf-8")
                name = ".".join(parts)
                graph.modules[name] = Module(
                    name, path, rel.as_posix(), is_package, text.count("\n")
                )
        for module in graph.modules.values():
            graph._read(module)
        return graph

    def _read(self, module: Module) -> None:
        source = module.path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=module.rel)
        comments = _comment_lines(source)
        lines = source.splitlines()
        aliases: dict[str, str] = {}  # local name -> first-party module it is bound to
        loaded: set[tuple[str, int]] = set()  # one Import per module and statement
        for node, in_function in _import_statements(tree):
            where = f"{module.rel}:{node.lineno}"
            if in_function:
                # the comment sits on the import, on the line before it, or before the run of
                # import statements the import belongs to (one comment for a group of loads)
                first = node.lineno
                while first > 1 and IMPORT_LINE.match(lines[first - 2]):
                    first -= 1
                marked = any(
                    LAZY_COMMENT.search(comments.get(n, ""))
                    for n in range(first - 1, (node.end_lineno or node.lineno) + 1)
                )
                statement = lines[node.lineno - 1].strip()
                self.function_imports.append(
                    FunctionImport(module.name, node.lineno, statement, marked, where)
                )
            for target, name, bound in self._targets(module, node):
                if target != module.name and (target, node.lineno) not in loaded:
                    loaded.add((target, node.lineno))
                    self.imports.append(
                        Import(module.name, target, node.lineno, in_function, where)
                    )
                if bound is not None:
                    aliases[bound[0]] = bound[1]
                if name and _private(name) and target != module.name:
                    self.private_uses.append(
                        PrivateUse(module.name, target, name, node.lineno, where)
                    )
        if aliases:
            self._private_attributes(module, tree, aliases)

    def _targets(self, module: Module, node: ast.Import | ast.ImportFrom):
        """Yield (first-party module loaded, name imported from it or None, alias binding)."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = self._deepest_module(alias.name)
                if target is None:
                    continue
                if alias.asname:
                    bound = (alias.asname, alias.name) if alias.name in self.modules else None
                else:
                    top = alias.name.split(".")[0]
                    bound = (top, top) if top in self.modules else None
                yield target, None, bound
            return
        base = self._absolute(module, node)
        if base is None:
            return
        for alias in node.names:
            local = alias.asname or alias.name
            submodule = f"{base}.{alias.name}"
            if submodule in self.modules:
                yield submodule, alias.name, (local, submodule)
            elif base in self.modules:
                yield base, alias.name, None

    def _absolute(self, module: Module, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        package = module.name.split(".")
        if not module.is_package:
            package = package[:-1]
        if node.level > 1:
            package = package[: len(package) - (node.level - 1)]
        return ".".join(package + ([node.module] if node.module else []))

    def _deepest_module(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        while parts:
            if ".".join(parts) in self.modules:
                return ".".join(parts)
            parts.pop()
        return None

    def _private_attributes(self, module: Module, tree: ast.AST, aliases: dict[str, str]) -> None:
        """`mod._name` where `mod` is bound to another first-party module by an import."""
        found = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            dotted = _dotted(node.value)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if head not in aliases:
                continue
            target = aliases[head] + ("." + rest if rest else "")
            if target in self.modules and target != module.name:
                use = PrivateUse(
                    module.name, target, node.attr, node.lineno, f"{module.rel}:{node.lineno}"
                )
                found.append(((node.lineno, node.col_offset), use))
        self.private_uses += [use for _, use in sorted(found, key=lambda pair: pair[0])]

    # -- the rules -----------------------------------------------------------------------------

    def edges(self, module_level_only: bool = False) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for imp in self.imports:
            if not (module_level_only and imp.in_function):
                out[imp.importer].add(imp.target)
        return out

    def cycles(self, module_level_only: bool = False) -> list[list[str]]:
        """The groups of modules that import each other (strongly connected, more than one)."""
        return _strongly_connected(sorted(self.modules), self.edges(module_level_only))

    def cycle_report(self) -> list[str]:
        """One block per cycle group: a shortest cycle through it, then every import inside it."""
        out = []
        for group in self.cycles():
            members = set(group)
            inside = [i for i in self.imports if i.importer in members and i.target in members]
            path = _shortest_cycle(group[0], {m: self.edges()[m] & members for m in group})
            out.append(
                f"{len(group)} modules import each other: {' -> '.join(path)}\n"
                + "\n".join(
                    f"    {i.where} imports {i.target}"
                    + (" (in a function)" if i.in_function else "")
                    for i in sorted(inside, key=lambda i: (i.where.split(":")[0], i.line))
                )
            )
        return out

    def layer_of(self, name: str) -> int | None:
        for number, (_title, names) in enumerate(LAYERS):
            for layered in names:
                if name == layered or (layered != "fixer" and name.startswith(layered + ".")):
                    return number
        return None

    def unlayered(self) -> list[Module]:
        return [m for name, m in sorted(self.modules.items()) if self.layer_of(name) is None]

    def upward_imports(self) -> list[tuple[Import, int, int]]:
        out = []
        for imp in self.imports:
            low, high = self.layer_of(imp.importer), self.layer_of(imp.target)
            if low is not None and high is not None and high > low:
                out.append((imp, low, high))
        return out

    def unmarked_function_imports(self) -> list[FunctionImport]:
        return [f for f in self.function_imports if not f.marked_lazy]


def layer_name(number: int) -> str:
    return f"{number} {LAYERS[number][0]}"


def missing_item_tests(root: Path) -> list[str]:
    """Checklist items without their check module or without tests/checks/test_itemNN_<topic>.py."""
    checks = {}
    for path in sorted((root / "fixer" / "checks").glob("item*.py")):
        match = CHECK_MODULE.fullmatch(path.name)
        if match and not match.group(2).endswith("_fix"):
            checks.setdefault(int(match.group(1)), []).append(path.name)
    problems = []
    for item in ITEMS:
        names = checks.get(item, [])
        if not names:
            problems.append(f"item {item}: no check module fixer/checks/item{item:02d}_<topic>.py")
            continue
        if len(names) > 1:
            problems.append(f"item {item}: more than one check module: {', '.join(names)}")
        for name in names:
            test = root / "tests" / "checks" / f"test_{name}"
            if not test.is_file():
                problems.append(f"item {item}: fixer/checks/{name} has no tests/checks/test_{name}")
    return problems


# -- helpers -------------------------------------------------------------------------------------


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(tree: ast.AST):
    """Yield (import node, inside a function?) for every import that can run."""

    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    yield from walk_one(stmt, in_function)
            else:
                nested = in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
                )
                yield from walk(child, nested)

    def walk_one(stmt: ast.AST, in_function: bool):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt, in_function
        else:
            yield from walk(stmt, in_function)

    yield from walk(tree, False)


def _comment_lines(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments


def _strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph can be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return sorted(groups)


def _shortest_cycle(start: str, edges: dict[str, set[str]]) -> list[str]:
    previous: dict[str, str] = {}
    queue = [start]
    seen = {start}
    while queue:
        node = queue.pop(0)
        for child in sorted(edges.get(node, ())):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in seen:
                seen.add(child)
                previous[child] = node
                queue.append(child)
    return [start]


# -- the figures ---------------------------------------------------------------------------------


def report(root: Path) -> str:
    graph = ImportGraph.build(root)
    out = [f"modules: {len(graph.modules)}, first-party imports: {len(graph.imports)}"]
    cycles = graph.cycles()
    out.append(
        f"cycles: {len(cycles)} groups, {sum(map(len, cycles))} modules in them"
        f" ({len(graph.cycles(module_level_only=True))} groups counting module-level imports"
        " only)"
    )
    out += [f"  {' '.join(group)}" for group in cycles]
    out.append(f"private names used across modules: {len(graph.private_uses)}")
    out += [f"  {p.where} {p.target}.{p.name}" for p in graph.private_uses]
    upward = graph.upward_imports()
    out.append(f"imports up the layers: {len(upward)}")
    out += [
        f"  {imp.where} {imp.importer} ({layer_name(low)}) -> {imp.target} ({layer_name(high)})"
        for imp, low, high in upward
    ]
    unlayered = graph.unlayered()
    out.append(f"modules in no layer: {len(unlayered)}")
    out += [f"  {m.name} ({m.lines} lines)" for m in unlayered]
    own = [i for i in graph.imports if i.in_function]
    unmarked = graph.unmarked_function_imports()
    out.append(
        f"imports in functions: {len(graph.function_imports)} statements"
        f" ({len(own)} first-party module loads), {len(unmarked)} without a lazy comment"
    )
    per_module: dict[str, int] = defaultdict(int)
    for f in unmarked:
        per_module[f.module] += 1
    out += [f"  {n:3d} {m}" for m, n in sorted(per_module.items(), key=lambda kv: (-kv[1], kv[0]))]
    missing = missing_item_tests(root)
    out.append(f"items without their test module: {len(missing)}")
    out += [f"  {m}" for m in missing]
    sizes = sorted(graph.modules.values(), key=lambda m: (-m.lines, m.name))
    over = [m for m in sizes if m.lines > 900]
    out.append(f"modules over 900 lines: {len(over)}")
    out.append("largest: " + ", ".join(f"{m.name} {m.lines}" for m in sizes[:12]))
    return "\n".join(out)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent))
