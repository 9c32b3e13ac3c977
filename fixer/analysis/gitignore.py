"""Which files of the repository git would ignore, read from its .gitignore files (the rules
git applies, without running git): item 5 tells a committed settings or .env file from an
ignored one with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixer.project import ProjectModel


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A .gitignore glob as a regex over a slash-separated path."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return re.compile(re.escape(pattern) + r"\Z")


@dataclass
class IgnoreRule:
    base: str  # folder of the .gitignore, relative to the root ("" for the root)
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    anchored: bool


class GitIgnore:
    """Just enough of .gitignore to know whether a settings file is committed."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self._rules: dict[str, list[IgnoreRule]] = {}

    def _rules_of(self, base: str) -> list[IgnoreRule]:
        if base in self._rules:
            return self._rules[base]
        rules: list[IgnoreRule] = []
        path = self.project.root / base / ".gitignore" if base else self.project.root / ".gitignore"
        if path.is_file():
            text = self.project.cache.text(path).text or ""
            for raw in text.splitlines()[:2000]:
                line = raw.rstrip()
                if not line or line.startswith("#"):
                    continue
                negate = line.startswith("!")
                if negate:
                    line = line[1:]
                line = line.replace("\\", "")
                dir_only = line.endswith("/")
                line = line.rstrip("/")
                anchored = "/" in line
                line = line.lstrip("/")
                if line:
                    rules.append(IgnoreRule(base, glob_regex(line), negate, dir_only, anchored))
        self._rules[base] = rules
        return rules

    def _matches(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        bases = [""] + ["/".join(parts[:i]) for i in range(1, len(parts))]
        ignored = False
        for base in bases:
            sub = rel[len(base) + 1 :] if base else rel
            for r in self._rules_of(base):
                if r.dir_only and not is_dir:
                    continue
                target = sub if r.anchored else sub.rsplit("/", 1)[-1]
                if r.regex.match(target):
                    ignored = not r.negate
        return ignored

    def ignored(self, rel: str) -> bool:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            if self._matches("/".join(parts[:i]), i < len(parts)):
                return True
        return False
