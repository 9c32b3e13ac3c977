"""What every dependency-file editor shares: the `Package` to declare and the `Result` of an
edit, PEP 508 requirement strings (names, specifiers, the version style a file writes them in)
and where a new item goes to keep a sorted list sorted."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Package:
    name: str  # as it should be written, e.g. "django-environ" or "uvicorn[standard]"
    floor: str  # loose specifier, e.g. ">=0.11" (may carry an upper bound: ">=0.4.5,<0.5")
    pin: str  # exact version for pinned styles, e.g. "0.11.2"


#: why a file could not take a package: it pins every package with --hash, and djfix does not
#: know the hashes of the package and of everything it installs
HASH_PINNED = "hash-pinned"


@dataclass(frozen=True)
class NotAdded:
    """A package a dependency file could not take: the file (its label) and why (a code, such as
    HASH_PINNED). Data, so a caller can act on it (install the package another way) and say so."""

    package: Package
    file: str
    reason: str


@dataclass
class Result:
    text: str
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_added: list[NotAdded] = field(default_factory=list)
    #: a compiled requirements file (pip-compile's output) that got packages: what to declare in
    #: its .in file too ("" when nothing), said only where the caller does not change that file
    compile_note: str = ""


def normalise(name: str) -> str:
    """PEP 503 normalised project name: `Django_Environ` -> `django-environ`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def base_name(name: str) -> str:
    """The project name without its extras: `uvicorn[standard]` -> `uvicorn`."""
    return name.split("[", 1)[0].strip()


def extras_of(name: str) -> list[str]:
    """The extras a name asks for: `uvicorn[standard]` -> `["standard"]`."""
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
class Req:
    name: str
    spec: str  # version specifier as written, markers and URL dropped; "" when bare
    sep: str  # whitespace between the name (and extras) and the specifier
    url: bool = False  # "name @ https://...": says nothing about the file's version style


def parse_req(text: str) -> Req | None:
    """A PEP 508 requirement string as a `Req`; None for a URL, a path or an option."""
    m = _REQ.match(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    if rest and rest[0] not in "=~<>!(;@":
        return None  # not a requirement: a URL, a path or an option
    url = rest.startswith("@")
    spec = "" if url else rest.split(";", 1)[0].strip()
    return Req(m.group("name"), spec, m.group("sep") if spec else "", url)


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
class Pep508Style:
    kind: str = "bare"  # "==", ">=", "~=" or "bare"
    sep: str = ""  # between name and operator: "django == 4.2" has " "
    op_sep: str = ""  # between operator and version
    paren: bool = False  # poetry 2 writes "django (>=4.2,<5.0)"


def pep508_style(reqs: list[Req]) -> Pep508Style:
    """The version style most of `reqs` share, for writing a new one like them."""
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
    return Pep508Style(kind, sep, op_sep, paren=bool(specified) and parens * 2 > specified)


def _split_floor(floor: str) -> tuple[str, str]:
    m = re.match(r"\s*(>=|~=|==|>)\s*(.+)", floor)
    return (m.group(1), m.group(2).strip()) if m else ("", "")


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _lower_bound(pkg: Package) -> str:
    _, rest = _split_floor(pkg.floor)
    return rest.split(",", 1)[0].strip() or _major_minor(pkg.pin)


def constraint(pkg: Package, kind: str) -> str:
    """The version constraint `pkg` is written with in a file of style `kind`.

    kind: `==`, `>=`, `~=` (PEP 440), `^`, `~` (poetry), `exact` (poetry's bare version), `*`,
    or `bare` (no constraint).
    """
    lower = _lower_bound(pkg)
    if kind == "==":
        return f"=={pkg.pin}" if pkg.pin else constraint(pkg, ">=")
    if kind == "exact":
        return pkg.pin or constraint(pkg, "^")
    if kind == "~=":
        if not pkg.pin:
            return constraint(pkg, ">=")
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


def pep508(pkg: Package, style: Pep508Style) -> str:
    """The requirement string for `pkg`, written in `style`."""
    spec = constraint(pkg, style.kind)
    if not spec:
        return pkg.name
    if style.paren:
        return f"{pkg.name} ({spec})"
    op = _OP.match(spec)
    if op:
        spec = op.group(1) + style.op_sep + spec[op.end() :]
    return f"{pkg.name}{style.sep}{spec}"


def newline_of(text: str) -> str:
    """The line ending the text uses."""
    return "\r\n" if "\r\n" in text else "\n"


def sort_key(name: str) -> str:
    """Sort and comparison key of a package name: normalised, extras dropped."""
    return normalise(base_name(name))


def item_key(requirement: str) -> str:
    """Sort key of a requirement string: its normalised project name."""
    req = parse_req(requirement)
    return normalise(req.name) if req else normalise(requirement.strip())


def insert_index(keys: list[str], new: str) -> int | None:
    """Where `new` goes to keep `keys` sorted, or None when they are not sorted (append)."""
    if keys != sorted(keys):
        return None
    return next((i for i, key in enumerate(keys) if key > new), None)


def split_declared(packages: list[Package], declared: set[str]) -> tuple[list[Package], list[str]]:
    """(packages still missing, names already declared), each package once."""
    missing: list[Package] = []
    already: list[str] = []
    seen: set[str] = set()
    for pkg in packages:
        key = sort_key(pkg.name)
        if key in seen:
            continue
        seen.add(key)
        if key in declared:
            already.append(pkg.name)
        else:
            missing.append(pkg)
    return missing, already


def joined_names(packages: list[Package]) -> str:
    """The packages' names, comma separated, for notes."""
    return ", ".join(p.name for p in packages)


def string_literal(value: str, quote: str) -> str:
    """A string literal of `value` in the `quote` the file prefers (TOML and Python)."""
    if quote == "'" and "'" not in value and "\\" not in value:
        return f"'{value}'"
    return json.dumps(value)


def unsafe_note(label: str, where: str, missing: list[Package]) -> str:
    """The note for an edit that would have changed more than the added packages."""
    return (
        f"{label}: could not add {joined_names(missing)} to {where} without changing anything "
        "else; left unchanged, add them by hand"
    )
