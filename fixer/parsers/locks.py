"""Poetry's and uv's lock files read into the exact pins of the main dependencies: what
`poetry install --only main` and `uv sync --no-dev` install, as pip arguments
(`name==version; markers`), for an install that cannot run the manager itself.

The main dependencies are those the project declares (`[tool.poetry.dependencies]`, and for
Poetry 2 `[project] dependencies`; the project's own entry of uv.lock), followed through each
locked package's dependencies and the extras asked for; a development group's never. The
environment markers met on the way are kept: a package reached only under a marker
(`colorama; sys_platform == "win32"`) is pinned with it, and one reached by several ways with
all of them (`or`). A package locked at several versions (one per Python range) is pinned at the
one the constraint names. Git, URL and path sources become direct references.

None where the lock cannot be read or followed: the caller says so and installs the ranges.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: bounds on hostile locks: the packages followed, the ways one package is reached
_MAX_STEPS = 20_000
_MAX_WAYS = 8
_CARET = re.compile(r"^\^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
_TILDE = re.compile(r"^~(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_spec(spec: str) -> str:
    """A Poetry or Pipfile version constraint in pip's words (`^4.2` -> `>=4.2,<5`)."""
    spec = spec.strip()
    if spec in ("", "*"):
        return ""
    parts_out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        caret = _CARET.match(part)
        tilde = _TILDE.match(part)
        if caret or tilde:
            m = caret or tilde
            assert m is not None
            parts = [int(p) for p in m.groups() if p is not None]
            version = ".".join(map(str, parts))
            if caret:
                index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
                upper = [*parts[:index], parts[index] + 1]
            else:
                upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
            parts_out.append(f">={version},<{'.'.join(map(str, upper))}")
        elif re.match(r"^\d", part):
            parts_out.append(f"=={part}")
        else:
            parts_out.append(part)
    return ",".join(parts_out)


@dataclass(frozen=True)
class _Need:
    """One way a package is reached: under `marker` (None: always), with `extras`, at a version
    `spec` allows (None: any), or at the locked `version` uv names."""

    name: str
    marker: str | None = None
    extras: tuple[str, ...] = ()
    spec: str | None = None
    version: str | None = None


def _and(outer: str | None, inner: str | None) -> str | None:
    if not outer:
        return inner or None
    if not inner:
        return outer
    return f"({outer}) and ({inner})"


def _valid_marker(text: str | None) -> bool:
    if not text:
        return True
    try:
        Marker(text)
    except InvalidMarker:
        return False
    return True


class _Walk:
    """The packages reached from the roots, each with the ways (markers) it is reached by."""

    def __init__(self, entries: dict[str, list[dict]]) -> None:
        self.entries = entries
        #: (name, version) -> markers ("" for always) of the ways it is reached
        self.ways: dict[tuple[str, str], set[str]] = {}
        self.extras: dict[tuple[str, str], set[str]] = {}
        self.chosen: dict[tuple[str, str], dict] = {}

    def pick(self, need: _Need) -> dict | None:
        found = self.entries.get(need.name) or []
        if need.version is not None:
            found = [e for e in found if str(e.get("version")) == need.version]
        if len(found) > 1 and need.spec:
            try:
                allowed = SpecifierSet(need.spec)
                found = [e for e in found if Version(str(e.get("version"))) in allowed]
            except (InvalidSpecifier, InvalidVersion):
                return None
        return found[0] if len(found) == 1 else None

    def run(self, roots: Iterable[_Need], follow: Any) -> bool:
        """Follow `roots` through `follow(entry, extras) -> [_Need]`; False where a package is
        not in the lock, or is ambiguous."""
        queue = list(roots)
        steps = 0
        while queue:
            steps += 1
            if steps > _MAX_STEPS:
                return False
            need = queue.pop()
            entry = self.pick(need)
            if entry is None:
                return False
            key = (need.name, str(entry.get("version")))
            self.chosen[key] = entry
            ways = self.ways.setdefault(key, set())
            extras = self.extras.setdefault(key, set())
            marker = need.marker or ""
            spread: set[str] = set()
            if "" not in ways and marker not in ways:
                if marker == "" or len(ways) >= _MAX_WAYS:
                    ways.clear()
                    ways.add("")
                else:
                    ways.add(marker)
                spread = {"" if "" in ways else marker}
            if not set(need.extras) <= extras:
                # the new extras' dependencies, by every way the package is reached
                extras.update(need.extras)
                spread = set(ways)
            for way in spread:
                for child in follow(entry, tuple(sorted(extras))):
                    queue.append(
                        _Need(
                            child.name,
                            _and(way or None, child.marker),
                            child.extras,
                            child.spec,
                            child.version,
                        )
                    )
        return True

    def pins(self, reference: Any) -> list[str]:
        out = []
        for key in sorted(self.chosen):
            name, version = key
            ways = self.ways[key]
            pin = reference(self.chosen[key]) or f"{name}=={version}"
            if "" not in ways:
                marker = " or ".join(f"({w})" for w in sorted(ways)) if len(ways) > 1 else min(ways)
                pin += f"; {marker}"
            out.append(pin)
        return out


def _load(text: str) -> dict | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _entries(data: dict) -> dict[str, list[dict]] | None:
    packages = data.get("package")
    if not isinstance(packages, list):
        return None
    out: dict[str, list[dict]] = {}
    for entry in packages:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            return None
        if "version" not in entry:
            entry = {**entry, "version": ""}
        out.setdefault(normalise(entry["name"]), []).append(entry)
    return out


# -- Poetry ---------------------------------------------------------------------------------------


def _python_marker(constraint: str) -> str | None:
    """`python = "<3.11"` of a Poetry dependency as a marker ("" for any Python; None where
    the constraint is not one djfix reads)."""
    words = []
    for part in filter(None, pip_spec(constraint).split(",")):
        m = re.match(r"^(==|!=|<=|>=|<|>|~=)\s*([\d.*]+)$", part.strip())
        if m is None:
            return None
        words.append(f'python_version {m.group(1)} "{m.group(2)}"')
    return " and ".join(words)


def _poetry_needs(name: str, spec: Any) -> list[_Need] | None:
    """The ways a Poetry dependency table's entry asks for `name` (a list of constraints gives
    several); [] for an optional one (an extra's, or a root one no extra turns on)."""
    out = []
    for one in spec if isinstance(spec, list) else [spec]:
        if isinstance(one, str):
            out.append(_Need(normalise(name), spec=pip_spec(one) or None))
            continue
        if not isinstance(one, dict):
            return None
        if one.get("optional") is True:
            continue
        marker = one.get("markers") if isinstance(one.get("markers"), str) else None
        if isinstance(one.get("python"), str):
            python = _python_marker(one["python"])
            if python is None:
                return None
            marker = _and(python or None, marker)
        if not _valid_marker(marker):
            return None
        version = one.get("version")
        extras = one.get("extras") if isinstance(one.get("extras"), list) else []
        out.append(
            _Need(
                normalise(name),
                marker,
                tuple(normalise(str(e)) for e in extras),
                (pip_spec(version) or None) if isinstance(version, str) else None,
            )
        )
    return out


def _extra_need(text: str) -> _Need | None:
    """An entry of a locked package's `extras` table: `psycopg-binary (==3.2.3) ; markers`."""
    head, _, marker = text.partition(";")
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(?:\((.*)\))?\s*$", head)
    if m is None or not _valid_marker(marker.strip() or None):
        return None
    extras = tuple(normalise(e.strip()) for e in (m.group(2) or "").split(",") if e.strip())
    return _Need(normalise(m.group(1)), marker.strip() or None, extras, m.group(3) or None)


def poetry_lock_pins(lock_text: str, pyproject: dict, folder: Path) -> list[str] | None:
    """The pins of what `poetry install --only main` installs from this poetry.lock, for the
    pyproject.toml tables `pyproject`; path sources are resolved against `folder`."""
    data = _load(lock_text)
    entries = _entries(data) if data is not None else None
    if entries is None:
        return None
    roots: list[_Need] = []
    poetry = pyproject.get("tool", {}).get("poetry", {})
    declared = poetry.get("dependencies") if isinstance(poetry, dict) else None
    for name, spec in (declared or {}).items():
        if name.lower() == "python":
            continue
        needs = _poetry_needs(name, spec)
        if needs is None:
            return None
        roots += needs
    project = pyproject.get("project")
    for text in project.get("dependencies") or [] if isinstance(project, dict) else []:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            return None
        marker = str(req.marker) if req.marker else None
        roots.append(_Need(normalise(req.name), marker, tuple(map(normalise, req.extras))))

    def follow(entry: dict, extras: tuple[str, ...]) -> list[_Need]:
        out: list[_Need] = []
        deps = entry.get("dependencies")
        for name, spec in (deps if isinstance(deps, dict) else {}).items():
            out += _poetry_needs(name, spec) or []
        table = entry.get("extras")
        for extra in extras:
            for text in (table or {}).get(extra, []) if isinstance(table, dict) else []:
                need = _extra_need(str(text))
                if need is not None:
                    out.append(need)
        return out

    walk = _Walk(entries)
    if not walk.run(roots, follow):
        return None
    return walk.pins(lambda entry: _poetry_reference(entry, folder))


def _poetry_reference(entry: dict, folder: Path) -> str | None:
    source = entry.get("source")
    if not isinstance(source, dict):
        return None
    kind, url = source.get("type"), str(source.get("url", ""))
    name = entry["name"]
    if kind == "git":
        commit = source.get("resolved_reference") or source.get("reference")
        sub = source.get("subdirectory")
        return f"{name} @ git+{url}@{commit}" + (f"#subdirectory={sub}" if sub else "")
    if kind == "url":
        return f"{name} @ {url}"
    if kind in ("directory", "file"):
        return f"{name} @ {(folder / url).resolve().as_uri()}"
    return None


# -- uv -------------------------------------------------------------------------------------------


def _uv_needs(items: Any) -> list[_Need] | None:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        marker = item.get("marker") if isinstance(item.get("marker"), str) else None
        if not _valid_marker(marker):
            return None
        extra = item.get("extra") if isinstance(item.get("extra"), list) else []
        version = item.get("version") if isinstance(item.get("version"), str) else None
        out.append(
            _Need(
                normalise(item["name"]),
                marker,
                tuple(normalise(str(e)) for e in extra),
                version=version,
            )
        )
    return out


def uv_lock_pins(lock_text: str, folder: Path) -> list[str] | None:
    """The pins of what `uv sync --no-dev --no-install-project` installs from this uv.lock:
    the dependencies of the project's own entry (its source is the folder itself, `.`)."""
    data = _load(lock_text)
    entries = _entries(data) if data is not None else None
    if entries is None:
        return None
    own = [
        e
        for found in entries.values()
        for e in found
        if isinstance(e.get("source"), dict)
        and any(e["source"].get(k) == "." for k in ("virtual", "editable", "directory"))
    ]
    if len(own) != 1:
        return None
    roots = _uv_needs(own[0].get("dependencies"))
    if roots is None:
        return None
    own_name = normalise(own[0]["name"])

    def follow(entry: dict, extras: tuple[str, ...]) -> list[_Need]:
        out = _uv_needs(entry.get("dependencies")) or []
        table = entry.get("optional-dependencies")
        for extra in extras:
            out += _uv_needs((table or {}).get(extra) if isinstance(table, dict) else None) or []
        return [n for n in out if n.name != own_name]

    walk = _Walk(entries)
    if not walk.run(roots, follow):
        return None
    return walk.pins(lambda entry: _uv_reference(entry, folder))


def _uv_reference(entry: dict, folder: Path) -> str | None:
    source = entry.get("source")
    if not isinstance(source, dict):
        return None
    name = entry["name"]
    if isinstance(source.get("git"), str):
        # `https://host/repo?rev=main#<commit>`: the commit the lock resolved
        url, _, commit = source["git"].partition("#")
        base = url.split("?", 1)[0]
        return f"{name} @ git+{base}@{commit}" if commit else f"{name} @ git+{url}"
    if isinstance(source.get("url"), str):
        return f"{name} @ {source['url']}"
    for key in ("path", "directory", "editable"):
        if isinstance(source.get(key), str):
            return f"{name} @ {(folder / source[key]).resolve().as_uri()}"
    return None
