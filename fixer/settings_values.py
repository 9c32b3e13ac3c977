"""The values a settings module evaluates to, statically: Python literals, `EnvRef` for a value
read from the environment (with its cast and default), `EnvDict` for a settings dict parsed from
one, `Unknown` for everything else; and `SettingsModule`, the names a module binds, where, and
the environment reads it makes. `fixer.settings_eval` computes them; the checks read them."""

from __future__ import annotations

import ast
import copy
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

    api: os.environ, os.getenv, decouple, environs, django-environ, dj-database-url
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

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    def __deepcopy__(self, memo: dict) -> EnvRef:
        return self

    def with_cast(self, cast: str) -> EnvRef:
        return EnvRef(
            self.var, self.api, cast, self.default, self.path, self.line, self.column, self.kwargs
        )

    def kwarg(self, name: str, default: Any = None) -> Any:
        return dict(self.kwargs).get(name, default)


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
    file: PyFile | None = None
    missing: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        a = self.names.get(name)
        return a.value if a is not None else default

    def where(self, name: str) -> Assignment | None:
        return self.names.get(name)


def is_literal(value: Any) -> bool:
    """True for a value written in the source as a literal (no environment, nothing unknown)."""
    if isinstance(value, (Unknown, EnvRef, EnvFactory, EnvDict)):
        return False
    if isinstance(value, dict):
        return all(is_literal(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_literal(v) for v in value)
    return True
