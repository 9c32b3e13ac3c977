"""Declare runtime packages (django-environ, django-redis, gunicorn, ...) in the dependency file
the project already uses, written in that file's own style.

Pure text -> text. `add_packages(kind, text, packages)` returns the new text, the packages it
added, the ones already declared (under any spelling), and what the user must still do (lock,
compile). Edits are insertions of new lines or items next to the existing ones (plus the comma
a list needs before a new last item, and a one-line setup.cfg value opened into a list):
comments, quotes, indentation, trailing commas, sorted order, line endings and the newline at the
end of the file stay as the author wrote them, and a second run adds nothing. A file that
cannot be edited safely (invalid TOML, hashes, a computed `install_requires`) comes back
unchanged with a note saying why; nothing here raises on bad input.

`packages_for(names, django_version=..., python_version=...)` picks, for each package, a
version known to support the project's Django and Python.
"""

from __future__ import annotations

import ast
import configparser
import copy
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KINDS = ("requirements", "pip-tools", "pep621", "uv", "poetry", "pipfile", "setup.py", "setup.cfg")

_DEFAULT_FILE = {
    "requirements": "requirements.txt",
    "pip-tools": "requirements.in",
    "pep621": "pyproject.toml",
    "uv": "pyproject.toml",
    "poetry": "pyproject.toml",
    "pipfile": "Pipfile",
    "setup.py": "setup.py",
    "setup.cfg": "setup.cfg",
}


@dataclass(frozen=True)
class Package:
    name: str  # as it should be written, e.g. "django-environ" or "uvicorn[standard]"
    floor: str  # loose specifier, e.g. ">=0.11" (may carry an upper bound: ">=0.4.5,<0.5")
    pin: str  # exact version for pinned styles, e.g. "0.11.2"


@dataclass
class Result:
    text: str
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Versions known to support a project's Django and Python.
#
# Sources: each pin below exists on PyPI (`pip index versions NAME`), and its wheel's METADATA
# (`pip download --no-deps NAME==X`) was read for Requires-Python, Requires-Dist and the
# "Framework :: Django :: X" / "Programming Language :: Python :: X" classifiers:
#
# django-environ  0.4.5   no Requires-Python; Django 1.8-2.0; Python 2.7, 3.4, 3.5
#                 0.10.0  Requires-Python >=3.5,<4; Django 1.11-4.1
#                 0.11.2  Requires-Python >=3.6,<4; Django 1.11-4.2; Python 3.6-3.11
#                 0.12.1  Requires-Python >=3.9,<4; Django 2.2-5.1; Python 3.9-3.13
#                 0.13.0  Requires-Python >=3.9,<4; Django 2.2-6.0; Python 3.9-3.14
#                 (0.12 dropped the Django 1.11 classifier, and the package declares no
#                 Django requirement, so the Django < 2.2 rows carry an upper bound.)
# django-redis    4.8.0   Django 1.8-1.11; no Django requirement, hence the upper bound
#                 4.10.0  Requires-Dist Django>=1.11; Django 1.11-2.1; Python 2.7, 3.4-3.7
#                 4.12.1  Requires-Dist Django>=2.2; Requires-Python >=3.5; Django 2.2, 3.0
#                 5.4.0   Requires-Dist Django>=3.2; Requires-Python >=3.6; Django 3.2-4.2
# gunicorn        19.10.0 Requires-Python >=2.6,!=3.0.*,!=3.1.* (the last release for Python 2)
#                 20.1.0  Requires-Python >=3.5
#                 23.0.0  Requires-Python >=3.7; Python 3.7-3.12
# uvicorn         0.16.0  no Requires-Python; Python 3.6-3.10 (0.17.0 was yanked for lacking
#                         one, and dropped 3.6)
#                 0.22.0  Requires-Python >=3.7 (0.23.0 requires >=3.8)
#                 0.33.0  Requires-Python >=3.8 (0.34.0 requires >=3.9)
#                 0.34.0  Requires-Python >=3.9
# daphne          2.5.0   no Requires-Python; Python 3.5-3.8
#                 3.0.2   Requires-Python >=3.6
#                 4.1.2   Requires-Python >=3.8
#                 4.2.3   Requires-Python >=3.9
# --------------------------------------------------------------------------------------------


#: sha256 of every file PyPI serves for a pin of the table above (from the simple index, whose
#: links carry them as #sha256=...), for hash-pinned requirements files. Only packages that
#: install nothing else: pip's hash mode also wants every dependency pinned with its hashes.
_HASHES: dict[tuple[str, str], tuple[str, ...]] = {
    ("django-environ", "0.4.5"): (
        "c57b3c11ec1f319d9474e3e5a79134f40174b17c7cc024bbb2fad84646b120c4",  # wheel
        "6c9d87660142608f63ec7d5ce5564c49b603ea8ff25da595fd6098f6dc82afde",  # sdist
    ),
    ("django-environ", "0.10.0"): (
        "510f8c9c1d0a38b0815f91504270c29440a0cf44fab07f55942fa8d31bbb9be6",
        "b3559a91439c9d774a9e0c1ced872364772c612cdf6dc919506a2b13f7a77225",
    ),
    ("django-environ", "0.11.2"): (
        "0ff95ab4344bfeff693836aa978e6840abef2e2f1145adff7735892711590c05",
        "f32a87aa0899894c27d4e1776fa6b477e8164ed7f6b3e410a62a6d72caaf64be",
    ),
    ("django-environ", "0.12.1"): (
        "064ba2d5082f833e6d7fe4def4928bde1eedc0248a417575da7db147aeec1c20",
        "22859c6e905ab7637fa3348d1787543bb4492f38d761104a3ce0519b7b752845",
    ),
    ("django-environ", "0.13.0"): (
        "37799d14cd78222c6fd8298e48bfe17965ff8e586091ad66a463e52e0e7b799e",
        "6c401e4c219442c2c4588c2116d5292b5484a6f69163ed09cd41f3943bfb645f",
    ),
}


@dataclass(frozen=True)
class _Release:
    pin: str
    floor: str
    django_below: tuple[int, int] | None = None  # row applies when Django is older than this
    python_below: tuple[int, int] | None = None  # row applies when Python is older than this


#: first matching row wins; a row without a condition is the default for recent versions
_RELEASES: dict[str, tuple[_Release, ...]] = {
    "django-environ": (
        _Release("0.4.5", ">=0.4.5,<0.5", django_below=(1, 11)),
        _Release("0.4.5", ">=0.4.5,<0.5", python_below=(3, 5)),
        _Release("0.10.0", ">=0.10", python_below=(3, 6)),
        _Release("0.11.2", ">=0.11,<0.12", django_below=(2, 2)),
        _Release("0.11.2", ">=0.11", python_below=(3, 9)),
        _Release("0.11.2", ">=0.11", django_below=(5, 0)),
        _Release("0.12.1", ">=0.12", django_below=(5, 2)),
        _Release("0.13.0", ">=0.13"),
    ),
    "django-redis": (
        _Release("4.8.0", ">=4.8,<4.9", django_below=(1, 11)),
        _Release("4.10.0", ">=4.10", django_below=(2, 2)),
        _Release("4.12.1", ">=4.12", django_below=(3, 2)),
        _Release("5.4.0", ">=5.4"),
    ),
    "gunicorn": (
        _Release("19.10.0", ">=19.10,<20", python_below=(3, 5)),
        _Release("20.1.0", ">=20.1", python_below=(3, 7)),
        _Release("23.0.0", ">=23.0"),
    ),
    "uvicorn": (
        _Release("0.16.0", ">=0.16,<0.17", python_below=(3, 7)),
        _Release("0.22.0", ">=0.22", python_below=(3, 8)),
        _Release("0.33.0", ">=0.33", python_below=(3, 9)),
        _Release("0.34.0", ">=0.34"),
    ),
    "daphne": (
        _Release("2.5.0", ">=2.5,<2.6", python_below=(3, 6)),
        _Release("3.0.2", ">=3.0", python_below=(3, 8)),
        _Release("4.1.2", ">=4.1", python_below=(3, 9)),
        _Release("4.2.3", ">=4.2"),
    ),
}


def packages_for(
    names: list[str],
    *,
    django_version: tuple[int, int] | None,
    python_version: str | None,
) -> list[Package]:
    """One `Package` per name, with versions that support the given Django and Python.

    An unknown version (None) is taken to be a recent one. A package missing from the table
    gets an empty floor and pin, which every style writes as the bare name (or `"*"`).
    """
    python = _version_tuple(python_version)
    out: list[Package] = []
    for name in names:
        rows = _RELEASES.get(normalise(_base_name(name)), ())
        chosen = next((row for row in rows if _applies(row, django_version, python)), None)
        out.append(Package(name, chosen.floor, chosen.pin) if chosen else Package(name, "", ""))
    return out


def _applies(row: _Release, django: tuple[int, int] | None, python: tuple[int, int] | None) -> bool:
    if row.django_below is not None:
        return django is not None and django < row.django_below
    if row.python_below is not None:
        return python is not None and python < row.python_below
    return True


def _version_tuple(text: str | None) -> tuple[int, int] | None:
    m = re.search(r"(\d+)(?:\.(\d+))?", text or "")
    return (int(m.group(1)), int(m.group(2) or 0)) if m else None


# --------------------------------------------------------------------------------------------
# Shared: names, requirement strings and version styles
# --------------------------------------------------------------------------------------------


def normalise(name: str) -> str:
    """PEP 503 normalised project name: `Django_Environ` -> `django-environ`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _base_name(name: str) -> str:
    return name.split("[", 1)[0].strip()


def _extras(name: str) -> list[str]:
    m = re.search(r"\[([^\]]*)\]", name)
    return [e.strip() for e in m.group(1).split(",") if e.strip()] if m else []


_REQ = re.compile(
    r"""\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)
    (?P<extras>\s*\[[^\]]*\])?
    (?P<sep>\s*)
    (?P<rest>.*)""",
    re.X | re.S,
)
_OP = re.compile(r"(===|==|~=|>=|<=|!=|>|<)(\s*)")


@dataclass(frozen=True)
class _Req:
    name: str
    spec: str  # version specifier as written, markers and URL dropped; "" when bare
    sep: str  # whitespace between the name (and extras) and the specifier
    url: bool = False  # "name @ https://...": says nothing about the file's version style


def _parse_req(text: str) -> _Req | None:
    m = _REQ.match(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    if rest and rest[0] not in "=~<>!(;@":
        return None  # not a requirement: a URL, a path or an option
    url = rest.startswith("@")
    spec = "" if url else rest.split(";", 1)[0].strip()
    return _Req(m.group("name"), spec, m.group("sep") if spec else "", url)


def _spec_class(spec: str) -> str | None:
    """`==`, `~=`, `>=` (any other range) or `bare`; None for what cannot be classed."""
    s = spec.strip().strip("()").strip()
    if not s:
        return "bare"
    if s.startswith("=="):
        return "=="
    if s.startswith("~="):
        return "~="
    if _OP.match(s):
        return ">="
    return None


@dataclass(frozen=True)
class _Pep508Style:
    kind: str = "bare"  # "==", ">=", "~=" or "bare"
    sep: str = ""  # between name and operator: "django == 4.2" has " "
    op_sep: str = ""  # between operator and version
    paren: bool = False  # poetry 2 writes "django (>=4.2,<5.0)"


def _pep508_style(reqs: list[_Req]) -> _Pep508Style:
    classes: Counter[str] = Counter()
    ranges: Counter[str] = Counter()
    seps: Counter[tuple[str, str]] = Counter()
    parens = 0
    for req in reqs:
        kind = None if req.url else _spec_class(req.spec)
        if kind is None:
            continue
        classes["pinned" if kind == "==" else "bare" if kind == "bare" else "ranged"] += 1
        if kind in (">=", "~="):
            ranges[kind] += 1
        if kind != "bare":
            inner = req.spec.lstrip("(").lstrip()
            op = _OP.match(inner)
            seps[(req.sep, op.group(2) if op else "")] += 1
            parens += req.spec.startswith("(")
    total = sum(classes.values())
    if total and classes["pinned"] * 2 > total:
        kind = "=="
    elif classes["ranged"] and classes["ranged"] >= classes["bare"]:
        kind = "~=" if ranges["~="] > ranges[">="] else ">="
    else:
        kind = "bare"
    sep, op_sep = seps.most_common(1)[0][0] if seps else ("", "")
    specified = sum(seps.values())
    return _Pep508Style(kind, sep, op_sep, paren=bool(specified) and parens * 2 > specified)


def _split_floor(floor: str) -> tuple[str, str]:
    m = re.match(r"\s*(>=|~=|==|>)\s*(.+)", floor)
    return (m.group(1), m.group(2).strip()) if m else ("", "")


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _lower_bound(pkg: Package) -> str:
    _, rest = _split_floor(pkg.floor)
    return rest.split(",", 1)[0].strip() or _major_minor(pkg.pin)


def _constraint(pkg: Package, kind: str) -> str:
    """The version constraint `pkg` is written with in a file of style `kind`.

    kind: `==`, `>=`, `~=` (PEP 440), `^`, `~` (poetry), `exact` (poetry's bare version), `*`,
    or `bare` (no constraint).
    """
    lower = _lower_bound(pkg)
    if kind == "==":
        return f"=={pkg.pin}" if pkg.pin else _constraint(pkg, ">=")
    if kind == "exact":
        return pkg.pin or _constraint(pkg, "^")
    if kind == "~=":
        if not pkg.pin:
            return _constraint(pkg, ">=")
        # an upper bound in the floor means "this release line only": keep the patch digit
        capped = "<" in pkg.floor
        return f"~={pkg.pin if capped else _major_minor(pkg.pin)}"
    if kind == ">=":
        return pkg.floor.strip() or (f">={lower}" if lower else "")
    if kind in ("^", "~"):
        return f"{kind}{lower}" if lower else "*"
    if kind == "*":
        return "*"
    return ""


def _pep508(pkg: Package, style: _Pep508Style) -> str:
    spec = _constraint(pkg, style.kind)
    if not spec:
        return pkg.name
    if style.paren:
        return f"{pkg.name} ({spec})"
    op = _OP.match(spec)
    if op:
        spec = op.group(1) + style.op_sep + spec[op.end() :]
    return f"{pkg.name}{style.sep}{spec}"


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _sort_key(name: str) -> str:
    return normalise(_base_name(name))


def _item_key(requirement: str) -> str:
    """Sort key of a requirement string: its normalised project name."""
    req = _parse_req(requirement)
    return normalise(req.name) if req else normalise(requirement.strip())


def _insert_index(keys: list[str], new: str) -> int | None:
    """Where `new` goes to keep `keys` sorted, or None when they are not sorted (append)."""
    if keys != sorted(keys):
        return None
    return next((i for i, key in enumerate(keys) if key > new), None)


def _split_declared(packages: list[Package], declared: set[str]) -> tuple[list[Package], list[str]]:
    missing: list[Package] = []
    already: list[str] = []
    seen: set[str] = set()
    for pkg in packages:
        key = _sort_key(pkg.name)
        if key in seen:
            continue
        seen.add(key)
        if key in declared:
            already.append(pkg.name)
        else:
            missing.append(pkg)
    return missing, already


def _names(packages: list[Package]) -> str:
    return ", ".join(p.name for p in packages)


# --------------------------------------------------------------------------------------------
# requirements.txt and pip-tools .in files
# --------------------------------------------------------------------------------------------


@dataclass
class _Line:
    start: int
    end: int  # after the newline
    kind: str  # blank, comment, option, req
    name: str | None = None
    req: _Req | None = None
    indented: bool = False


_HASH = re.compile(r"(^|\s)--hash[=\s]")
_EGG = re.compile(r"#egg=([A-Za-z0-9._-]+)")


def _requirement_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    physical = text.splitlines(keepends=True)
    pos = i = 0
    while i < len(physical):
        start = pos
        parts: list[str] = []
        while True:
            raw = physical[i]
            pos += len(raw)
            i += 1
            body = raw.rstrip("\r\n")
            if body.endswith("\\") and not body.lstrip().startswith("#") and i < len(physical):
                parts.append(body[:-1])
                continue
            parts.append(body)
            break
        lines.append(_classify("".join(parts), start, pos))
    return lines


def _classify(logical: str, start: int, end: int) -> _Line:
    stripped = logical.strip()
    if not stripped:
        return _Line(start, end, "blank")
    if stripped.startswith("#"):
        return _Line(start, end, "comment", indented=logical[:1].isspace())
    egg = _EGG.search(stripped)
    if stripped.startswith("-"):
        return _Line(start, end, "option", name=egg.group(1) if egg else None)
    code = re.split(r"\s+#", stripped, maxsplit=1)[0]
    req = _parse_req(code)
    if req is None:  # a URL or a path
        return _Line(start, end, "req", name=egg.group(1) if egg else None)
    return _Line(start, end, "req", name=req.name, req=req)


def _add_requirements(kind: str, text: str, packages: list[Package], label: str) -> Result:
    lines = _requirement_lines(text)
    declared = {_sort_key(line.name) for line in lines if line.name}
    missing, already = _split_declared(packages, declared)
    result = Result(text, already=already)
    if not missing:
        return result
    code_lines = (text[ln.start : ln.end] for ln in lines if ln.kind in ("req", "option"))
    if any(_HASH.search(line.split(" #", 1)[0]) for line in code_lines):
        return _add_hashed(text, missing, already, label)
    style = _pep508_style([line.req for line in lines if line.req])
    nl = _newline(text)
    for pkg in missing:
        text = _insert_requirement(text, _pep508(pkg, style), nl)
        result.added.append(pkg.name)
    result.text = text
    if kind == "pip-tools":
        result.notes.append(f"run `pip-compile {label}` to pin {_names(missing)}")
    elif "autogenerated by pip-compile" in text:
        result.notes.append(
            f"{label} is generated by pip-compile: declare {_names(missing)} in its .in file "
            "too, or the next compile drops them"
        )
    return result


def _add_hashed(text: str, missing: list[Package], already: list[str], label: str) -> Result:
    """A file whose every requirement carries --hash: a package whose files' hashes djfix ships
    is added pinned with them (pip-compile's layout); any other is left out with a note, since
    one line without hashes makes pip refuse the whole file."""
    result = Result(text, already=already)
    nl = _newline(text)
    indent = next((m.group(1) for m in re.finditer(r"^([ \t]+)--hash[=\s]", text, re.M)), "    ")
    unknown: list[Package] = []
    for pkg in missing:
        hashes = _HASHES.get((normalise(pkg.name), pkg.pin))
        if not hashes:
            unknown.append(pkg)
            continue
        line = f"{pkg.name}=={pkg.pin} \\" + "".join(
            f"{nl}{indent}--hash=sha256:{digest}" + (" \\" if i < len(hashes) - 1 else "")
            for i, digest in enumerate(hashes)
        )
        text = _insert_requirement(text, line, nl)
        result.added.append(pkg.name)
    result.text = text
    if result.added and "autogenerated by pip-compile" in text:
        result.notes.append(
            f"{label} is generated by pip-compile: declare {', '.join(result.added)} in its .in "
            "file too, or the next compile drops them"
        )
    if unknown:
        result.notes.append(
            f"{label} pins every package with --hash, and a line without one would make pip "
            f"refuse the whole file: add {_names(unknown)} to the file it is compiled from "
            "and re-run `pip-compile --generate-hashes`"
        )
    return result


def _insert_requirement(text: str, line: str, nl: str) -> str:
    lines = _requirement_lines(text)
    reqs = [(i, ln) for i, ln in enumerate(lines) if ln.kind == "req" and ln.name]
    at = _insert_index([_sort_key(ln.name or "") for _, ln in reqs], _item_key(line))
    if at is not None:
        index = reqs[at][0]
        pos = lines[_attached_comments(lines, index)].start
        return text[:pos] + line + nl + text[pos:]
    anchor = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].kind == "req"), None)
    if anchor is None:
        anchor = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].kind == "option"), None)
    if anchor is None:
        pos = len(text)
    else:
        # pip-compile's indented "# via" comments belong to the requirement above them
        while anchor + 1 < len(lines) and lines[anchor + 1].indented:
            anchor += 1
        pos = lines[anchor].end
    if pos == len(text) and text and not text.endswith(("\n", "\r")):
        return text + nl + line
    return text[:pos] + line + nl + text[pos:]


def _attached_comments(lines: list[_Line], index: int) -> int:
    """The first line of the comments directly above line `index`: they describe it, so a line
    inserted before it goes above them. A comment block that starts the file is a header and
    stays on top."""
    first = index
    while first > 0 and lines[first - 1].kind == "comment" and not lines[first - 1].indented:
        first -= 1
    return index if first == 0 else first


# --------------------------------------------------------------------------------------------
# TOML: pyproject.toml ([project], [tool.poetry]) and Pipfile
#
# A small lossless scanner finds where each table, key and array item sits; new lines and items
# are inserted as text next to their neighbours, in their style. The result must parse and
# differ from the original only by the added packages, or the file is left alone.
# --------------------------------------------------------------------------------------------

_TOML_TOKEN = re.compile(
    r"(?P<nl>\r?\n)"
    r"|(?P<ws>[ \t]+)"
    r"|(?P<comment>\#[^\r\n]*)"
    r"|(?P<str>" + '"""' + r'(?:\\[\s\S]|[^\\])*?"{3,5}'
    r"|'''[\s\S]*?'{3,5}"
    r'|"(?:\\.|[^"\\\r\n])*"'
    r"|'[^'\r\n]*')"
    r"|(?P<punct>[\[\]{},=.])"
    r"|(?P<bare>[^\s\[\]{},=\#\"'.]+)"
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    start: int
    end: int
    text: str


@dataclass
class _Entry:
    """One `key = value` statement."""

    table: tuple[str, ...]
    in_array_table: bool
    key: tuple[str, ...]
    line_start: int
    key_end: int
    eq: int
    value: list[_Tok]
    end: int  # after the newline that ends the statement


@dataclass
class _Header:
    path: tuple[str, ...]
    array_table: bool
    end: int


@dataclass
class _TomlLayout:
    entries: list[_Entry]
    headers: list[_Header]


def _toml_string(token: str) -> str | None:
    try:
        value = tomllib.loads(f"v = {token}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if isinstance(value, str) else None


def _toml_layout(text: str) -> _TomlLayout | None:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOML_TOKEN.match(text, pos)
        if not m or m.lastgroup is None:
            return None
        toks.append(_Tok(m.lastgroup, m.start(), m.end(), m.group()))
        pos = m.end()
    n = len(toks)

    def skip(i: int, kinds: tuple[str, ...] = ("ws",)) -> int:
        while i < n and toks[i].kind in kinds:
            i += 1
        return i

    def read_key(i: int) -> tuple[tuple[str, ...] | None, int, int]:
        parts: list[str] = []
        end = 0
        while True:
            i = skip(i)
            if i >= n or toks[i].kind not in ("bare", "str"):
                return None, i, end
            part = toks[i].text if toks[i].kind == "bare" else _toml_string(toks[i].text)
            if part is None:
                return None, i, end
            parts.append(part)
            end = toks[i].end
            i = skip(i + 1)
            if i < n and toks[i].kind == "punct" and toks[i].text == ".":
                i += 1
                continue
            return tuple(parts), i, end

    def line_end(i: int) -> tuple[int, int] | None:
        i = skip(i, ("ws", "comment"))
        if i >= n:
            return len(text), i
        if toks[i].kind != "nl":
            return None
        return toks[i].end, i + 1

    layout = _TomlLayout([], [])
    table: tuple[str, ...] = ()
    array_table = False
    i = 0
    while i < n:
        tok = toks[i]
        if tok.kind in ("ws", "nl", "comment"):
            i += 1
            continue
        line_start = text.rfind("\n", 0, tok.start) + 1
        if tok.kind == "punct" and tok.text == "[":
            array_table = i + 1 < n and toks[i + 1].text == "["
            key, i, _ = read_key(i + (2 if array_table else 1))
            if key is None:
                return None
            for _ in range(2 if array_table else 1):
                i = skip(i)
                if i >= n or toks[i].text != "]":
                    return None
                i += 1
            ended = line_end(i)
            if ended is None:
                return None
            end, i = ended
            table = key
            layout.headers.append(_Header(key, array_table, end))
            continue
        key, i, key_end = read_key(i)
        if key is None or i >= n or toks[i].text != "=":
            return None
        eq = toks[i].start
        i = skip(i + 1)
        if i >= n:
            return None
        first = i
        if toks[i].kind == "punct" and toks[i].text in "[{":
            depth = 0
            while i < n:
                if toks[i].kind == "punct" and toks[i].text in "[{":
                    depth += 1
                elif toks[i].kind == "punct" and toks[i].text in "]}":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            if i >= n:
                return None
            i += 1
            value = toks[first:i]
        else:
            while i < n and toks[i].kind not in ("nl", "comment"):
                i += 1
            value = [t for t in toks[first:i]]
            while value and value[-1].kind == "ws":
                value.pop()
        ended = line_end(i)
        if ended is None:
            return None
        end, i = ended
        layout.entries.append(_Entry(table, array_table, key, line_start, key_end, eq, value, end))
    return layout


def _quote(value: str, quote: str) -> str:
    if quote == "'" and "'" not in value and "\\" not in value:
        return f"'{value}'"
    return json.dumps(value)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_at(text: str, pos: int) -> str:
    m = re.match(r"[ \t]*", text[_line_start(text, pos) :])
    return m.group() if m else ""


def _attached_start(text: str, pos: int, first_line: int) -> int:
    """Start of the comment lines directly above `pos`: they describe that line, so a line
    inserted before it goes above them. Comments that run up to `first_line`, the first line of
    the list or table, head all of it, and stay on top."""
    start = pos
    while start > first_line:
        previous = _line_start(text, start - 1)
        if previous < first_line or not text[previous:start].strip().startswith("#"):
            break
        start = previous
    return pos if start <= first_line else start


def _array_tokens(entry: _Entry) -> tuple[_Tok, _Tok, list[_Tok]] | None:
    if len(entry.value) < 2 or entry.value[0].text != "[":
        return None
    return entry.value[0], entry.value[-1], entry.value[1:-1]


def _array_strings(entry: _Entry) -> list[str] | None:
    """The array's items, or None when it is not a flat array of strings."""
    parts = _array_tokens(entry)
    if parts is None:
        return None
    _, _, inner = parts
    out: list[str] = []
    for tok in inner:
        if tok.kind in ("ws", "nl", "comment") or tok.text == ",":
            continue
        value = _toml_string(tok.text) if tok.kind == "str" else None
        if value is None:
            return None
        out.append(value)
    return out


def _insert_into_array(text: str, entry: _Entry, item: str, nl: str) -> str:
    opening, closing, inner = _array_tokens(entry) or (None, None, [])
    assert opening is not None and closing is not None
    items = [i for i, tok in enumerate(inner) if tok.kind == "str"]
    multiline = any(tok.kind == "nl" for tok in inner)
    quotes = Counter(inner[i].text[0] for i in items)
    new = _quote(item, "'" if quotes["'"] > quotes['"'] else '"')
    if not items:
        if multiline:
            pos = _line_start(text, closing.start)
            indent = _indent_at(text, closing.start) + "    "
            return text[:pos] + indent + new + "," + nl + text[pos:]
        return text[: opening.end] + new + text[closing.start :]
    commas = [i for i, tok in enumerate(inner) if tok.text == ","]
    after_comma = inner[commas[0] + 1] if commas and commas[0] + 1 < len(inner) else None
    sep = after_comma.text if after_comma is not None and after_comma.kind == "ws" else " "
    keys = [_item_key(_toml_string(inner[i].text) or "") for i in items]
    at = _insert_index(keys, _item_key(item))
    if at is not None:
        tok = inner[items[at]]
        line = _line_start(text, tok.start)
        if multiline and not text[line : tok.start].strip():
            pos = _attached_start(text, line, text.find("\n", opening.start) + 1)
            return text[:pos] + text[line : tok.start] + new + "," + nl + text[pos:]
        return text[: tok.start] + new + "," + sep + text[tok.start :]
    last = inner[items[-1]]
    j = items[-1] + 1
    while j < len(inner) and inner[j].kind == "ws":
        j += 1
    comma = inner[j] if j < len(inner) and inner[j].text == "," else None
    if not multiline:
        return text[: last.end] + "," + sep + new + text[last.end :]
    indent = _indent_at(text, last.start)
    newline = next((tok for tok in inner[j:] if tok.kind == "nl"), None)
    if newline is not None:
        out = text[: newline.end] + indent + new + ("," if comma else "") + nl
        out += text[newline.end :]
        return out if comma else out[: last.end] + "," + out[last.end :]
    if comma is not None:
        return text[: comma.end] + nl + indent + new + "," + text[comma.end :]
    return text[: last.end] + "," + nl + indent + new + text[last.end :]


def _insert_into_table(
    text: str, layout: _TomlLayout, path: tuple[str, ...], key: str, value: str, nl: str
) -> str:
    header = next(h for h in layout.headers if h.path == path and not h.array_table)
    rows = [e for e in layout.entries if e.table == path and not e.in_array_table]
    key_text = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)
    sortable = [e for e in rows if e.key[0].lower() != "python"]
    at = _insert_index([_sort_key(e.key[0]) for e in sortable], _sort_key(key))
    neighbour = sortable[at] if at is not None else (rows[-1] if rows else None)
    indent = _indent_at(text, neighbour.key_end) if neighbour else ""
    gap, after = " ", " "
    if rows:
        columns = {e.eq - e.line_start for e in rows}
        gaps = Counter(text[e.key_end : e.eq] for e in rows)
        if len(rows) > 1 and len(columns) == 1 and any(g != " " for g in gaps):
            gap = " " * max(1, columns.pop() - len(indent) - len(key_text))
        else:
            gap = gaps.most_common(1)[0][0]
        first = rows[0]
        after = text[first.eq + 1 : first.value[0].start] if first.value else " "
    line = f"{indent}{key_text}{gap}={after}{value}"
    if at is not None:
        target = sortable[at]
        pos = _attached_start(text, target.line_start, header.end)
        return text[:pos] + line + nl + text[pos:]
    pos = rows[-1].end if rows else header.end
    if pos == len(text) and not text.endswith("\n"):
        return text + nl + line
    return text[:pos] + line + nl + text[pos:]


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _same_but(old: dict[str, Any], new: dict[str, Any], path: tuple[str, ...], want: Any) -> bool:
    """True when `new` is `old` with the value at `path` replaced by `want`."""
    got = _dig(new, path)
    if isinstance(want, list):
        if not isinstance(got, list) or sorted(map(repr, got)) != sorted(map(repr, want)):
            return False
    elif got != want:
        return False
    old, new = copy.deepcopy(old), copy.deepcopy(new)
    for data in (old, new):
        parent = _dig(data, path[:-1])
        parent[path[-1]] = None
    return old == new


def _toml_entry(layout: _TomlLayout, path: tuple[str, ...]) -> _Entry | None:
    """The statement that holds `path`, whether written under a header or as a dotted key."""
    for entry in layout.entries:
        if not entry.in_array_table and entry.table + entry.key == path:
            return entry
    return None


def _has_table(layout: _TomlLayout, path: tuple[str, ...]) -> bool:
    return any(h.path == path and not h.array_table for h in layout.headers)


def _parse_toml(text: str, label: str) -> tuple[dict[str, Any], _TomlLayout] | str:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"{label} is not valid TOML ({exc}): left unchanged"
    layout = _toml_layout(text)
    if layout is None:
        return f"{label}: could not follow the file's layout, left unchanged"
    return data, layout


def _add_to_array(
    text: str,
    data: dict[str, Any],
    layout: _TomlLayout,
    path: tuple[str, ...],
    packages: list[Package],
    label: str,
    extra_declared: set[str] | None = None,
) -> Result:
    where = ".".join(path)
    entry = _toml_entry(layout, path)
    values = _array_strings(entry) if entry else None
    if entry is None or values is None:
        return Result(text, notes=[f"{label}: {where} is not a plain list of strings"])
    reqs = [r for r in map(_parse_req, values) if r]
    declared = {_sort_key(r.name) for r in reqs} | (extra_declared or set())
    missing, already = _split_declared(packages, declared)
    result = Result(text, already=already)
    if not missing:
        return result
    style = _pep508_style(reqs)
    nl = _newline(text)
    new_text = text
    items = [_pep508(pkg, style) for pkg in missing]
    for item in items:
        layout_now = _toml_layout(new_text)
        entry_now = _toml_entry(layout_now, path) if layout_now else None
        if entry_now is None:
            return Result(text, already=already, notes=[_unsafe(label, where, missing)])
        new_text = _insert_into_array(new_text, entry_now, item, nl)
    try:
        ok = _same_but(data, tomllib.loads(new_text), path, [*_dig(data, path), *items])
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        return Result(text, already=already, notes=[_unsafe(label, where, missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


def _add_to_table(
    text: str,
    data: dict[str, Any],
    layout: _TomlLayout,
    path: tuple[str, ...],
    packages: list[Package],
    label: str,
    render: Callable[[Package, str], str | dict[str, Any]],
    style: str,
    extra_declared: set[str] | None = None,
) -> Result:
    where = ".".join(path)
    table = _dig(data, path)
    declared = {_sort_key(name) for name in table} | (extra_declared or set())
    missing, already = _split_declared(packages, declared)
    result = Result(text, already=already)
    if not missing:
        return result
    if not _has_table(layout, path):
        result.notes.append(
            f"{label}: [{where}] is not written as a [table] of its own; "
            f"add {_names(missing)} by hand"
        )
        return result
    nl = _newline(text)
    quotes = Counter(
        e.value[0].text[0]
        for e in layout.entries
        if e.table == path and e.value and e.value[0].kind == "str"
    )
    quote = "'" if quotes["'"] > quotes['"'] else '"'
    new_text = text
    want = dict(table)
    for pkg in missing:
        value = render(pkg, style)
        want[_base_name(pkg.name)] = value
        layout_now = _toml_layout(new_text)
        if layout_now is None:
            return Result(text, already=already, notes=[_unsafe(label, where, missing)])
        new_text = _insert_into_table(
            new_text, layout_now, path, _base_name(pkg.name), _toml_value(value, quote), nl
        )
    try:
        ok = _same_but(data, tomllib.loads(new_text), path, want)
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        return Result(text, already=already, notes=[_unsafe(label, where, missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


def _toml_value(value: str | dict[str, Any], quote: str) -> str:
    if isinstance(value, str):
        return _quote(value, quote)
    parts = []
    for key, item in value.items():
        if isinstance(item, list):
            rendered = "[" + ", ".join(_quote(x, quote) for x in item) + "]"
        else:
            rendered = _quote(item, quote)
        parts.append(f"{key} = {rendered}")
    return "{" + ", ".join(parts) + "}"


def _unsafe(label: str, where: str, missing: list[Package]) -> str:
    return (
        f"{label}: could not add {_names(missing)} to {where} without changing anything "
        "else; left unchanged, add them by hand"
    )


def _table_versions(table: dict[str, Any]) -> list[str]:
    out = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        version = spec.get("version") if isinstance(spec, dict) else spec
        if isinstance(version, str):
            out.append(version.strip())
    return out


def _poetry_class(version: str) -> str | None:
    if version == "*":
        return "*"
    for prefix in ("^", "~=", "~", "==", ">="):
        if version.startswith(prefix):
            return prefix
    if version.startswith(">"):
        return ">="
    if re.fullmatch(r"\d+(\.\d+)*", version):
        return "exact"
    return None


def _poetry_style(table: dict[str, Any]) -> str:
    """Caret, unless every (and at least two) of the table's constraints share another style."""
    classes = [_poetry_class(v) for v in _table_versions(table)]
    if len(classes) >= 2 and len(set(classes)) == 1 and classes[0] not in (None, "^"):
        return str(classes[0])
    return "^"


def _pipfile_style(table: dict[str, Any]) -> str:
    versions = _table_versions(table)
    classes = Counter(_poetry_class(v) for v in versions)
    classes[">="] += classes.pop("^", 0) + classes.pop("~", 0)
    if not versions or classes["*"] * 2 > len(versions):
        return "*"
    best = max((">=", "==", "~="), key=lambda kind: classes[kind])
    return best if classes[best] else "*"


def _render_mapping(pkg: Package, style: str) -> str | dict[str, Any]:
    version = _constraint(pkg, style) or "*"
    extras = _extras(pkg.name)
    return {"version": version, "extras": extras} if extras else version


def _add_pep621(text: str, packages: list[Package], label: str, kind: str) -> Result:
    parsed = _parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("dependencies"), list):
        dynamic = isinstance(project, dict) and "dependencies" in project.get("dynamic", [])
        why = (
            "[project] lists dependencies as dynamic (computed by the build backend)"
            if dynamic
            else "has no [project].dependencies list"
        )
        return Result(text, notes=[f"{label} {why}: add {_names(packages)} by hand"])
    result = _add_to_array(text, data, layout, ("project", "dependencies"), packages, label)
    if result.added and kind == "uv":
        result.notes.append("run `uv lock` to update uv.lock")
    return result


def _add_poetry(text: str, packages: list[Package], label: str) -> Result:
    parsed = _parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    table_path = ("tool", "poetry", "dependencies")
    table = _dig(data, table_path)
    table = table if isinstance(table, dict) else None
    project_deps = _dig(data, ("project", "dependencies"))
    project_deps = project_deps if isinstance(project_deps, list) else None
    in_table = {_sort_key(name) for name in table or {}}
    in_project = {_sort_key(r.name) for r in map(_parse_req, project_deps or []) if r}
    # poetry 1 reads only the table; poetry 2 reads [project].dependencies first and the table
    # only to enrich it. Add where the project declares Django, else where its packages are.
    use_project = project_deps is not None and (
        not in_table - {"python"} or ("django" in in_project and "django" not in in_table)
    )
    if use_project:
        result = _add_to_array(
            text, data, layout, ("project", "dependencies"), packages, label, in_table
        )
    elif table is not None:
        result = _add_to_table(
            text,
            data,
            layout,
            table_path,
            packages,
            label,
            _render_mapping,
            _poetry_style(table),
            in_project,
        )
    else:
        return Result(
            text,
            notes=[
                f"{label} has neither [tool.poetry.dependencies] nor [project].dependencies: "
                f"add {_names(packages)} by hand"
            ],
        )
    if result.added:
        result.notes.append("run `poetry lock` to update poetry.lock")
    return result


def _add_pipfile(text: str, packages: list[Package], label: str) -> Result:
    parsed = _parse_toml(text, label)
    if isinstance(parsed, str):
        return Result(text, notes=[parsed])
    data, layout = parsed
    table = data.get("packages")
    if not isinstance(table, dict):
        return Result(
            text, notes=[f"{label} has no [packages] table: add {_names(packages)} by hand"]
        )
    result = _add_to_table(
        text, data, layout, ("packages",), packages, label, _render_mapping, _pipfile_style(table)
    )
    if result.added:
        result.notes.append("run `pipenv lock` to update Pipfile.lock")
    return result


# --------------------------------------------------------------------------------------------
# setup.py: the install_requires=[...] literal of setup(), through libcst
# --------------------------------------------------------------------------------------------

_ListLike = cst.List | cst.Tuple


class _SetupCalls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls = 0
        self.install_requires: list[cst.BaseExpression] = []
        self.assignments: dict[str, list[cst.BaseExpression]] = {}
        self._depth = 0

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        if name != "setup":
            return
        self.calls += 1
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "install_requires":
                self.install_requires.append(arg.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.assignments.setdefault(target.target.value, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.assignments.setdefault(node.target.value, []).append(node.value)


def _find_install_requires(module: cst.Module) -> _ListLike | str:
    visitor = _SetupCalls()
    module.visit(visitor)
    if not visitor.calls:
        return "has no setup() call"
    if not visitor.install_requires:
        return "has no install_requires in setup()"
    if len(visitor.install_requires) > 1:
        return "passes install_requires more than once"
    value = visitor.install_requires[0]
    if isinstance(value, cst.Name):
        assigned = visitor.assignments.get(value.value, [])
        if len(assigned) != 1:
            return f"builds install_requires from {value.value}, which is not one list literal"
        value = assigned[0]
    if not isinstance(value, _ListLike) or (isinstance(value, cst.Tuple) and not value.lpar):
        return "computes install_requires instead of writing a list literal"
    if not all(
        isinstance(e, cst.Element) and isinstance(e.value, cst.SimpleString) for e in value.elements
    ):
        return "has install_requires items that are not plain strings"
    return value


def _element_strings(node: _ListLike) -> list[str]:
    out = []
    for element in node.elements:
        assert isinstance(element.value, cst.SimpleString)
        value = element.value.evaluated_value
        out.append(value if isinstance(value, str) else value.decode())
    return out


def _opening(node: _ListLike) -> cst.BaseParenthesizableWhitespace:
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after
    return node.lpar[0].whitespace_after


def _with_opening(node: _ListLike, ws: cst.BaseParenthesizableWhitespace) -> _ListLike:
    if isinstance(node, cst.List):
        return node.with_changes(lbracket=node.lbracket.with_changes(whitespace_after=ws))
    first = node.lpar[0].with_changes(whitespace_after=ws)
    return node.with_changes(lpar=[first, *node.lpar[1:]])


def _closing(node: _ListLike) -> cst.BaseParenthesizableWhitespace:
    if isinstance(node, cst.List):
        return node.rbracket.whitespace_before
    return node.rpar[-1].whitespace_before


def _with_closing(node: _ListLike, ws: cst.BaseParenthesizableWhitespace) -> _ListLike:
    if isinstance(node, cst.List):
        return node.with_changes(rbracket=node.rbracket.with_changes(whitespace_before=ws))
    last = node.rpar[-1].with_changes(whitespace_before=ws)
    return node.with_changes(rpar=[*node.rpar[:-1], last])


def _split_attached(lines: list[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """(lines that stay, the comment lines right above the next element)."""
    cut = len(lines)
    while cut > 0 and lines[cut - 1].comment is not None:
        cut -= 1
    return list(lines[:cut]), list(lines[cut:])


def _insert_element(node: _ListLike, index: int, value: cst.SimpleString) -> _ListLike:
    elements = list(node.elements)
    if not elements:
        comma = cst.Comma() if isinstance(node, cst.Tuple) else cst.MaybeSentinel.DEFAULT
        node = node.with_changes(elements=[cst.Element(value, comma=comma)])
        node = _with_opening(node, cst.SimpleWhitespace(""))
        return _with_closing(node, cst.SimpleWhitespace(""))

    def lead(i: int) -> cst.BaseParenthesizableWhitespace:
        if i == 0:
            return _opening(node)
        comma = elements[i - 1].comma
        return comma.whitespace_after if isinstance(comma, cst.Comma) else cst.SimpleWhitespace("")

    first_comma = elements[0].comma
    sep = (
        first_comma.whitespace_after
        if isinstance(first_comma, cst.Comma)
        and isinstance(first_comma.whitespace_after, cst.SimpleWhitespace)
        and first_comma.whitespace_after.value
        else cst.SimpleWhitespace(" ")
    )
    if index < len(elements):
        before = lead(index)
        if isinstance(before, cst.ParenthesizedWhitespace):
            stay, attached = _split_attached(list(before.empty_lines))
            if index == 0 and not stay:  # comments that open the list head all of it
                stay, attached = attached, []
            to_next = before.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=attached)
            new = cst.Element(value, comma=cst.Comma(whitespace_after=to_next))
            before = before.with_changes(empty_lines=stay)
            if index == 0:
                node = _with_opening(node, before)
            else:
                comma = elements[index - 1].comma
                assert isinstance(comma, cst.Comma)
                elements[index - 1] = elements[index - 1].with_changes(
                    comma=comma.with_changes(whitespace_after=before)
                )
        else:
            new = cst.Element(value, comma=cst.Comma(whitespace_after=sep))
        elements.insert(index, new)
        return node.with_changes(elements=elements)

    last = elements[-1]
    item_ws = lead(len(elements) - 1)
    if not isinstance(item_ws, cst.ParenthesizedWhitespace):
        item_ws = _opening(node)
    if not isinstance(item_ws, cst.ParenthesizedWhitespace):  # all on one line
        if isinstance(last.comma, cst.Comma):
            new = cst.Element(value, comma=last.comma)
            last = last.with_changes(comma=last.comma.with_changes(whitespace_after=sep))
        else:
            new = cst.Element(value)
            last = last.with_changes(comma=cst.Comma(whitespace_after=sep))
        return node.with_changes(elements=[*elements[:-1], last, new])
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else _closing(node)
    to_item = item_ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    to_close = closing
    if isinstance(closing, cst.ParenthesizedWhitespace):
        # the last element's own comment stays on its line; trailing comment lines stay last
        to_item = to_item.with_changes(first_line=closing.first_line)
        to_close = closing.with_changes(first_line=cst.TrailingWhitespace())
    if isinstance(last.comma, cst.Comma):
        new = cst.Element(value, comma=last.comma.with_changes(whitespace_after=to_close))
        last = last.with_changes(comma=last.comma.with_changes(whitespace_after=to_item))
    else:
        new = cst.Element(value)
        last = last.with_changes(comma=cst.Comma(whitespace_after=to_item))
        node = _with_closing(node, to_close)
    return node.with_changes(elements=[*elements[:-1], last, new])


def _add_setup_py(text: str, packages: list[Package], label: str) -> Result:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return Result(text, notes=[f"{label} does not parse ({exc.message}): left unchanged"])
    found = _find_install_requires(module)
    if isinstance(found, str):
        return Result(text, notes=[f"{label} {found}: add {_names(packages)} by hand"])
    values = _element_strings(found)
    reqs = [r for r in map(_parse_req, values) if r]
    missing, already = _split_declared(packages, {_sort_key(r.name) for r in reqs})
    result = Result(text, already=already)
    if not missing:
        return result
    style = _pep508_style(reqs)
    quotes = Counter(e.value.quote for e in found.elements if isinstance(e.value, cst.SimpleString))
    quote = "'" if quotes["'"] > quotes['"'] else '"'
    node: _ListLike = found
    items = [_pep508(pkg, style) for pkg in missing]
    for item in items:
        keys = [_item_key(v) for v in _element_strings(node)]
        at = _insert_index(keys, _item_key(item))
        literal = cst.SimpleString(_quote(item, quote))
        node = _insert_element(node, len(keys) if at is None else at, literal)
    new_text = module.deep_replace(found, node).code
    after = _find_install_requires(cst.parse_module(new_text))
    if isinstance(after, str) or Counter(_element_strings(after)) != Counter(values + items):
        return Result(text, already=already, notes=[_unsafe(label, "install_requires", missing)])
    try:
        ast.parse(new_text)
    except SyntaxError:
        return Result(text, already=already, notes=[_unsafe(label, "install_requires", missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


# --------------------------------------------------------------------------------------------
# setup.cfg: [options] install_requires, a dangling multi-line value
# --------------------------------------------------------------------------------------------

_CFG_KEY = re.compile(r"(install[_-]requires)(\s*[=:])\s*(.*?)(\s*)$")


def _cfg_requirements(text: str) -> list[str] | str:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return f"does not parse ({type(exc).__name__})"
    if not parser.has_section("options"):
        return "has no [options] section"
    raw = parser.get("options", "install_requires", fallback=None)
    if raw is None:
        raw = parser.get("options", "install-requires", fallback=None)
    if raw is None:
        return "has no install_requires in [options]"
    if raw.strip().startswith("file:"):
        return f"reads install_requires from `{raw.strip()[5:].strip()}`; add them there"
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) == 1 and ";" in lines[0]:
        return "writes install_requires on one line with ';', which is ambiguous"
    return lines


def _add_setup_cfg(text: str, packages: list[Package], label: str) -> Result:
    values = _cfg_requirements(text)
    if isinstance(values, str):
        return Result(text, notes=[f"{label} {values}: add {_names(packages)} by hand"])
    reqs = [r for r in map(_parse_req, values) if r]
    missing, already = _split_declared(packages, {_sort_key(r.name) for r in reqs})
    result = Result(text, already=already)
    if not missing:
        return result
    style = _pep508_style(reqs)
    nl = _newline(text)
    items = [_pep508(pkg, style) for pkg in missing]
    new_text = text
    for item in items:
        inserted = _insert_cfg_line(new_text, item, nl)
        if inserted is None:
            break
        new_text = inserted
    after = _cfg_requirements(new_text)
    if inserted is None or isinstance(after, str) or Counter(after) != Counter(values + items):
        return Result(text, already=already, notes=[_unsafe(label, "install_requires", missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


def _insert_cfg_line(text: str, item: str, nl: str) -> str | None:
    lines = text.splitlines(keepends=True)
    header = next((i for i, line in enumerate(lines) if line.strip() == "[options]"), None)
    if header is None:
        return None
    end = next((i for i in range(header + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    key = next((i for i in range(header + 1, end) if _CFG_KEY.match(lines[i])), None)
    if key is None:
        return None
    last = key + 1
    while last < end and (not lines[last].strip() or lines[last][:1] in " \t"):
        last += 1
    while last > key + 1 and not lines[last - 1].strip():
        last -= 1
    body = lines[key].rstrip("\r\n")
    m = _CFG_KEY.match(body)
    assert m is not None
    eol = lines[key][len(body) :]
    values = [
        i
        for i in range(key + 1, last)
        if lines[i].strip() and not lines[i].strip().startswith(("#", ";"))
    ]
    if m.group(3):  # a value on the key line: make it the first line of a dangling list
        indent = re.match(r"[ \t]*", lines[values[0]]).group() if values else "    "
        eol = eol or nl
        lines[key : key + 1] = [m.group(1) + m.group(2) + eol, indent + m.group(3) + eol]
        return _insert_cfg_line("".join(lines), item, nl)
    indent = re.match(r"[ \t]*", lines[values[0]]).group() if values else "    "
    keys = [_item_key(lines[i].strip()) for i in values]
    at = _insert_index(keys, _item_key(item))
    if at is not None:
        pos = values[at]
        while pos - 1 > key and lines[pos - 1].strip().startswith(("#", ";")):
            pos -= 1
        if pos == key + 1:  # comments that open the list head all of it
            pos = values[at]
        lines.insert(pos, indent + item + nl)
        return "".join(lines)
    pos = values[-1] + 1 if values else key + 1
    if pos == len(lines) and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
        lines.append(indent + item)
    else:
        lines.insert(pos, indent + item + nl)
    return "".join(lines)


# --------------------------------------------------------------------------------------------


def add_packages(kind: str, text: str, packages: list[Package], *, path: str = "") -> Result:
    """Declare `packages` in a dependency file of `kind` (see KINDS), in the file's own style.

    Returns the new text, what was added, what was already declared, and notes: the command
    to run next (`uv lock`, `pip-compile ...`), or why the file was left unchanged.
    """
    label = path or _DEFAULT_FILE.get(kind, "the dependency file")
    if kind in ("requirements", "pip-tools"):
        return _add_requirements(kind, text, packages, label)
    if kind in ("pep621", "uv"):
        return _add_pep621(text, packages, label, kind)
    if kind == "poetry":
        return _add_poetry(text, packages, label)
    if kind == "pipfile":
        return _add_pipfile(text, packages, label)
    if kind == "setup.py":
        return _add_setup_py(text, packages, label)
    if kind == "setup.cfg":
        return _add_setup_cfg(text, packages, label)
    return Result(text, notes=[f"unknown dependency file kind {kind!r}: nothing added"])
