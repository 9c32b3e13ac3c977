"""Remove `manage.py loaddata` from scripts, Makefiles, Procfiles, compose files and CI files
(checklist item 12), once the fixtures it loads live in a data migration.

A text edit, line by line, that keeps everything else as the author wrote it:

- a line that only runs loaddata (a script line, a Makefile recipe line, a `- ` item of a CI
  script list, a Procfile process, a Dockerfile `RUN`) is deleted;
- in a chain, only the loaddata command goes: `a && loaddata x && b` becomes `a && b`,
  `a && loaddata x` becomes `a`, `loaddata x; b` becomes `b` (also inside `sh -c "..."`);
- left, with the reason: a loaddata after `||` or in a pipe (removing it changes what runs),
  a line continued with `\\`, a compose `command:` or CI `run:` that runs nothing else (the
  service or step itself has to go), options djfix does not understand (`--database`, `--app`,
  `--exclude`, `--format`, `--ignorenonexistent`, ...), and fixtures the caller did not embed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

#: options that do not change which rows loaddata writes (value-taking ones in the first set)
VALUE_OPTIONS = frozenset({"-v", "--verbosity", "--settings", "--pythonpath"})
FLAG_OPTIONS = frozenset({"--traceback", "--no-color", "--force-color", "--skip-checks"})
#: line prefixes after which a lone command is the whole line
_LINE_PREFIX = re.compile(r"^(?P<indent>\s*)(?P<prefix>(?:RUN|CMD)\s+|-\s+|[\w.-]+:\s+)?")
_SEPARATORS = ("&&", "||", ";", "|")
_BOUNDARIES = frozenset("\"'`()")
_LOADDATA = re.compile(r"(?<![\w-])loaddata(?![\w-])")

OR_CHAIN = "runs after `||` or in a pipe: removing it changes what the line runs"
CONTINUED = "part of a command continued over several lines with `\\`: remove it by hand"
ALONE_IN_SERVICE = (
    "the whole compose command or CI step only runs loaddata: remove the service or step"
)
QUOTED_ALONE = "the only command of a quoted `sh -c` string: remove the whole command by hand"
NOT_MANAGE = "not a `manage.py loaddata` command djfix can read"


@dataclass
class Result:
    code: str
    removed: list[tuple[int, str]] = field(default_factory=list)  # (line, command)
    left: list[tuple[int, str, str]] = field(default_factory=list)  # (line, command, reason)


def fixture_args(words: list[str]) -> tuple[list[str], str | None]:
    """(fixture names, None) for the words after `loaddata`, or ([], why they cannot go)."""
    names: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        option = word.split("=", 1)[0]
        if word.startswith("-"):
            if option in VALUE_OPTIONS:
                skip = "=" not in word
            elif option not in FLAG_OPTIONS and not re.fullmatch(r"-v\d", word):
                return [], f"loads with the option {option}, which djfix does not understand"
            continue
        names.append(word)
    if not names:
        return [], "names no fixture"
    return names, None


def _segment(line: str, at: int, start: int) -> tuple[int, str, int, str]:
    """(start, what is before it, end, what is after it) of the command around `at`."""
    left, before = start, "line"
    i = at
    while i > start:
        if line[i - 2 : i] in ("&&", "||"):
            left, before = i, line[i - 2 : i]
            break
        if line[i - 1] in ";|":
            left, before = i, line[i - 1]
            break
        if line[i - 1] in _BOUNDARIES:
            left, before = i, "quote"
            break
        i -= 1
    right, after = len(line), "line"
    i = at
    while i < len(line):
        if line[i : i + 2] in ("&&", "||"):
            right, after = i, line[i : i + 2]
            break
        if line[i] in ";|":
            right, after = i, line[i]
            break
        if line[i] in _BOUNDARIES:
            right, after = i, "quote"
            break
        if line[i] == "#" and line[i - 1] in " \t":
            right, after = i, "line"
            break
        i += 1
    while left < right and line[left] in " \t":
        left += 1
    return left, before, right, after


def _edit_line(
    line: str, at: int, embedded: Callable[[list[str]], str | None]
) -> tuple[str | None, str, str | None]:
    """(new line or None to delete it, the command, reason it stays or None)."""
    prefix = _LINE_PREFIX.match(line)
    assert prefix is not None
    start = prefix.end()
    left, before, right, after = _segment(line, at, start)
    command = line[left:right].strip()
    try:
        words = shlex.split(command)
    except ValueError:
        return line, command, NOT_MANAGE
    if "loaddata" not in words or not any(
        "manage.py" in w or w in ("django-admin", "django")
        for w in words[: words.index("loaddata")]
    ):
        return line, command, NOT_MANAGE
    names, reason = fixture_args(words[words.index("loaddata") + 1 :])
    if reason:
        return line, command, reason
    new, reason = _without(line, prefix, start, (left, before, right, after))
    if reason:
        return line, command, reason
    reason = embedded(names)
    if reason:
        return line, command, reason
    return new, command, None


def _without(
    line: str, prefix: re.Match[str], start: int, segment: tuple[int, str, int, str]
) -> tuple[str | None, str | None]:
    """(the line without the command, or None to delete it; why it cannot go)."""
    left, before, right, after = segment
    if "|" in (before, after) or "||" in (before, after):
        return line, OR_CHAIN
    if after in ("&&", ";"):
        end = right + len(after)
        while end < len(line) and line[end] in " \t":
            end += 1
        return line[:left] + line[end:], None
    if before in ("&&", ";"):
        begin = line.rindex(before, start, left)
        while begin > start and line[begin - 1] in " \t":
            begin -= 1
        stripped = line[left:right]
        tail = stripped[len(stripped.rstrip()) :] + line[right:]
        return line[:begin] + tail, None
    if before == "quote" or after == "quote":
        return line, QUOTED_ALONE
    key = (prefix.group("prefix") or "").strip()
    if key.endswith(":") and key[:-1] in ("command", "entrypoint", "run", "script"):
        return line, ALONE_IN_SERVICE
    return None, None


def transform(
    text: str,
    embedded: Callable[[list[str]], str | None] = lambda names: None,
    lines: set[int] | None = None,
) -> Result:
    """Remove every loaddata command of `text` (on `lines` only, when given) whose fixtures
    `embedded(names)` accepts (it returns None, or the reason they stay)."""
    result = Result(text)
    source = text.splitlines(keepends=True)
    out: list[str] = []
    for number, raw in enumerate(source, 1):
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        match = _LOADDATA.search(body)
        if match is None or (lines is not None and number not in lines) or len(out) > 100_000:
            out.append(raw)
            continue
        previous = source[number - 2].rstrip("\r\n") if number > 1 else ""
        if body.rstrip().endswith("\\") or previous.rstrip().endswith("\\"):
            result.left.append((number, body.strip(), CONTINUED))
            out.append(raw)
            continue
        new, command, reason = body, "", None
        for _ in range(10):  # several loaddata commands on one line
            found = _LOADDATA.search(new) if new is not None else None
            if found is None:
                break
            edited, command, reason = _edit_line(new, found.start(), embedded)
            if reason:
                result.left.append((number, command, reason))
                break
            result.removed.append((number, command))
            new = edited
        if new is None:
            continue
        out.append(new + ending)
    result.code = "".join(out)
    return result
