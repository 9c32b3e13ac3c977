"""Lossless edits of TOML dependency lists and tables (pyproject.toml, Pipfile).

A small lossless scanner finds where each table, key and array item sits; new lines and items
are inserted as text next to their neighbours, in their style. The result must parse and
differ from the original only by the added packages, or the file is left alone.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codemods.dependencies.requirement import (
    Package,
    Result,
    base_name,
    constraint,
    extras_of,
    insert_index,
    item_key,
    joined_names,
    newline_of,
    parse_req,
    pep508,
    pep508_style,
    sort_key,
    split_declared,
    string_literal,
    unsafe_note,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


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
    new = string_literal(item, "'" if quotes["'"] > quotes['"'] else '"')
    if not items:
        if multiline:
            pos = _line_start(text, closing.start)
            indent = _indent_at(text, closing.start) + "    "
            return text[:pos] + indent + new + "," + nl + text[pos:]
        return text[: opening.end] + new + text[closing.start :]
    commas = [i for i, tok in enumerate(inner) if tok.text == ","]
    after_comma = inner[commas[0] + 1] if commas and commas[0] + 1 < len(inner) else None
    sep = after_comma.text if after_comma is not None and after_comma.kind == "ws" else " "
    keys = [item_key(_toml_string(inner[i].text) or "") for i in items]
    at = insert_index(keys, item_key(item))
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
    at = insert_index([sort_key(e.key[0]) for e in sortable], sort_key(key))
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


def dig(data: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in parsed TOML, or None."""
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _same_but(old: dict[str, Any], new: dict[str, Any], path: tuple[str, ...], want: Any) -> bool:
    """True when `new` is `old` with the value at `path` replaced by `want`."""
    got = dig(new, path)
    if isinstance(want, list):
        if not isinstance(got, list) or sorted(map(repr, got)) != sorted(map(repr, want)):
            return False
    elif got != want:
        return False
    old, new = copy.deepcopy(old), copy.deepcopy(new)
    for data in (old, new):
        parent = dig(data, path[:-1])
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


def parse_toml(text: str, label: str) -> tuple[dict[str, Any], _TomlLayout] | str:
    """(data, layout) of a TOML file, or the note saying why it is left unchanged."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"{label} is not valid TOML ({exc}): left unchanged"
    layout = _toml_layout(text)
    if layout is None:
        return f"{label}: could not follow the file's layout, left unchanged"
    return data, layout


def add_to_array(
    text: str,
    data: dict[str, Any],
    layout: _TomlLayout,
    path: tuple[str, ...],
    packages: list[Package],
    label: str,
    extra_declared: set[str] | None = None,
    written: dict[str, str] | None = None,
) -> Result:
    """Add the missing `packages` to the array of strings at `path`, as text in its style;
    `written`: the requirement string to add for a package (by `sort_key`) instead."""
    where = ".".join(path)
    entry = _toml_entry(layout, path)
    values = _array_strings(entry) if entry else None
    if entry is None or values is None:
        return Result(text, notes=[f"{label}: {where} is not a plain list of strings"])
    reqs = [r for r in map(parse_req, values) if r]
    declared = {sort_key(r.name) for r in reqs} | (extra_declared or set())
    missing, already = split_declared(packages, declared)
    result = Result(text, already=already)
    if not missing:
        return result
    style = pep508_style(reqs)
    nl = newline_of(text)
    new_text = text
    items = [(written or {}).get(sort_key(pkg.name)) or pep508(pkg, style) for pkg in missing]
    for item in items:
        layout_now = _toml_layout(new_text)
        entry_now = _toml_entry(layout_now, path) if layout_now else None
        if entry_now is None:
            return Result(text, already=already, notes=[unsafe_note(label, where, missing)])
        new_text = _insert_into_array(new_text, entry_now, item, nl)
    try:
        ok = _same_but(data, tomllib.loads(new_text), path, [*dig(data, path), *items])
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        return Result(text, already=already, notes=[unsafe_note(label, where, missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


def add_to_table(
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
    """Add the missing `packages` as keys of the table at `path`, values from `render`."""
    where = ".".join(path)
    table = dig(data, path)
    declared = {sort_key(name) for name in table} | (extra_declared or set())
    missing, already = split_declared(packages, declared)
    result = Result(text, already=already)
    if not missing:
        return result
    if not _has_table(layout, path):
        result.notes.append(
            f"{label}: [{where}] is not written as a [table] of its own; "
            f"add {joined_names(missing)} by hand"
        )
        return result
    nl = newline_of(text)
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
        want[base_name(pkg.name)] = value
        layout_now = _toml_layout(new_text)
        if layout_now is None:
            return Result(text, already=already, notes=[unsafe_note(label, where, missing)])
        new_text = _insert_into_table(
            new_text, layout_now, path, base_name(pkg.name), _toml_value(value, quote), nl
        )
    try:
        ok = _same_but(data, tomllib.loads(new_text), path, want)
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        return Result(text, already=already, notes=[unsafe_note(label, where, missing)])
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result


def _toml_value(value: str | dict[str, Any], quote: str) -> str:
    if isinstance(value, str):
        return string_literal(value, quote)
    parts = []
    for key, item in value.items():
        if isinstance(item, list):
            rendered = "[" + ", ".join(string_literal(x, quote) for x in item) + "]"
        else:
            rendered = string_literal(item, quote)
        parts.append(f"{key} = {rendered}")
    return "{" + ", ".join(parts) + "}"


def table_versions(table: dict[str, Any]) -> list[str]:
    """The version constraints of a dependency table, `python` left out."""
    out = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        version = spec.get("version") if isinstance(spec, dict) else spec
        if isinstance(version, str):
            out.append(version.strip())
    return out


def constraint_class(version: str) -> str | None:
    """The style of a poetry or Pipfile version constraint: `^`, `~`, `~=`, `==`,
    `>=`, `*` or `exact`; None when it has none of them."""
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


def render_mapping(pkg: Package, style: str) -> str | dict[str, Any]:
    """A dependency table value for `pkg`: its constraint, or a mapping with its extras."""
    version = constraint(pkg, style) or "*"
    extras = extras_of(pkg.name)
    return {"version": version, "extras": extras} if extras else version
