"""The routes of a URLconf as djfix reads them, and how a URL path resolves through them.

Matching (`UrlConf.matches`) follows Django's resolver: each include prefix consumes the start
of the path (regex prefixes with ``re.search``, like Django), a ``path()`` endpoint must match
the whole rest, a regex endpoint ending in ``$`` too, and a regex endpoint without ``$`` matches
any rest. Built-in converters use Django's regexes; a custom converter matches one segment.
Because ``APPEND_SLASH`` (on by default) redirects ``/health`` to ``/health/`` when only the
latter is routed, and probes accept the redirect, ``matches("/health")`` and
``matches("/health/")`` both try ``health`` and ``health/``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_CONVERTERS = {
    "int": "[0-9]+",
    "str": "[^/]+",
    "slug": "[-a-zA-Z0-9_]+",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": ".+",
}
_PATH_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
_LANGUAGE = r"[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]+)*/"


# ---------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class Part:
    """One level of a route: a path() route, a regex, or an i18n_patterns language prefix."""

    kind: str  # "path" | "regex" | "i18n"
    text: str
    optional: bool = False  # i18n prefix with prefix_default_language=False

    @property
    def display(self) -> str:
        if self.kind == "i18n":
            return "[<language>/]" if self.optional else "<language>/"
        if self.kind == "path":
            return self.text
        text = self.text[1:] if self.text.startswith("^") else self.text
        if text.endswith("$") and not text.endswith("\\$"):
            text = text[:-1]
        return re.sub(r"\\([^\w\s])", r"\1", text)

    def regex_body(self, endpoint: bool) -> str:
        """The part as regex text, for display of mixed path/regex routes."""
        if self.kind == "i18n":
            return f"(?:{_LANGUAGE})?" if self.optional else f"(?:{_LANGUAGE})"
        if self.kind == "path":
            return _route_regex(self.text)[1:] + ("$" if endpoint else "")
        text = self.text[1:] if self.text.startswith("^") else self.text
        if not endpoint and text.endswith("$") and not text.endswith("\\$"):
            text = text[:-1]
        return text


@dataclass(frozen=True)
class Route:
    """One endpoint with its full pattern (every include prefix concatenated)."""

    pattern_text: str
    kind: str  # "path" when every level is a path() route, else "regex"
    view: str  # the view expression as written (string views qualified by patterns' prefix)
    debug_only: bool
    rel: str
    line: int
    column: int = 1
    name: str | None = None
    view_target: str | None = None  # the dotted name the view resolves to, where known
    parts: tuple[Part, ...] = ()

    @property
    def url(self) -> str:
        """A readable URL shape: ``/common/health``, ``/media/(?P<path>.*)``."""
        return "/" + "".join(p.display for p in self.parts)

    def matches(self, url_path: str, *, literal: bool = False) -> bool:
        """True when a GET of `url_path` resolves to this route (with or without the trailing
        slash). With `literal`, only when every segment is written out in the pattern: a
        catch-all like ``<slug:slug>/`` answers ``/health/`` but is no health view."""
        for candidate in _candidates(url_path):
            captured = _match_parts(self.parts, candidate)
            if captured is None:
                continue
            if literal and (captured or not self._spells(candidate)):
                continue
            return True
        return False

    def _spells(self, candidate: str) -> bool:
        shown = self.url
        return all(seg in self.pattern_text or seg in shown for seg in candidate.split("/") if seg)


@dataclass(frozen=True)
class StaticHelper:
    """A place that makes Django serve files: static(), staticfiles_urlpatterns() or a route
    to django.views.static.serve."""

    kind: str  # "static" | "staticfiles_urlpatterns" | "serve"
    text: str  # the call as written, or the routed URL for "serve"
    debug_only: bool
    rel: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class OpaqueInclude:
    """An included URLconf djfix does not read. `reason` is None for Django's own URLconfs
    (admin.site.urls, django.contrib.auth.urls), which route no application views."""

    target: str
    reason: str | None
    debug_only: bool
    rel: str
    line: int
    parts: tuple[Part, ...] = ()

    @property
    def url(self) -> str:
        return "/" + "".join(p.display for p in self.parts)

    def could_route(self, url_path: str) -> bool:
        """True when the include's prefix matches the start of `url_path`, so it may hold a
        route for it."""
        return any(
            _match_parts(self.parts, c, prefix_only=True) is not None for c in _candidates(url_path)
        )


Problem = tuple[str | None, int | None, str]


@dataclass
class UrlConf:
    root: str | None
    root_rel: str | None = None
    root_line: int | None = None  # the first line that assigns the root's urlpatterns
    routes: list[Route] = field(default_factory=list)
    static_helpers: list[StaticHelper] = field(default_factory=list)
    opaque: list[OpaqueInclude] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """True when the root URLconf was found and parsed."""
        return self.root_rel is not None and self.root_rel in self.files

    @property
    def unknown(self) -> list[Problem]:
        """(rel, line, reason) of every construct djfix could not follow."""
        out = list(self.problems)
        out.extend((o.rel, o.line, o.reason) for o in self.opaque if o.reason)
        return out

    def matches(self, url_path: str, *, literal: bool = False) -> list[Route]:
        """The routes a GET of `url_path` (``/health``, ``/common/health``) reaches, trying it
        with and without the trailing slash; DEBUG-only routes included (filter on
        ``debug_only``)."""
        return [r for r in self.routes if r.matches(url_path, literal=literal)]

    def blind_spots(self, url_path: str) -> list[Problem]:
        """The unknowns that could hide a route for `url_path`: every problem, plus unread
        includes whose prefix matches the start of the path."""
        out = list(self.problems)
        out.extend(
            (o.rel, o.line, o.reason) for o in self.opaque if o.reason and o.could_route(url_path)
        )
        return out


# ---------------------------------------------------------------------------------------------
# matching


def _candidates(url_path: str) -> list[str]:
    path = url_path.split("?", 1)[0].split("#", 1)[0].strip().lstrip("/")
    base = path.rstrip("/")
    return [base, base + "/"] if base else [""]


def _route_regex(route: str) -> str:
    """Django's path() route as a regex: literal text escaped, converters as groups."""
    out = ["^"]
    index = 0
    for m in _PATH_PARAM.finditer(route):
        out.append(re.escape(route[index : m.start()]))
        index = m.end()
        converter = (m.group("converter") or "str").strip()
        out.append(f"({_CONVERTERS.get(converter, '[^/]+')})")
    out.append(re.escape(route[index:]))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compiled(kind: str, text: str, optional: bool) -> re.Pattern[str] | None:
    try:
        if kind == "regex":
            return re.compile(text)
        if kind == "path":
            return re.compile(_route_regex(text))
        return re.compile(f"^(?:{_LANGUAGE})" + ("?" if optional else ""))
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def _match_parts(parts: tuple[Part, ...], path: str, *, prefix_only: bool = False) -> bool | None:
    """None when `path` does not resolve through `parts`; else whether a group captured text.
    With `prefix_only`, every part is matched as an include prefix."""
    captured = False
    remaining = path
    last = len(parts) - 1
    for index, part in enumerate(parts):
        rx = compiled(part.kind, part.text, part.optional)
        if rx is None:
            return None
        endpoint = index == last and not prefix_only
        try:
            if part.kind == "regex":
                whole = endpoint and part.text.endswith("$")
                m = rx.fullmatch(remaining) if whole else rx.search(remaining)
            elif part.kind == "path" and endpoint:
                m = rx.fullmatch(remaining)
            else:
                m = rx.match(remaining)
        except (RecursionError, re.error):
            return None
        if m is None:
            return None
        captured = captured or any(g for g in m.groups() if g)
        remaining = remaining[m.end() :]
    return captured


def make_route(
    parts: tuple[Part, ...],
    view: str,
    debug: bool,
    rel: str,
    line: int,
    column: int,
    name: str | None,
    view_target: str | None,
) -> Route:
    if all(p.kind != "regex" for p in parts):
        kind = "path"
        text = "".join(p.display if p.kind == "i18n" else p.text for p in parts)
    else:
        kind = "regex"
        last = len(parts) - 1
        # anchored unless the first level is a regex without "^" (Django searches those)
        first = parts[0]
        anchor = "^" if first.kind != "regex" or first.text.startswith("^") else ""
        text = anchor + "".join(p.regex_body(i == last) for i, p in enumerate(parts))
    return Route(text, kind, view, debug, rel, line, column, name, view_target, parts)
