"""setup.cfg: [options] install_requires, a dangling multi-line value."""

from __future__ import annotations

import configparser
import re
from collections import Counter

from codemods.dependencies.requirement import (
    Package,
    Result,
    insert_index,
    item_key,
    joined_names,
    newline_of,
    parse_req,
    pep508,
    pep508_style,
    sort_key,
    split_declared,
    unsafe_note,
)

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


def add_setup_cfg(text: str, packages: list[Package], label: str) -> Result:
    """Declare `packages` in setup.cfg's [options] install_requires."""
    values = _cfg_requirements(text)
    if isinstance(values, str):
        return Result(text, notes=[f"{label} {values}: add {joined_names(packages)} by hand"])
    reqs = [r for r in map(parse_req, values) if r]
    missing, already = split_declared(packages, {sort_key(r.name) for r in reqs})
    result = Result(text, already=already)
    if not missing:
        return result
    style = pep508_style(reqs)
    nl = newline_of(text)
    items = [pep508(pkg, style) for pkg in missing]
    new_text = text
    for item in items:
        inserted = _insert_cfg_line(new_text, item, nl)
        if inserted is None:
            break
        new_text = inserted
    after = _cfg_requirements(new_text)
    if inserted is None or isinstance(after, str) or Counter(after) != Counter(values + items):
        return Result(
            text, already=already, notes=[unsafe_note(label, "install_requires", missing)]
        )
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
    keys = [item_key(lines[i].strip()) for i in values]
    at = insert_index(keys, item_key(item))
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
