"""Settings assignments to django-environ: `SECRET_KEY`, secrets and URLs with credentials,
and (when the plan moves configuration) DEBUG, ALLOWED_HOSTS, DATABASES entries (one database
URL each) and Redis CACHES locations become `env(...)` reads; a DEBUG read that turns debug on
in production (or fails on DEBUG=False) becomes `env.bool(..., default=False)`.

`SettingValues` is the second layer of `settings_env.SettingsToEnv`, over `EnvReads`.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

import libcst as cst

from codemods import cst_tools
from codemods.cst_tools import is_name
from codemods.env_calls import (
    SECRET_KEY_COMMENT,
    TRUTHY,
    EnvVariable,
    allowed_hosts_variable,
    cast_literal,
    env_parts,
)
from codemods.env_reads import EnvReads
from codemods.secret_values import (
    has_credentials,
    is_secret_name,
    is_secret_value,
    is_service_url,
    strip_credentials,
)

ENGINE_SCHEMES = {
    "django.db.backends.postgresql": "postgres",
    "django.db.backends.postgresql_psycopg2": "postgres",
    "django.contrib.gis.db.backends.postgis": "postgis",
    "django.db.backends.mysql": "mysql",
    "django.contrib.gis.db.backends.mysql": "mysqlgis",
    "django.db.backends.sqlite3": "sqlite",
    "django.contrib.gis.db.backends.spatialite": "spatialite",
    "django.db.backends.oracle": "oracle",
    "django.contrib.gis.db.backends.oracle": "oraclegis",
}
DB_URL_KEYS = {"ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"}


def secret_key_has_fallback(module: cst.Module) -> bool:
    """Whether module-level code replaces an unset SECRET_KEY itself: an `if` whose test reads
    SECRET_KEY and whose body assigns it (`if not SECRET_KEY: SECRET_KEY = make_key()`). There
    an empty default is the author's signal to generate a key, not a missing one.

    Only the module's statements and the blocks of its compound statements are looked at (not
    every node, nor functions and classes): a visit of the whole tree cost a long settings
    module about as much as the rewrite itself."""
    todo: list[cst.CSTNode] = list(module.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
            continue
        if (
            isinstance(stmt, cst.If)
            and _reads_secret_key(stmt.test)
            and _assigns_secret_key(stmt.body)
        ):
            return True
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, cst.BaseSuite):
                todo.extend(block.body)  # type: ignore[arg-type]
            elif isinstance(block, (cst.If, cst.Else, cst.Finally)):
                todo.append(block)  # `elif` is an If in the first one's orelse
        for handler in getattr(stmt, "handlers", ()):
            todo.append(handler)
    return False


def _reads_secret_key(test: cst.BaseExpression) -> bool:
    class _Reads(cst.CSTVisitor):
        found = False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == "SECRET_KEY":
                self.found = True

    visitor = _Reads()
    test.visit(visitor)
    return visitor.found


def _assigns_secret_key(block: cst.CSTNode) -> bool:
    class _Assigns(cst.CSTVisitor):
        found = False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if is_name(node.target, "SECRET_KEY"):
                self.found = True

    visitor = _Assigns()
    block.visit(visitor)
    return visitor.found


class SettingValues(EnvReads):
    """Rewrites the values of module-level settings assignments."""

    #: the module generates a key when SECRET_KEY is empty (set by `visit_Module`)
    secret_key_fallback = False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign):
        current, self.current_setting = self.current_setting, None
        if not self.plan.convert or self.depth or len(updated.targets) != 1:
            return updated
        if self.plan.only is not None and current not in self.plan.only:
            return updated
        target = updated.targets[0].target
        if not isinstance(target, cst.Name) or not target.value.isupper():
            return updated
        name = target.value
        line = self.line_of(original)
        if name == "SECRET_KEY":
            updated = self._required_secret_key(updated, line)
        if self.block_depth:
            # a setting chosen by a condition (CI, a feature flag): the author's choice per
            # case; its environment reads were converted, its literals are left alone
            ok, literal = cst_tools.literal(updated.value)
            if ok and (name == "SECRET_KEY" or is_secret_name(name)) and literal:
                self.result.left.append(
                    (
                        name,
                        line,
                        "it is set inside a block (if/try/with/for): djfix does not "
                        "rewrite conditional settings",
                    )
                )
            return updated
        if name == "DEBUG" and self.plan.config:
            debug = self._debug_read(original.value, updated.value)
            if debug is None and isinstance(original.value, cst.Comparison):
                parts = env_parts(updated.value) if isinstance(updated.value, cst.Call) else None
                if parts and parts[0] == "bool" and parts[1]:
                    old_code = cst.Module([]).code_for_node(original.value)
                    self.result.notes.append(
                        f"DEBUG (line {line}) was read as `{old_code}`, which recognises only "
                        f'the spellings it lists; it is now env.bool("{parts[1]}", '
                        "default=False): off unless the environment says True"
                    )
            if debug is not None:
                var, truthy_default, bug = debug
                # production must not depend on remembering DEBUG=False: the default is off,
                # and a developer's True moves to the untracked .env
                self.add_variable(
                    EnvVariable(
                        var,
                        "Debug mode: True only on a developer's machine.",
                        "False",
                        "True" if truthy_default else None,
                    )
                )
                for variable in self.result.variables:
                    if variable.name == var:
                        variable.example = "False"  # a value env.bool parses, and off
                if bug:
                    old_code = cst.Module([]).code_for_node(original.value)
                    self.result.notes.append(
                        f"DEBUG (line {line}) was read as `{old_code}`, {bug}; it is now "
                        f'env.bool("{var}", default=False): off unless the environment says '
                        "True"
                    )
                self.result.rewritten.append((name, line))
                return updated.with_changes(value=self.env_call("bool", var, False))
        new_value = self._setting_value(name, updated.value, line)
        if new_value is None:
            return updated
        self.uses_env = True
        self.result.rewritten.append((name, line))
        return updated.with_changes(value=new_value)

    _BOOL_WORDS: ClassVar[set[str]] = TRUTHY | {"false", "off", "n", "no", "0", ""}
    _STRING_METHODS: ClassVar[set[str]] = {"lower", "upper", "strip", "casefold", "title"}

    def _debug_read(
        self, original: cst.BaseExpression, node: cst.BaseExpression
    ) -> tuple[str, bool, str] | None:
        """(variable, old default was on, what was wrong) when DEBUG reads one variable in a
        form other than `env.bool(X, default=False)`; None when it is that, or not a read of a
        debug flag (`env("ENVIRONMENT") == "dev"` reads another thing)."""
        kind = "plain"
        while True:
            if isinstance(node, cst.Call) and env_parts(node) is not None:
                break
            if (
                isinstance(node, cst.Call)
                and is_name(node.func, "bool", "int", "str")
                and len(node.args) == 1
                and node.args[0].keyword is None
            ):
                kind = {"bool": "truthy", "int": "int", "str": kind}[node.func.value]  # type: ignore[union-attr]
                if kind == "int" and isinstance(node.args[0].value, cst.Call):
                    inner = env_parts(node.args[0].value)
                    kind = "int" if inner and inner[0] in (None, "str", "int") else kind
                node = node.args[0].value
                continue
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in self._STRING_METHODS
                and not node.args
            ):
                node = node.func.value
                continue
            if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
                ok, lit = cst_tools.literal(node.comparisons[0].comparator)
                values = lit if isinstance(lit, (list, tuple, set)) else [lit]
                if not ok or not all(
                    isinstance(v, (str, int)) and str(v).lower() in self._BOOL_WORDS for v in values
                ):
                    return None
                negated = isinstance(node.comparisons[0].operator, (cst.NotEqual, cst.NotIn))
                kind = "negated" if negated else "compared"
                node = node.left
                continue
            return None
        parts = env_parts(node)
        assert parts is not None
        method, var, default = parts
        if not var or method not in (None, "str", "int", "bool"):
            return None
        truthy_default = False
        if default is not None:
            ok, value = cst_tools.literal(default)
            truthy_default = ok and cast_literal(value, "bool") == (True, True)
        if kind == "plain" and method == "bool" and not truthy_default:
            return None  # already env.bool with production off
        if kind == "plain" and method is None and not truthy_default:
            # the author's own env("DEBUG") may be cast by a scheme (environ.Env(DEBUG=...));
            # a read djfix converted, or one of an Env() without a scheme, is a plain string
            converted = not (isinstance(original, cst.Call) and env_parts(original))
            if not converted and self.env_has_scheme is not False:
                return None
        if kind == "int" or (kind == "plain" and method == "int") or _bool_of_int(original):
            # `bool(int(os.getenv("DEBUG", "0")))` reads a number: never on by accident
            bug = 'which stops the start on DEBUG=False (int("False") fails)'
        elif kind == "compared":
            bug = "which recognises only the spellings it lists"
        elif kind == "plain" and method == "bool":
            bug = "which turns debug on in production when DEBUG is not set"
        else:
            bug = 'which is a bug: any non-empty string, "False" included, counted as on'
        return var, truthy_default, bug

    def _required_secret_key(self, updated: cst.Assign, line: int) -> cst.Assign:
        """SECRET_KEY = env(X, default=None / "") -> env(X): a missing key fails at start,
        not later with an empty key (Django refuses it) or warning W009. Left alone where the
        module makes a key itself when the read gives none (`secret_key_has_fallback`): making
        the variable required would stop the deployments that rely on that."""
        if self.secret_key_fallback:
            return updated
        value = updated.value
        fallback: Any = None
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            # `os.environ.get("SECRET_KEY") or None` / `... or "dev-key"`: an unset or empty
            # variable gives the right side, which is no key (None, "") or a committed one
            ok, fallback = cst_tools.literal(value.right)
            if not ok or not (fallback is None or isinstance(fallback, str)):
                return updated
            value = value.left
        if not isinstance(value, cst.Call):
            return updated
        parts = env_parts(value)
        if parts is None or parts[0] not in (None, "str") or not parts[1] or parts[2] is None:
            return updated
        ok, default = cst_tools.literal(parts[2])
        if not ok or default not in (None, ""):
            return updated
        var = parts[1]
        args = [a for a in value.args if a.value is not parts[2]]
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        # a committed fallback key moves to the untracked .env, like a literal SECRET_KEY
        self.add_variable(
            EnvVariable(
                var,
                SECRET_KEY_COMMENT,
                "",
                fallback or None,
                True,
                True,
                setting="SECRET_KEY" if fallback else None,
                setting_line=line if fallback else 0,
            )
        )
        for variable in self.result.variables:
            if variable.name == var:
                variable.comment = SECRET_KEY_COMMENT
                variable.example = "change-me-to-a-long-random-string"
                variable.required = True
        self.uses_env = True
        return updated.with_changes(value=value.with_changes(args=args))

    def _setting_value(self, name: str, value: cst.BaseExpression, line: int):
        ok, literal = cst_tools.literal(value)
        if name == "SECRET_KEY":
            if ok and isinstance(literal, str) and literal:
                self.add_variable(
                    EnvVariable(
                        "SECRET_KEY",
                        SECRET_KEY_COMMENT,
                        "change-me-to-a-long-random-string",
                        literal,
                        True,
                        True,
                        setting=name,
                        setting_line=line,
                    )
                )
                return self.env_call(None, "SECRET_KEY")
            return None
        if is_secret_value(name, literal if ok else None):
            if ok and isinstance(literal, str) and literal:
                example = strip_credentials(literal) if has_credentials(literal) else ""
                self.add_variable(
                    EnvVariable(
                        name,
                        f"{name} (secret).",
                        example or "",
                        literal,
                        True,
                        setting=name,
                        setting_line=line,
                    )
                )
                return self.env_call(None, name, example)
            return None
        if ok and isinstance(literal, str) and "://" in literal and has_credentials(literal):
            safe = strip_credentials(literal)
            self.add_variable(
                EnvVariable(
                    name,
                    f"{name} (its credentials are a secret).",
                    safe,
                    literal,
                    True,
                    setting=name,
                    setting_line=line,
                )
            )
            return self.env_call(None, name, safe)
        if not self.plan.config:
            return None
        if name == "DEBUG" and ok and isinstance(literal, bool):
            self.add_variable(
                EnvVariable(
                    "DEBUG",
                    "Debug mode: True only on a developer's machine.",
                    "False",
                    "True" if literal else None,
                )
            )
            return self.env_call("bool", "DEBUG", False)
        if name == "ALLOWED_HOSTS" and ok and isinstance(literal, (list, tuple)):
            if all(isinstance(h, str) for h in literal):
                self.add_variable(allowed_hosts_variable(",".join(literal) or None))
                if cst_tools.comments_in(value):
                    # the author's comments live in the literal's whitespace: it stays the
                    # default as written, not a list rebuilt from its values
                    return self.env_call(
                        "list",
                        "ALLOWED_HOSTS",
                        default_node=cst_tools.as_list(value),  # type: ignore[arg-type]
                    )
                return self.env_call("list", "ALLOWED_HOSTS", list(literal))
            return None
        if name == "DATABASES" and isinstance(value, cst.Dict):
            return self._databases(value, line)
        if name == "CACHES" and isinstance(value, cst.Dict):
            return self._caches(value, line)
        if ok and isinstance(literal, str) and is_service_url(literal, name):
            self.add_variable(EnvVariable(name, f"{name}: the service's URL.", literal, None))
            return self.env_call(None, name, literal)
        return None

    def _databases(self, node: cst.Dict, line: int) -> cst.Dict | None:
        # (only reached for unconditional module-level assignments)
        changed = False
        elements = []
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                elements.append(element)
                continue
            ok, alias = cst_tools.literal(element.key)
            if not ok or not isinstance(alias, str) or not isinstance(element.value, cst.Dict):
                elements.append(element)
                continue
            new = self._database_entry(alias, element.value, line)
            if new is None:
                elements.append(element)
                continue
            new_value, comments = new
            changed = True
            if comments:
                node = self._comments_above(node, elements, comments)
            elements.append(element.with_changes(value=new_value))
        return node.with_changes(elements=elements) if changed else None

    def _comments_above(
        self, node: cst.Dict, before: list[cst.BaseDictElement], comments: list[cst.Comment]
    ) -> cst.Dict:
        """`node` with `comments` above its element that follows `before` (the elements laid
        out so far): its opening brace's whitespace, or the comma of the element before it."""
        if not before:
            ws = cst_tools.with_comment_lines(node.lbrace.whitespace_after, comments, self.unit)
            return node.with_changes(lbrace=node.lbrace.with_changes(whitespace_after=ws))
        previous = before[-1]
        comma = previous.comma if isinstance(previous.comma, cst.Comma) else cst.Comma()
        ws = cst_tools.with_comment_lines(comma.whitespace_after, comments, self.unit)
        before[-1] = previous.with_changes(comma=comma.with_changes(whitespace_after=ws))
        return node

    def _database_entry(
        self, alias: str, entry: cst.Dict, line: int
    ) -> tuple[cst.BaseExpression, list[cst.Comment]] | None:
        """The entry read from a database URL, and the comments to put above its key (those
        the new value has no place for); None when it cannot be one URL."""
        values: dict[str, cst.BaseExpression] = {}
        others: list[cst.BaseDictElement] = []
        folded: list[cst.DictElement] = []  # the keys that go into the URL
        for element in entry.elements:
            if isinstance(element, cst.DictElement):
                ok, key = cst_tools.literal(element.key)
                if ok and key in DB_URL_KEYS:
                    values[key] = element.value
                    folded.append(element)
                    continue
            others.append(element)
        prefix = "" if alias == "default" else f"{alias.upper()}_"
        var = f"{prefix}DATABASE_URL"
        ok, engine = cst_tools.literal(values["ENGINE"]) if "ENGINE" in values else (False, None)
        scheme = ENGINE_SCHEMES.get(engine) if ok else None
        if scheme is None:
            self.result.left.append(
                (
                    f"DATABASES[{alias!r}]",
                    line,
                    f"its ENGINE {engine!r} has no database URL scheme"
                    if ok
                    else "its ENGINE is not a literal",
                )
            )
            return None
        literal: dict[str, Any] = {}
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
            if key in values:
                ok, value = cst_tools.literal(values[key])
                if not ok or not isinstance(value, (str, int)):
                    if scheme in ("sqlite", "spatialite") and key == "NAME":
                        literal[key] = values[key]  # a path expression: kept as an expression
                        continue
                    self.result.left.append(
                        (
                            f"DATABASES[{alias!r}]",
                            line,
                            f"its {key} is computed, so it cannot become one URL",
                        )
                    )
                    return None
                literal[key] = str(value)
        if scheme in ("sqlite", "spatialite"):
            name = literal.get("NAME", "")
            if isinstance(name, cst.BaseExpression):
                code = cst.Module([]).code_for_node(name)
                # concatenation, not an f-string: any Python the project runs reads it
                default_node: cst.BaseExpression = cst.parse_expression(
                    f"{self.literal_code(scheme + ':///')} + str({code})"
                )
                example = f"{scheme}:///db.sqlite3"
            else:
                default_node = cst.parse_expression(self.literal_code(f"{scheme}:///{name}"))
                example = f"{scheme}:///{name}"
            dev_value = None
        else:
            user = quote(literal.get("USER", ""), safe="")
            host = literal.get("HOST", "")
            port = literal.get("PORT", "")
            netloc_host = f"{host}:{port}" if port else host
            path = "/" + quote(literal.get("NAME", ""), safe="")
            auth = f"{user}@" if user else ""
            default_url = f"{scheme}://{auth}{netloc_host}{path}"
            default_node = cst.parse_expression(self.literal_code(default_url))
            example = default_url
            dev_value = None
            if literal.get("PASSWORD"):
                password = quote(literal["PASSWORD"], safe="")
                dev_value = f"{scheme}://{user}:{password}@{netloc_host}{path}"
                example = f"{scheme}://{user or 'user'}:password@{netloc_host}{path}"
        self.add_variable(
            EnvVariable(
                var,
                f"Database '{alias}' as a URL (scheme://user:password@host:port/name).",
                example,
                dev_value,
                secret=dev_value is not None,
                setting=f"DATABASES[{alias!r}][{'PASSWORD'!r}]" if dev_value else None,
                setting_line=line,
            )
        )
        call = self.env_call("db", var, default_node=default_node)
        if not others:
            # the entry becomes one call: the comments inside it go above its key
            return call, cst_tools.comments_in(entry)
        # the spread takes the place (and the comma with its line break) of the first key; the
        # comments of the other keys folded into the URL go on lines of their own after it
        first = entry.elements[0]
        spread = cst.StarredDictElement(value=call, comma=first.comma)
        moved = [
            comment
            for element in folded
            for comment in cst_tools.comments_in(
                element.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                if element is first
                else element
            )
        ]
        if moved and isinstance(spread.comma, cst.Comma):
            ws = cst_tools.with_comment_lines(spread.comma.whitespace_after, moved, self.unit)
            spread = spread.with_changes(comma=spread.comma.with_changes(whitespace_after=ws))
        return entry.with_changes(elements=[spread, *others]), []

    def _caches(self, node: cst.Dict, line: int = 0) -> cst.Dict | None:
        changed = False
        elements = []
        for element in node.elements:
            new = element
            if isinstance(element, cst.DictElement) and isinstance(element.value, cst.Dict):
                ok, alias = cst_tools.literal(element.key)
                conf = element.value
                backend = next(
                    (
                        cst_tools.literal(e.value)[1]
                        for e in conf.elements
                        if isinstance(e, cst.DictElement)
                        and cst_tools.literal(e.key) == (True, "BACKEND")
                    ),
                    None,
                )
                if ok and isinstance(backend, str) and "redis" in backend.lower():
                    var = "REDIS_URL" if alias == "default" else f"{str(alias).upper()}_REDIS_URL"
                    new_conf = self._location_from_env(conf, var, f"CACHES[{alias!r}]", line)
                    if new_conf is not None:
                        changed = True
                        new = element.with_changes(value=new_conf)
            elements.append(new)
        return node.with_changes(elements=elements) if changed else None

    def _location_from_env(
        self, conf: cst.Dict, var: str, label: str, line: int = 0
    ) -> cst.Dict | None:
        out = []
        changed = False
        for e in conf.elements:
            if isinstance(e, cst.DictElement) and cst_tools.literal(e.key) == (True, "LOCATION"):
                ok, location = cst_tools.literal(e.value)
                if ok and isinstance(location, str):
                    safe = strip_credentials(location)
                    secret = safe != location
                    self.add_variable(
                        EnvVariable(
                            var,
                            "Redis used as the cache (redis://host:port/db).",
                            safe,
                            location if secret else None,
                            secret,
                            setting=f"{label}['LOCATION']" if secret else None,
                            setting_line=line,
                        )
                    )
                    e = e.with_changes(value=self.env_call(None, var, safe))
                    changed = True
            out.append(e)
        return conf.with_changes(elements=out) if changed else None


def _bool_of_int(node: cst.BaseExpression) -> bool:
    """`bool(int(...))` or `bool(env.int(...))` as the author wrote it: the text is parsed as a
    number (an int read that item 5 made of `bool(os.getenv("DEBUG", default=0))` is not)."""
    if not (isinstance(node, cst.Call) and is_name(node.func, "bool") and len(node.args) == 1):
        return False
    inner = node.args[0].value
    if not isinstance(inner, cst.Call):
        return False
    if is_name(inner.func, "int"):
        return True
    parts = env_parts(inner)
    return parts is not None and parts[0] == "int"
