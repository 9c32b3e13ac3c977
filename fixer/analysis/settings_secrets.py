"""Secrets committed in settings modules, as item 5 (DJ050) finds them: the walk over one
module's statements, what makes a value a secret (its name, a password in a URL, a known token
format) and how a message names it without its value."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fixer import redaction
from fixer.analysis.ci_branches import ci_only_branch
from fixer.discovery.services import mask_url
from fixer.settings_values import EnvHelper

_SECRET_NAME = re.compile(r"(^|_)(SECRET|TOKEN|PASSWORD|PASSWD|PASS)$|_KEY$|^SECRET_KEY_FALLBACKS$")
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/@\s:]*:[^/@\s]+@")
_URL_WITH_USER = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/@\s]+@")


def secret_name(name: str) -> bool:
    upper = name.upper()
    if bool(_SECRET_NAME.search(upper)) and not any(n in upper for n in redaction.NOT_SECRET):
        return True
    return redaction.is_secret_name(name)  # a word of the name: GITHUB_TOKEN_VALUE, APIKEY


def masked_url(url: str) -> str:
    masked = mask_url(url)
    try:
        return urlsplit(masked)._replace(query="", fragment="").geturl()
    except ValueError:
        return "<URL>"


def secret_kind(ctx: tuple[str, ...], var: str | None, value: str) -> str | None:
    """How `value` is a secret (for the message, without the value), or None."""
    if not value.strip():
        return None
    name = ctx[-1] if ctx else ""
    # the user-info runs to the last "@" before the host: a password may hold raw / ? # @ :
    if _URL_WITH_PASSWORD.match(value) or redaction.url_password(value):
        return f"a password in {masked_url(value)}"
    if name.upper().endswith("_DSN") and redaction.split_userinfo(value) is not None:
        return f"a key in {masked_url(value)}"
    # a key of a dict that maps actions to their forms or limits names the action
    in_property_map = len(ctx) >= 2 and redaction.is_property_map(ctx[-2])
    by_name = (secret_name(name) and not in_property_map) or (var is not None and secret_name(var))
    if by_name and not (
        redaction.holds_no_secret(name, value) or redaction.is_code_path(name, value)
    ):
        return f"{article(len(value))} {len(value)}-character string"
    if redaction.looks_like_token(value):
        return f"a token in a known format ({article(len(value))} {len(value)}-character string)"
    return None


def article(number: int) -> str:
    """The article before `number` as it is read: "an" for eight, eleven, eighteen, eighty,
    eight hundred, eleven thousand..., else "a"."""
    digits = str(number)
    lead = digits[: len(digits) % 3 or 3]  # the group read first: "11" of 11000
    return "an" if lead.startswith("8") or lead in ("11", "18") else "a"


def setting_label(ctx: tuple[str, ...]) -> str:
    return ctx[0] + "".join(f"[{k!r}]" for k in ctx[1:])


@dataclass
class Secret:
    ctx: tuple[str, ...]
    kind: str
    default: bool
    line: int
    column: int
    owner: str | None = None  # the class whose attribute it is
    helper: EnvHelper | None = None  # the project's own reader whose default it is


class SecretScanner:
    """Walks the module-level statements of one settings file for committed secrets."""

    def __init__(
        self, rel: str, env_positions: dict[tuple[str, int, int], EnvHelper | None]
    ) -> None:
        self.rel = rel
        self.env_positions = env_positions
        self.found: list[Secret] = []
        self.owner: str | None = None
        self.helper: EnvHelper | None = None  # the reader whose default is being looked at

    def statements(self, body: list[ast.stmt], depth: int = 0) -> None:
        if depth > 10:
            return
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    ctx = target_ctx(target)
                    if ctx:
                        self.value(stmt.value, ctx, literal_ok=True)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                ctx = target_ctx(stmt.target)
                if ctx:
                    self.value(stmt.value, ctx, literal_ok=True)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self.mutation(stmt.value)
            elif isinstance(stmt, ast.If):
                # a branch that runs only in CI or a test run sets up a throwaway database
                # (`if os.environ.get("GITHUB_ACTIONS"):`): its password is no deployment's
                ci = ci_only_branch(stmt.test)
                if ci != "body":
                    self.statements(stmt.body, depth + 1)
                if ci != "orelse":
                    self.statements(stmt.orelse, depth + 1)
            elif isinstance(stmt, ast.Try):
                self.statements(stmt.body, depth + 1)
                for handler in stmt.handlers:
                    self.statements(handler.body, depth + 1)
                self.statements(stmt.orelse, depth + 1)
                self.statements(stmt.finalbody, depth + 1)
            elif isinstance(stmt, (ast.With, ast.For, ast.While)):
                self.statements(stmt.body, depth + 1)
            elif isinstance(stmt, ast.ClassDef) and self.owner is None:
                # settings written as class attributes (copied into the module at run time, or
                # a django-configurations class): the secret is committed all the same
                self.owner = stmt.name
                self.statements(stmt.body, depth + 1)
                self.owner = None

    def mutation(self, call: ast.Call) -> None:
        """`DATABASES["default"].update({...})` and `X.setdefault("PASSWORD", "...")`."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        ctx = target_ctx(func.value)
        if not ctx:
            return
        if func.attr == "update" and call.args and isinstance(call.args[0], ast.Dict):
            self.value(call.args[0], ctx, literal_ok=True)
        elif func.attr == "setdefault" and len(call.args) == 2:
            key = call.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                self.value(call.args[1], (*ctx, str(key.value)), literal_ok=True)

    def _position(self, node: ast.AST) -> tuple[str, int, int]:
        return (self.rel, getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)

    def is_env_read(self, node: ast.AST) -> bool:
        return self._position(node) in self.env_positions

    def value(
        self,
        node: ast.AST,
        ctx: tuple[str, ...],
        literal_ok: bool,
        default: bool = False,
        var: str | None = None,
        depth: int = 0,
    ) -> None:
        if depth > 30:
            return
        nxt = depth + 1
        if isinstance(node, ast.Constant):
            if literal_ok and isinstance(node.value, str):
                kind = secret_kind(ctx, var, node.value)
                if kind is not None:
                    self.found.append(
                        Secret(
                            ctx,
                            kind,
                            default,
                            node.lineno,
                            node.col_offset + 1,
                            self.owner,
                            self.helper if default else None,
                        )
                    )
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                    self.value(value, (*ctx, str(key.value)), literal_ok, default, var, nxt)
                else:
                    self.value(value, ctx, False, default, var, nxt)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for index, elt in enumerate(node.elts):
                # (default, "help text"[, type]), as django-constance's CONSTANCE_CONFIG holds
                # them: words after the value describe it
                prose = isinstance(node, ast.Tuple) and index > 0 and _reads_as_prose(elt)
                self.value(elt, ctx, literal_ok and not prose, default, var, nxt)
        elif isinstance(node, ast.BinOp):
            self.value(node.left, ctx, literal_ok, default, var, nxt)
            self.value(node.right, ctx, literal_ok, default, var, nxt)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.value(v, ctx, literal_ok, default, var, nxt)
        elif isinstance(node, ast.IfExp):
            self.value(node.body, ctx, literal_ok, default, var, nxt)
            self.value(node.orelse, ctx, literal_ok, default, var, nxt)
        elif isinstance(node, ast.Subscript):
            self.value(node.value, ctx, False, default, var, nxt)
        elif isinstance(node, ast.Call):
            self.call(node, ctx, literal_ok, default, var, nxt)

    def call(
        self,
        node: ast.Call,
        ctx: tuple[str, ...],
        literal_ok: bool,
        default: bool,
        var: str | None,
        depth: int,
    ) -> None:
        if self.is_env_read(node):
            first = node.args[0] if node.args else None
            env_var = first.value if isinstance(first, ast.Constant) else None
            env_var = env_var if isinstance(env_var, str) else None
            helper = self.env_positions[self._position(node)]
            if helper is not None:
                # the project's own reader: its default is the argument of its default parameter
                index = helper.params.index(helper.default_param) if helper.default_param else -1
                fallback = next(
                    (k.value for k in node.keywords if k.arg == helper.default_param), None
                )
                if fallback is None and 0 <= index < len(node.args):
                    fallback = node.args[index]
            else:
                fallback = next((k.value for k in node.keywords if k.arg == "default"), None)
                if fallback is None and len(node.args) > 1:
                    fallback = node.args[1]
            if fallback is not None:
                self.helper = helper
                self.value(fallback, ctx, True, True, env_var, depth)
                self.helper = None
            return
        if isinstance(node.func, ast.Name) and node.func.id == "dict":
            for kw in node.keywords:
                if kw.arg:
                    self.value(kw.value, (*ctx, kw.arg), literal_ok, default, var, depth)
            return
        # Any other call (str(), Path(), open(...).read()): its literal arguments are not the
        # setting's value, but an environment read inside it can still carry a default.
        if isinstance(node.func, ast.Attribute):
            self.value(node.func.value, ctx, False, default, var, depth)
        for arg in node.args:
            self.value(arg, ctx, False, default, var, depth)
        for kw in node.keywords:
            self.value(kw.value, ctx, False, default, var, depth)


def _reads_as_prose(node: ast.AST) -> bool:
    """A string of several words: a description, not a key."""
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and len(re.findall(r"[A-Za-z]{2,}", node.value)) >= 3
        and " " in node.value.strip()
    )


def target_ctx(target: ast.AST) -> tuple[str, ...] | None:
    """("DATABASES", "default", "PASSWORD") for `DATABASES["default"]["PASSWORD"]`."""
    keys: list[str] = []
    node = target
    while isinstance(node, ast.Subscript):
        key = node.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, (str, int))):
            return None
        keys.append(str(key.value))
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return (node.id, *reversed(keys))
