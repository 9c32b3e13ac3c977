"""The values a settings module evaluates to, statically: Python literals, `EnvRef` for a value
read from the environment (with its cast and default), `EnvDict` for a settings dict parsed from
one, `Unknown` for everything else; and `SettingsModule`, the names a module binds, where, and
the environment reads it makes. `fixer.settings_eval` computes them; the checks read them."""

from __future__ import annotations

import ast
import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer.sources import NodeAt, PyFile


class Unknown:
    """A value djfix cannot know without running the code."""

    __slots__ = ("expr",)

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def __repr__(self) -> str:
        return f"Unknown({self.expr!r})"

    def __deepcopy__(self, memo: dict) -> Unknown:
        return self


#: the default of an environment read that has none
MISSING = object()


@dataclass(frozen=True, eq=False)
class EnvRef:
    """A value read from an environment variable.

    api: os.environ, os.getenv, decouple, environs, django-environ, dj-database-url, helper (a
    function of the project that wraps os.getenv: `helper` describes it)
    cast: None (string), bool, int, float, list, tuple, dict, db, cache, url, json, path
    """

    var: str | None
    api: str
    cast: str | None = None
    default: Any = MISSING
    path: str = ""
    line: int = 0
    column: int = 0
    kwargs: tuple[tuple[str, Any], ...] = ()
    helper: EnvHelper | None = None
    #: the project's function the setting passes the read's text through (`is_truthy(...)`)
    converter: TextToBool | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    def __deepcopy__(self, memo: dict) -> EnvRef:
        return self

    def with_cast(self, cast: str | None) -> EnvRef:
        return dataclasses.replace(self, cast=cast)

    def kwarg(self, name: str, default: Any = None) -> Any:
        return dict(self.kwargs).get(name, default)


@dataclass(frozen=True, eq=False)
class TextToBool:
    """A module-level function of the project that turns a text into a bool (`is_truthy(v)`:
    `if v.lower() in ("y", "yes", "true", "1"): return True`): applied to an environment read,
    the read is a bool whose default is what the function makes of the read's default.

    truths: the spellings it takes as true; folded: it lower-cases the text first; stripped:
    it strips the text first."""

    name: str
    path: str
    line: int
    truths: tuple[str, ...]
    folded: bool = False
    stripped: bool = False

    def __deepcopy__(self, memo: dict) -> TextToBool:
        return self

    def of(self, text: str) -> bool:
        """What the function returns for `text` (False for a spelling it does not take as true;
        the function may raise there instead, which a default it is given never does)."""
        if self.stripped:
            text = text.strip()
        return (text.lower() if self.folded else text) in self.truths


@dataclass(frozen=True, eq=False)
class EnvHelper:
    """A module-level function of the project that reads one environment variable: its first
    parameter names the variable, and what it returns comes from `os.getenv(name, default)` (or
    `os.environ.get` / `os.environ[name]`), passed through as text or converted. A call to it
    with a literal name is an environment read (`EnvRef` with api "helper").

    cast: None (the text), "bool", "int" or "float";
    truths: for a bool helper that compares the text (`v == "True"`), the spellings it takes as
    true; None when it takes any non-empty text (`bool(v)`);
    accepted: the only spellings it accepts (it raises on others: `if v not in (...)`), or None;
    default_param: the parameter whose argument is the read's default (None: the default is
    `fixed_default`, written in the function's own read)."""

    name: str
    path: str
    line: int
    params: tuple[str, ...]
    cast: str | None
    default_param: str | None
    param_defaults: tuple[tuple[str, Any], ...] = ()
    fixed_default: Any = MISSING
    truths: tuple[str, ...] | None = None
    accepted: tuple[str, ...] | None = None
    positional_only: int = 0  # how many of `params` cannot be passed by keyword
    positional: int = 1  # how many of `params` can be passed by position
    #: the text is lower-cased before it is compared (`v.lower() in ("true", "1")`)
    folded: bool = False
    #: the default is returned as it is passed (`if v is None: return default`), not parsed
    #: as the text is: a bool reader's default is then True or False, not a spelling
    raw_default: bool = False

    def __deepcopy__(self, memo: dict) -> EnvHelper:
        return self

    def is_true(self, text: str) -> bool | None:
        """What a bool helper returns for `text`; None where it raises."""
        if self.accepted is not None and text not in self.accepted:
            return None
        if self.folded:
            text = text.lower()
        return text in self.truths if self.truths is not None else text != ""

    @property
    def false_spelling(self) -> str | None:
        """The text a bool helper reads as False (the one it lists, else "False" or "")."""
        for candidate in (*(self.accepted or ()), "False", ""):
            if candidate and self.is_true(candidate) is False:
                return candidate
        return "" if self.is_true("") is False else None


class EnvDict(dict):
    """A settings dict parsed from an environment variable at run time (`env.db()`,
    `dj_database_url.config()`): the keys djfix knows (those set by keyword or assigned later)
    plus `ref`, the variable it comes from."""

    def __init__(self, ref: EnvRef, known: dict | None = None) -> None:
        super().__init__(known or {})
        self.ref = ref

    def __deepcopy__(self, memo: dict) -> EnvDict:
        return EnvDict(self.ref, copy.deepcopy(dict(self), memo))


URL_DICT_CASTS = {"db", "cache", "email", "search"}
_URL_DICT_KEYS = {
    "conn_max_age": "CONN_MAX_AGE",
    "conn_health_checks": "CONN_HEALTH_CHECKS",
    "engine": "ENGINE",
    "ssl_require": "OPTIONS",
}


def url_dict(ref: EnvRef) -> EnvDict:
    """The settings dict an URL read parses into, with the keys its keyword arguments set."""
    known = {
        _URL_DICT_KEYS[k]: v for k, v in ref.kwargs if k in _URL_DICT_KEYS and k != "ssl_require"
    }
    return EnvDict(ref, known)


@dataclass(frozen=True, eq=False)
class EnvFactory:
    """An object that reads the environment: `environ.Env()`, `environs.Env()`, decouple's
    `AutoConfig()`."""

    api: str
    #: django-environ's scheme: (variable, (cast, default)) pairs, default MISSING when unset
    scheme: tuple[tuple[str, tuple[str | None, Any]], ...] = ()

    def __deepcopy__(self, memo: dict) -> EnvFactory:
        return self


@dataclass
class Assignment:
    name: str
    value: Any
    path: str
    line: int
    column: int
    module: str
    # where the assignment's statement is: the node itself, or (kept by the evaluation, which
    # frees the file's tree when done) its place, which `node` finds again
    site: ast.AST | NodeAt | None = field(default=None, repr=False)
    conditional: bool = False

    @property
    def node(self) -> ast.AST | None:
        site = self.site
        return site.node if isinstance(site, NodeAt) else site


@dataclass
class EnvUse:
    """One place where a settings module reads the environment."""

    api: str
    var: str | None
    path: str
    line: int
    column: int
    setting: str | None
    ref: EnvRef | None = None  # the read itself: its cast and default
    literal_default: bool = True  # no default, or one written as a literal (not `not DEBUG`)
    #: made in a block that runs only under a condition (`if "X" in os.environ:`, try/except)
    conditional: bool = False
    #: made in a block that runs only where the variable is set (`if "X" in os.environ:`,
    #: `if os.getenv("X"):`): unset, the read never runs
    guarded: bool = False
    #: the read is one item of the list its setting is assigned (`HOSTS = [env("HOST")]`)
    one_item: bool = False


@dataclass
class SettingsModule:
    dotted: str
    path: Path | None
    rel: str | None
    names: dict[str, Assignment] = field(default_factory=dict)
    own: list[Assignment] = field(default_factory=list)
    star_imports: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    dynamic: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, reason)
    env_uses: list[EnvUse] = field(default_factory=list)
    #: variables read with an empty default whose absence the module raises on (`if not
    #: HOSTS: raise ImproperlyConfigured(...)`): a run must set them
    required_vars: list[str] = field(default_factory=list)
    file: PyFile | None = None
    missing: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        a = self.names.get(name)
        return a.value if a is not None else default

    def where(self, name: str) -> Assignment | None:
        return self.names.get(name)


def is_literal(value: Any) -> bool:
    """True for a value written in the source as a literal (no environment, nothing unknown)."""
    if isinstance(value, (Unknown, EnvRef, EnvFactory, EnvDict, EnvHelper)):
        return False
    if isinstance(value, dict):
        return all(is_literal(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_literal(v) for v in value)
    return True


def star_closure(modules: dict[str, SettingsModule], dotted: str, limit: int = 50) -> list[str]:
    """The modules `dotted` reaches through its star imports, nearest first (breadth first, at
    most `limit`), those the project does not hold included (their own imports unknown)."""
    out: list[str] = []
    todo = list(modules[dotted].star_imports) if dotted in modules else []
    while todo and len(out) < limit:
        current = todo.pop(0)
        if current in out:
            continue
        out.append(current)
        if current in modules:
            todo.extend(modules[current].star_imports)
    return out
