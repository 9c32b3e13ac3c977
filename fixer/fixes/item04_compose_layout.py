"""How a compose file is written back (item 4): ruamel's round trip with the file's own
indentation and quoting, the blank lines between its services, and the blank lines and comments
that follow a service kept in place while its last entries are removed or added."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken


def round_trip() -> Any:
    """A ruamel loader and dumper that keeps comments, order and the author's quotes."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def indents(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file writes them, for ruamel's yaml.indent()."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping = 2
    for a, b in itertools.pairwise(lines):
        ia, ib = len(a) - len(a.lstrip()), len(b) - len(b.lstrip())
        if a.rstrip().endswith(":") and ib > ia and not b.lstrip().startswith("- "):
            mapping = ib - ia
            break
    for a, b in itertools.pairwise(lines):
        if a.rstrip().endswith(":") and b.lstrip().startswith("- "):
            offset = (len(b) - len(b.lstrip())) - (len(a) - len(a.lstrip()))
            return mapping, offset + 2, offset
    return mapping, mapping + 2, mapping


def spaced(text: str, original: str) -> str:
    """A blank line before each service and top-level key, where the original file had blank
    lines between its services (ruamel keeps a blank line only where one was)."""
    if "\n\n" not in original.strip():
        return text
    lines = text.split("\n")
    out: list[str] = []
    in_services = False
    service_indent: int | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        key = bool(re.match(r"^\s*[\w.-]+\s*:", line)) and not stripped.startswith("#")
        if key and indent == 0:
            if out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
                out.append("")
            in_services = stripped.startswith("services:")
            service_indent = None
        elif key and in_services:
            if service_indent is None:
                service_indent = indent
            elif (
                indent == service_indent
                and out
                and out[-1].strip()
                and not out[-1].lstrip().startswith("#")
            ):
                out.append("")
        out.append(line)
    return "\n".join(out)


def _last_leaf(node: Any, depth: int = 0) -> tuple[Any, Any, int] | None:
    """(collection, key or index, comment slot) of the scalar written last inside `node`: what
    ruamel hangs the blank lines and comments that follow it on."""
    if depth > 50:
        return None
    if isinstance(node, CommentedMap) and node:
        key = list(node.keys())[-1]
        value = node[key]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value:
            return _last_leaf(value, depth + 1)
        return node, key, 2
    if isinstance(node, CommentedSeq) and node:
        value = node[-1]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value:
            return _last_leaf(value, depth + 1)
        return node, len(node) - 1, 0
    return None


def detach_tail(node: Any) -> str:
    """Take off the lines that follow `node` (blank lines, the comment on what comes next),
    kept apart while its entries change: removing or adding its last entry must not lose or
    misplace them."""
    leaf = _last_leaf(node)
    if leaf is None:
        return ""
    container, key, slot = leaf
    entry = container.ca.items.get(key)
    token = entry[slot] if entry and len(entry) > slot else None
    if token is None:
        return ""
    own, newline, following = token.value.partition("\n")
    if following:
        token.value = own + newline
    return following


def attach_tail(node: Any, following: str) -> None:
    """Put back what `detach_tail` took, after what is now the last line of `node`."""
    leaf = _last_leaf(node) if following else None
    if leaf is None:
        return
    container, key, slot = leaf
    slots = container.ca.items.setdefault(key, [None, None, None, None])
    while len(slots) <= slot:
        slots.append(None)
    token = slots[slot]
    if token is None:
        slots[slot] = CommentToken("\n" + following, CommentMark(0), None)
    else:
        token.value = token.value + ("" if token.value.endswith("\n") else "\n") + following


def inline_merge(service: Any) -> None:
    """Give a service that takes keys from another one (`<<: *worker`) its own copy of each: the
    rewrite drops or changes its volumes, image and command, and a change made through the merge
    would change the anchored service too (a key deleted here came back from it, and deleting
    one that only the merge held failed)."""
    merged = getattr(service, "merge", None)
    if not isinstance(service, CommentedMap) or not merged:
        return
    own = {k for k, _ in service.non_merged_items()}
    inherited = [(k, copy.deepcopy(v)) for k, v in service.items() if k not in own]
    for _, value in inherited:
        # the lines after the anchored service's last key (the comment on the next service)
        # stay where they are, not in the middle of this one
        detach_tail(value)
    for source in list(merged):
        # the anchored map tells the maps that merge it of each key it loses (ruamel keeps no
        # public way to leave it): a service that took its keys must hear no more of them
        refs = getattr(source, "_ref", [])
        while service in refs:
            refs.remove(service)
    pos = getattr(merged, "merge_pos", 0)  # where `<<` stood: the keys take its place
    setattr(service, merge_attrib, [])
    for offset, (key, value) in enumerate(inherited):
        service.insert(pos + offset, key, value)
