"""Settings to django-environ: literal secrets and configuration, `os.environ`, `os.getenv`,
python-decouple and environs reads become `env(...)` calls of one `environ.Env()`.

Pure source -> source. `transform(source, plan)` returns the new source and what it did: the
environment variables the module now reads (for `.env.example` and the untracked `.env`), and
the settings it left alone with the reason.

The rewrite is one pass in three layers: `env_reads.EnvReads` (environment reads),
`setting_values.SettingValues` (settings assignments) and `SettingsToEnv` here (what the module
imports, and making `env` available: created, imported, or inherited).
"""

from __future__ import annotations

import ast
import gc
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from codemods.command import Context, drop_import, need_import
from codemods.cst_tools import (
    find_all,
    is_attribute,
    is_docstring_line,
    is_name,
    is_single_assign,
    literal,
    parse_module,
)
from codemods.env_calls import EnvVariable, call_env_lacks, env_reads, foreign_env_line
from codemods.module_level import (
    module_code,
    normalised_imports,
    quiet_statements,
    quote_counts,
)
from codemods.setting_values import SettingValues, secret_key_has_fallback


@dataclass
class Plan:
    """How one settings module is rewritten.

    env_source: "create" (this module creates `env`), "inherited" (a star import brings it),
    "import:<module>" (add `from <module> import env`).
    config: also move non-secret configuration (DEBUG, ALLOWED_HOSTS, DATABASES, service URLs);
    False for development-only modules, whose secrets alone are moved.
    dotenv_parents: how many folders up from the settings file the repository root is.
    """

    env_source: str = "create"
    config: bool = True
    dotenv_parents: int = 1
    convert: bool = True  # False: only make `env` available (see `ensure_env`)
    # names the module gets through its star imports (`config` -> "decouple.config")
    inherited_aliases: dict[str, str] = field(default_factory=dict)
    # another module star-imports this one and may use its imports: remove none
    keep_imports: bool = False
    # rewrite only these settings (their reads included), e.g. DEBUG and SECRET_KEY for item 9
    only: frozenset[str] | None = None
    # (module, call, line) of the reads of this module's `env` in the modules that star-import
    # it, that django-environ's Env would reject (`env_calls_lacking` of each)
    importers_env_calls: tuple[tuple[str, str, int], ...] = ()
    # the `env` a star import brings is environs' (the module's own reads are written for it)
    environs_inherited: bool = False


@dataclass
class Result:
    code: str
    variables: list[EnvVariable] = field(default_factory=list)
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    notes: list[str] = field(default_factory=list)  # what the user should know about a rewrite
    # (call, line): a module that does not bind `env` calls these on the environs one its star
    # import brings, and django-environ's Env lacks them or reads them differently
    env_calls_lacking: list[tuple[str, int]] = field(default_factory=list)


class SettingsToEnv(SettingValues):
    DESCRIPTION = "Read settings from the environment through django-environ."

    def __init__(self, context: Context, plan: Plan) -> None:
        super().__init__(context, plan, Result(""))
        self._blocked: str | None = None  # why this module must not be converted
        self._blocked_line = 1  # ... and where
        self._silent: frozenset[int] = frozenset()  # statements known to name no Plan.only
        self.environs_bound = False  # the module binds `env = Env()` of environs (kept or not)

    # -- what the module imports ----------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        # the author's quote, docstrings included
        quotes = quote_counts(node, self.source)
        singles = quotes.single + quotes.triple_single
        doubles = quotes.double + quotes.triple_double
        self.quote = "'" if singles > doubles else '"'
        self.unit = node.default_indent
        self.secret_key_fallback = secret_key_has_fallback(node)
        for stmt in node.body:
            for small in (
                getattr(stmt, "body", []) if isinstance(stmt, cst.SimpleStatementLine) else []
            ):
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        name = cst.Module([]).code_for_node(alias.name)
                        local = alias.asname.name.value if alias.asname else name.split(".")[0]  # type: ignore[union-attr]
                        self.aliases[local] = name if alias.asname else name.split(".")[0]
                elif isinstance(small, cst.ImportFrom) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    module = cst.Module([]).code_for_node(small.module) if small.module else ""
                    for alias in small.names:
                        name = alias.name.value  # type: ignore[union-attr]
                        local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                        self.aliases[local] = f"{module}.{name}"
                        if local == "env":
                            # the project's own env object (e.g. `from proj.env import env`)
                            self.has_env_binding = True
                elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if is_name(target, "env"):
                        callee = small.value
                        qualified = (
                            self.qualify(callee.func) if isinstance(callee, cst.Call) else ""
                        )
                        if qualified in ("environ.Env", "environ.environ.Env"):
                            self.has_env_binding = True
                            self.env_has_scheme = bool(callee.args)  # type: ignore[union-attr]
                        elif qualified in ("environs.Env", "environs.FileAwareEnv"):
                            self.environs_env = self.environs_bound = True
                            if qualified == "environs.FileAwareEnv":
                                # reads NAME_FILE's file where NAME is unset (Docker secrets)
                                self._blocked = (
                                    "the module reads the environment with environs' "
                                    "FileAwareEnv, which takes a value from the file a *_FILE "
                                    "variable names: django-environ's Env does not, so the "
                                    "module stays on environs"
                                )
                                self._blocked_line = self.line_of(small)
                            elif callee.args:  # type: ignore[union-attr]
                                self._blocked = (
                                    f"`{cst.Module([]).code_for_node(small)}` sets options "
                                    "of environs that django-environ's Env does not have, so "
                                    "the module stays on environs"
                                )
                                self._blocked_line = self.line_of(small)
                        else:
                            self._blocked = (
                                "the module binds the name `env` itself, and djfix reads the "
                                "environment through django-environ's `env`: rename yours to "
                                "have djfix rewrite it"
                            )
                            self._blocked_line = self.line_of(small)
        if self.environs_env and not self._blocked:
            self._blocked = self._environs_kept(node)
        elif self.plan.environs_inherited and not self.has_env_binding and not self._blocked:
            self._blocked = self._environs_inherited_calls(node)
        if self.environs_env and self.plan.only is not None:
            self._blocked = "environs is converted with the whole module (item 5), not in part"
        if self._blocked:
            self.result.left.append(("<module>", self._blocked_line, self._blocked))
            self.plan = Plan(**{**self.plan.__dict__, "convert": False})
            self.environs_env = False
        return True

    def _lacking(self, node: cst.Module, *, environs: bool) -> list[tuple[str, int]]:
        """(call, line) of the module's calls through `env` that django-environ's Env would
        reject or read differently (`call_env_lacks`)."""
        if not env_reads(self.source):
            return []
        finder = _EnvCalls()
        node.visit(finder)
        found = []
        for call, nested in finder.found:
            text = call_env_lacks(call, environs=environs, renamed=not nested)
            if text is not None:
                found.append((text, self.line_of(call)))
        return found

    def _environs_kept(self, node: cst.Module) -> str | None:
        """Why the module's environs `env` cannot become django-environ's: reads of it, here or
        in the modules that star-import it, that django-environ's Env would reject or read
        differently (a rewrite would break the settings when they load)."""
        lacking = self._lacking(node, environs=True)
        own = [f"{text} (line {line})" for text, line in lacking]
        others = [
            f"{rel}: {text} (line {line})" for rel, text, line in self.plan.importers_env_calls
        ]
        if own:
            self._blocked_line = lacking[0][1]
            return (
                "environs reads that django-environ's Env lacks or reads differently: "
                + ", ".join(own)
                + "; the module stays on environs"
            )
        if others:
            return (
                "modules that star-import this one read its environs `env` in ways "
                "django-environ's Env lacks or reads differently: "
                + ", ".join(others)
                + "; the module stays on environs"
            )
        return None

    def _environs_inherited_calls(self, node: cst.Module) -> str | None:
        """A module that does not bind `env` and calls methods on the environs one a star
        import brings that django-environ's Env lacks or reads differently: an `env` djfix
        binds here would shadow that one. (A star-imported `env` of another kind, such as
        `env = os.environ`, is FixContext.write's to refuse.)"""
        lacking = self._lacking(node, environs=True)
        self.result.env_calls_lacking = lacking
        if not lacking:
            return None
        self._blocked_line = lacking[0][1]
        calls = ", ".join(f"{text} (line {line})" for text, line in lacking)
        return (
            f"the module calls {calls} on the environs `env` its star import brings, which "
            "django-environ's Env lacks or reads differently: an `env` of djfix's here would "
            "shadow that one, so the module is left as it is"
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self._silent = self._silent_statements(tree)
        try:
            return super().transform_module_impl(tree)
        finally:
            self._silent = frozenset()

    def skip_statement(self, statement: cst.BaseStatement) -> bool:
        # Plan.only: the reads outside those settings stay as they are, so a top-level
        # statement whose text does not name one of them has nothing to rewrite
        if self.plan.only is None:
            return False
        if id(statement) in self._silent:
            return True
        code = cst.Module([]).code_for_node(statement)
        return not self._names_one(code)

    def _names_one(self, text: str) -> bool:
        assert self.plan.only is not None
        return any(re.search(rf"\b{re.escape(name)}\b", text) for name in self.plan.only)

    def _silent_statements(self, tree: cst.Module) -> frozenset[int]:
        """The statements of pieces (`piece_parse`) whose text names none of Plan.only: their
        own code, part of that text between line ends, names none either, so no code is
        generated to look."""
        if self.plan.only is None:
            return frozenset()
        return quiet_statements(tree, self._names_one)

    # -- settings assignments ---------------------------------------------------------------------
    def leave_SimpleStatementLine(self, original, updated):
        if not self.plan.convert or self.depth or self.plan.only is not None:
            return updated
        if self.environs_env and len(updated.body) == 1:
            small = updated.body[0]
            # environs' own .env reading: djfix writes django-environ's instead
            if (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and is_attribute(small.value.func, "read_env", of="env")
            ):
                return cst.RemoveFromParent()
            if is_single_assign(small, "env"):
                return cst.RemoveFromParent()
        return updated

    # -- making `env` available -----------------------------------------------------------------
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        self.result.code = ""
        if self._blocked or (self.environs_bound and not self.plan.convert):
            # no `env` of django-environ's made available either: the module's reads (and the
            # env.bool, env.int, env.list and env() calls other codemods add) are environs'
            return updated
        if self.plan.convert and self.plan.config and self.plan.only is None:
            updated = self._database_url_precedence(original, updated)
        if not self.uses_env and not self.environs_env:
            return updated
        if not self.plan.keep_imports:
            if self.environs_env:
                drop_import(self.context, "environs", "Env")
            if self.aliases.get("config") == "decouple.config":
                drop_import(self.context, "decouple", "config")
                drop_import(self.context, "decouple", "Csv")
            drop_import(self.context, "os")
            drop_import(self.context, "os", "environ")
            drop_import(self.context, "os", "getenv")
            drop_import(self.context, "decouple")
            if self.strtobool_imported:
                drop_import(self.context, "distutils.util", "strtobool")
        if self.has_env_binding:
            return updated
        source = self.plan.env_source
        if source == "inherited":
            return updated
        if source.startswith("import:"):
            module = source.split(":", 1)[1]
            stmt = cst.parse_statement(f"from {module} import env\n")
            return self._insert_after_imports(updated, [stmt])
        parents = self.plan.dotenv_parents
        block = cst.parse_module(
            "env = environ.Env()\n"
            "# A local .env is read when there is one (keep it out of git); in production the\n"
            "# settings come from real environment variables.\n"
            "_parents = Path(__file__).resolve().parents\n"
            f'_env_file = _parents[min({parents}, len(_parents) - 1)] / ".env"\n'
            "if _env_file.is_file():\n"
            "    environ.Env.read_env(str(_env_file))\n"
        ).body
        imports = _env_imports(updated)
        if imports is None:
            need_import(self.context, "environ")
            need_import(self.context, "pathlib", "Path")
            imports = []
        return self._insert_after_imports(updated, list(block), imports)

    def _database_url_precedence(self, original: cst.Module, module: cst.Module) -> cst.Module:
        """DATABASES chosen by `if X: ... else: ...` (DEBUG, a flag, sys.argv): whatever branch
        runs, DATABASE_URL names the database when it is set, as the image, the PR's commands
        and the startup probes say. Each alias a branch assigns gets the override after the
        `if` statement, unless a branch already reads a database URL."""
        body = list(module.body)
        # an `if` kept as parsed, in a piece of the text that never names DATABASES, holds no
        # such assignment: not walked
        quiet = quiet_statements(original, lambda text: "DATABASES" in text)
        found = {
            index: assigns
            for index, stmt in enumerate(body)
            if isinstance(stmt, cst.If)
            and id(stmt) not in quiet
            and (assigns := find_all(stmt, _databases_dict))
        }
        # the code and the positions of the module only where an `if` chooses the databases
        if not found:
            return module
        if re.search(r"DATABASE_URL|\benv\.db(?:_url)?\(|dj_database_url", module.code):
            # the module reads a database URL already (`env.db_url` is django-environ's other
            # name of `env.db`): a second variable beside it would name the same thing
            return module
        top_lines = [self.line_of(stmt) for stmt in original.body]
        lines_of = dict(enumerate(top_lines)) if len(top_lines) == len(body) else {}
        # one override after the last `if` that chooses them (`if DB == "postgres": ...` then
        # `if DB == "mysql": ...`): each alias any of them assigns, once
        aliases: list[str] = []
        for index in sorted(found):
            for assign in found[index]:
                for element in assign.value.elements:  # type: ignore[union-attr]
                    if isinstance(element, cst.DictElement):
                        ok, alias = literal(element.key)
                        if ok and isinstance(alias, str) and alias not in aliases:
                            aliases.append(alias)
        if not aliases:
            return module
        last = max(found)
        lines = []
        for alias in aliases:
            var = "DATABASE_URL" if alias == "default" else f"{alias.upper()}_DATABASE_URL"
            var_code, alias_code = self.literal_code(var), self.literal_code(alias)
            lines.append(
                f'if env.str({var_code}, default=""):\n'
                f"    DATABASES[{alias_code}] = env.db({var_code})\n"
            )
            self.add_variable(
                EnvVariable(
                    var,
                    f"Database '{alias}' as a URL (scheme://user:password@host:port/name); "
                    "when set, it overrides the DATABASES chosen in the settings.",
                    "",
                )
            )
            self.result.rewritten.append((f"DATABASES[{alias!r}]", lines_of.get(last, 0)))
        block = cst.parse_module("".join(lines)).body
        comment = "# DATABASE_URL, when it is set, names the database whichever branch ran"
        first = block[0].with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(comment))]
        )
        out = [*body[: last + 1], first, *block[1:], *body[last + 1 :]]
        self.uses_env = True
        return module.with_changes(body=out) if len(out) != len(body) else module

    @staticmethod
    def _insert_after_imports(
        module: cst.Module, statements: list, imports: Sequence[cst.BaseStatement] = ()
    ) -> cst.Module:
        """`statements` after the module's imports (and docstring), a blank line around them;
        `imports` go right after the module's own, as LibCST's AddImportsVisitor puts them."""
        body = list(module.body)
        index = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
            ):
                index = i + 1
            elif i == 0 and is_docstring_line(stmt):
                index = 1  # module docstring
            else:
                break
        first = statements[0]
        statements[0] = first.with_changes(
            leading_lines=[cst.EmptyLine(), *getattr(first, "leading_lines", [])]
        )
        if index < len(body):
            nxt = body[index]
            if not getattr(nxt, "leading_lines", None):
                body[index] = nxt.with_changes(leading_lines=[cst.EmptyLine()])
        return module.with_changes(body=[*body[:index], *imports, *statements, *body[index:]])


class _EnvCalls(cst.CSTVisitor):
    """The calls through `env` in a module, each with whether it is inside a def, a class or a
    lambda (where the settings rewrite changes no call)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.found: list[tuple[cst.Call, bool]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if is_name(node.func, "env") or is_attribute(node.func, of="env"):
            self.found.append((node, self.depth > 0))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.depth += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.depth -= 1


def _databases_dict(node: cst.CSTNode) -> bool:
    """`DATABASES = {...}`."""
    return is_single_assign(node, "DATABASES") and isinstance(node.value, cst.Dict)  # type: ignore[attr-defined]


def _env_imports(module: cst.Module) -> list[cst.BaseStatement] | None:
    """`import environ` and `from pathlib import Path`, those of the two the module lacks, made
    as LibCST's AddImportsVisitor makes them, for the place `_insert_after_imports` chooses:
    its full pass over the module is saved. None where that visitor would do something else
    (merge Path into another `from pathlib import`, or find the end of the imports elsewhere):
    it is asked to do it then."""
    present: set[str] = set()
    pathlib_from = False
    body = module.body
    start = 0
    if body and is_docstring_line(body[0]):
        start = 1
    elif (
        body
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and is_single_assign(body[0].body[0], "__strict__")
    ):
        return None  # AddImportsVisitor keeps its imports below a __strict__ flag
    leading = True
    for stmt in body[start:]:
        if not (
            isinstance(stmt, cst.SimpleStatementLine)
            and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
        ):
            leading = False
            continue
        if leading and len(stmt.body) != 1:
            return None  # `import a; import b` ends its import block, not the codemod's
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None:
                pathlib_from |= cst.Module([]).code_for_node(small.module).endswith("pathlib")
            if isinstance(small, cst.Import) or not isinstance(small.names, cst.ImportStar):
                present.update(normalised_imports(small))
    imports: list[cst.BaseStatement] = []
    config = module.config_for_parsing
    if "import environ" not in present:
        imports.append(cst.parse_statement("import environ", config=config))
    if "from pathlib import Path" not in present:
        if pathlib_from:
            return None  # AddImportsVisitor adds Path to that statement
        imports.append(cst.parse_statement("from pathlib import Path", config=config))
    return imports


def import_aliases(source: str) -> dict[str, str]:
    """The names a module binds with its top-level imports, and what they are, plus `env` when
    the module binds it: what `from module import *` hands to the modules that import it."""
    command = SettingsToEnv(Context(), Plan())
    command.source = source
    command.visit_Module(parse_module(source))
    aliases = {k: v for k, v in command.aliases.items() if not k.startswith("_")}
    if command.has_env_binding:
        aliases["env"] = "environ.Env()"
    elif command.environs_bound:
        aliases["env"] = "environs.Env()"
    return aliases


def binds_environs(source: str) -> bool:
    """True when the module binds `env = Env()` of environs itself."""
    if "environs" not in source:
        return False
    command = SettingsToEnv(Context(), Plan())
    command.source = source
    command.visit_Module(parse_module(source))
    return command.environs_bound


def env_calls_lacking(source: str) -> list[tuple[str, int]]:
    """(call, line) of the calls a module that does not bind `env` makes on the environs `env`
    it gets from a star import, that django-environ's Env lacks or reads differently; [] for a
    module that binds `env`."""
    plan = Plan(env_source="inherited", convert=False, environs_inherited=True)
    return transform(source, plan).env_calls_lacking


def env_scheme(source: str) -> bool:
    """True when the module binds `env = environ.Env(...)` with a scheme (casts by name)."""
    command = SettingsToEnv(Context(), Plan())
    command.source = source
    command.visit_Module(parse_module(source))
    return bool(command.env_has_scheme)


# the imports `ensure_env` may remove once `env` reads replaced their uses (see leave_Module)
_CLEANUP_MODULES = frozenset({"os", "decouple", "environs"})
_ENV_CLASSES = ("environ.Env", "environ.environ.Env")
_ENSURED: dict[tuple[str, str, bool, int, bool], str] = {}  # ensure_env's answers, by input
_ENSURED_MAX = 8  # a run asks about one module a few times in a row
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def ensure_env(source: str, plan: Plan, tree: Callable[[], ast.Module | None] | None = None) -> str:
    """Create or import `env` in a module whose code uses it without binding it (after other
    codemods added `env.int(...)` and the like); nothing else changes. `tree`, where the
    caller keeps the module's parsed `ast` tree, gives it (else it is parsed here)."""
    key = (
        source,
        plan.env_source,
        plan.config,
        plan.dotenv_parents,
        plan.keep_imports,
        plan.environs_inherited,
    )
    code = _ENSURED.get(key)
    if code is None:
        code = _ensure_env(source, plan, tree)
        if len(_ENSURED) >= _ENSURED_MAX:
            _ENSURED.pop(next(iter(_ENSURED)))
        _ENSURED[key] = code
    return code


def _ensure_env(source: str, plan: Plan, tree: Callable[[], ast.Module | None] | None) -> str:
    if re.search(r"\benv\b", source) is None:
        return source  # no name `env` at all
    if foreign_env_line(source) is not None:
        return source  # the module's own `env` (os.environ, a function): not django-environ's
    if _nothing_to_ensure(source, plan.env_source == "inherited", tree):
        return source
    module = parse_module(source)
    if not find_all(module, lambda n: is_name(n, "env")):
        return source
    command = SettingsToEnv(
        Context(),
        Plan(
            plan.env_source,
            plan.config,
            plan.dotenv_parents,
            convert=False,
            keep_imports=plan.keep_imports,
            environs_inherited=plan.environs_inherited,
        ),
    )
    command.source = source
    command.uses_env = True
    return module_code(command.transform_module(module), module)


def _nothing_to_ensure(
    source: str, inherited: bool, given: Callable[[], ast.Module | None] | None = None
) -> bool:
    """True when a scan of the module's top level shows `ensure_env` would return it unchanged:
    `env` is bound there the way `SettingsToEnv.visit_Module` recognises (or a star import
    brings it), and no import of os, decouple or environs has lost its last use, so no import
    is removed. False whenever the scan cannot tell: the full pass decides then."""
    tree = given() if given is not None else None
    if tree is None:
        enabled = gc.isenabled()
        gc.disable()  # the tree's nodes hold no cycles: no collection while they are made
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        finally:
            if enabled:
                gc.enable()
    aliases: dict[str, str] = {}
    bound = inherited
    cleanup: list[str] = []  # the names the imports the pass may remove bind
    rest: list[str] = []  # the top-level statements other than imports
    lines = _LINES.findall(source)  # numbered as the parser numbers them (not at form feeds)
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                head = alias.name.split(".")[0]
                local = alias.asname or head
                aliases[local] = alias.name if alias.asname else head
                if head in _CLEANUP_MODULES:
                    cleanup.append(local)
            continue
        if isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            for alias in stmt.names:
                if alias.name == "*":
                    return False  # what it binds is not known here
                local = alias.asname or alias.name
                aliases[local] = f"{module}.{alias.name}"
                if local == "env":
                    bound = True
                if module.split(".")[0] in _CLEANUP_MODULES:
                    cleanup.append(local)
            continue
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "env"
            and isinstance(stmt.value, ast.Call)
        ):
            dotted = _dotted(stmt.value.func)
            if dotted is None or _segment(lines, stmt.value.func) != dotted:
                return False
            head, _, tail = dotted.partition(".")
            base = aliases.get(head, head if head == "os" else None)
            qualified = dotted if base is None else (f"{base}.{tail}" if tail else base)
            if qualified in _ENV_CLASSES:
                bound = True
        rest.append("".join(lines[stmt.lineno - 1 : stmt.end_lineno]))
    if not bound:
        return False
    code = "".join(rest)
    return all(re.search(rf"(?<![\w.]){re.escape(name)}\b", code) for name in cleanup)


def _segment(lines: list[str], node: ast.expr) -> str | None:
    """`ast.get_source_segment` on the module's lines, split once (it splits the whole module
    again at every call)."""
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset : node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset :].decode()
    tail = lines[last].encode()[: node.end_col_offset].decode()
    return "".join([head, *lines[first + 1 : last], tail])


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def transform(source: str, plan: Plan) -> Result:
    """Rewrite one settings module. Raises libcst.ParserSyntaxError on unparsable input."""
    command = SettingsToEnv(Context(), plan)
    command.source = source
    module = parse_module(source)
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
