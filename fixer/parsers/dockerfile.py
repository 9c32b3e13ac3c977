"""Dockerfiles: stages and instructions, as the Dockerfile reference defines them (parser
directives, continuations, here-documents, ARG substitution in FROM), and the questions the
checks ask of a stage (its commands, the system and Python packages it installs, its CMD).
Never raises: what it cannot make sense of goes to `Dockerfile.problems`."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

from fixer.parsers.commands import (
    SHELLS,
    effective_argvs,
    is_pip_install,
    shell_c_script,
    system_packages,
)
from fixer.parsers.shell import basename, split_shell, track_assignments
from fixer.parsers.text import normalize_text


@dataclass
class Heredoc:
    name: str
    body: str
    line: int  # 1-based line of the body's first line


@dataclass
class Instruction:
    keyword: str
    value: str
    line: int
    exec_form: list[str] | None = None
    flags: dict[str, str] = field(default_factory=dict)
    heredocs: list[Heredoc] = field(default_factory=list)

    def shell_text(self) -> str:
        """The command as one string: exec form joined with spaces, else `value`."""
        return " ".join(self.exec_form) if self.exec_form is not None else self.value


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    line: int
    # Starts with the stage's own FROM instruction.
    instructions: list[Instruction] = field(default_factory=list)

    def commands(self) -> list[tuple[int, str]]:
        """(line, shell text) for every RUN, CMD and ENTRYPOINT of this stage. A RUN whose
        here-document is the script itself (`RUN <<EOF`, `RUN bash <<EOF`) yields the body,
        numbered from the body's first line."""
        result: list[tuple[int, str]] = []
        for inst in self.instructions:
            if inst.keyword == "RUN":
                result.extend(_run_texts(inst))
            elif inst.keyword in ("CMD", "ENTRYPOINT"):
                result.append((inst.line, inst.shell_text()))
        return result

    def installed_system_packages(self) -> list[tuple[int, str]]:
        """(line, package) for apt/apk/yum/dnf/microdnf/zypper installs in RUN. Packages
        named through variables (`$BUILD_DEPS`) are expanded from this stage's ARG and ENV
        defaults and from assignments earlier in the same RUN."""
        result: list[tuple[int, str]] = []
        variables: dict[str, str] = {}
        for inst in self.instructions:
            if inst.keyword in ("ARG", "ENV"):
                variables.update(instruction_assignments(inst))
                continue
            if inst.keyword != "RUN":
                continue
            for line, text in _run_texts(inst):
                local = dict(variables)
                for command in split_shell(text, line):
                    track_assignments(command, local)
                    for argv in effective_argvs(command.argv, command.line):
                        packages = system_packages(_expand_words(argv, local))
                        result.extend((command.line, p) for p in packages)
        return result

    def pip_installs(self) -> list[tuple[int, str]]:
        """(line, command text) for pip, `python -m pip`, `uv pip`, `uv sync`, poetry,
        pipenv and pdm installs in this stage's RUN, CMD and ENTRYPOINT."""
        result: list[tuple[int, str]] = []
        for line, text in self.commands():
            for command in split_shell(text, line):
                if any(is_pip_install(a) for a in effective_argvs(command.argv, command.line)):
                    result.append((command.line, command.text))
        return result

    def copies_from(self) -> list[str]:
        """Values of COPY --from; plain names are lower-cased to match `Stage.name`."""
        result: list[str] = []
        for inst in self.instructions:
            source = inst.flags.get("from") if inst.keyword == "COPY" else None
            if source:
                result.append(source.lower() if re.fullmatch(r"[\w-]+", source) else source)
        return result


@dataclass
class Dockerfile:
    path: str
    stages: list[Stage]
    global_args: dict[str, str | None]
    problems: list[str]

    @property
    def final_stage(self) -> Stage | None:
        """The stage a plain `docker build` (no --target) produces."""
        return self.stages[-1] if self.stages else None

    def stage(self, name_or_index: str | int) -> Stage | None:
        """A stage by AS name (case-insensitive) or index, as `--target`/`--from` name it."""
        if isinstance(name_or_index, int) or str(name_or_index).isdigit():
            index = int(name_or_index)
            return self.stages[index] if 0 <= index < len(self.stages) else None
        wanted = str(name_or_index).lower()
        return next((s for s in self.stages if s.name == wanted), None)

    def parent(self, stage: Stage) -> Stage | None:
        """The earlier stage that `stage` is built FROM, if it names one."""
        base = stage.base.lower()
        for other in reversed(self.stages[: stage.index]):
            if other.name is not None and other.name == base:
                return other
        return None

    def cmd(self, stage: Stage | None = None) -> Instruction | None:
        """The CMD the stage's image ends up with. An ENTRYPOINT in a stage without its own
        CMD resets an inherited CMD, as the builder does."""
        return self._inherited(stage, "CMD")

    def entrypoint(self, stage: Stage | None = None) -> Instruction | None:
        return self._inherited(stage, "ENTRYPOINT")

    def _inherited(self, stage: Stage | None, keyword: str) -> Instruction | None:
        current = stage if stage is not None else self.final_stage
        seen: set[int] = set()
        while current is not None and current.index not in seen:
            seen.add(current.index)
            found = [i for i in current.instructions if i.keyword == keyword]
            if found:
                return found[-1]
            if keyword == "CMD" and any(i.keyword == "ENTRYPOINT" for i in current.instructions):
                return None
            current = self.parent(current)
        return None


_KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
_EXEC_FORM_INSTRUCTIONS = frozenset({"CMD", "ENTRYPOINT", "RUN", "SHELL"})
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE_RE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9_-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?:\s+|$)")
_HEREDOC_RE = re.compile(r"(?<![<\w])<<(?!<)(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_VAR_RE = re.compile(
    r"\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


def substitute(text: str, variables: dict[str, str | None]) -> str:
    """Expand `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` (and the colon-less
    forms); a variable with no known value stays as written."""

    def replace(m: re.Match[str]) -> str:
        if m.group(0) == "\\$":
            return "$"
        name = m.group(1) or m.group(4)
        operator, word = m.group(2), m.group(3) or ""
        value = variables.get(name)
        if operator is None:
            return value if value is not None else m.group(0)
        if operator == ":-":
            return value if value else word
        if operator == "-":
            return value if value is not None else word
        if operator == ":+":
            return word if value else ""
        return word if value is not None else ""

    return _VAR_RE.sub(replace, text)


def _expand_words(argv: list[str], variables: dict[str, str]) -> list[str]:
    """Word-split expansion of `$VAR` arguments whose value is known; others stay."""
    result: list[str] = []
    for word in argv:
        if "$" not in word:
            result.append(word)
            continue
        expanded = substitute(word, dict(variables))
        if "$" in expanded:
            result.append(word)
        else:
            result.extend(expanded.split())
    return result


def _docker_words(value: str) -> list[str]:
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


def instruction_assignments(inst: Instruction) -> dict[str, str]:
    """Values set by ARG (defaults only) or ENV, in both `K=V` and legacy `ENV K V` form."""
    result: dict[str, str] = {}
    words = _docker_words(inst.value)
    if inst.keyword == "ENV" and words and "=" not in words[0]:
        parts = inst.value.split(None, 1)
        result[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
        return result
    for word in words:
        name, eq, value = word.partition("=")
        if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            result[name] = value
    return result


def _declare_global_args(inst: Instruction, args: dict[str, str | None]) -> None:
    for word in _docker_words(inst.value):
        name, eq, value = word.partition("=")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            args[name] = substitute(value, args) if eq else args.get(name)


def _run_texts(inst: Instruction) -> list[tuple[int, str]]:
    if inst.exec_form is not None:
        return [(inst.line, inst.shell_text())]
    if not inst.heredocs:
        return [(inst.line, inst.value)]
    head = inst.value.split("\n", 1)[0]
    head_commands = [c for c in split_shell(head, inst.line) if c.argv]
    runs_body_as_script = not head_commands or (
        len(head_commands) == 1
        and basename(head_commands[0].argv[0]) in SHELLS
        and shell_c_script(head_commands[0].argv) is None
    )
    if runs_body_as_script:
        return [(h.line, h.body) for h in inst.heredocs]
    return [(inst.line, inst.value)]


def _read_directives(lines: list[str], problems: list[str]) -> tuple[str, int]:
    """Parser directives at the top of the file; returns (escape char, first other line)."""
    escape = "\\"
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i])
        if m is None or m.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key in seen:
            problems.append(f"line {i + 1}: parser directive {key!r} is given more than once")
        elif key == "escape":
            if value in ("\\", "`"):
                escape = value
            else:
                problems.append(f"line {i + 1}: invalid escape directive {value!r}")
        seen.add(key)
        i += 1
    return escape, i


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _read_instructions(
    lines: list[str], start: int, escape: str, problems: list[str]
) -> list[Instruction]:
    instructions: list[Instruction] = []
    i = start
    while i < len(lines):
        if _is_comment_or_blank(lines[i]):
            i += 1
            continue
        lineno = i + 1
        parts: list[str] = []
        while True:
            current = lines[i].rstrip()
            i += 1
            if not current.endswith(escape):
                parts.append(current.strip())
                break
            parts.append(current[: -len(escape)].strip())
            # Comment and empty lines inside a continuation are dropped, not terminators.
            while i < len(lines) and _is_comment_or_blank(lines[i]):
                i += 1
            if i >= len(lines):
                break
        logical = " ".join(p for p in parts if p)
        keyword_text, rest = _split_keyword(logical)
        keyword = keyword_text.upper()
        if keyword not in _KNOWN_INSTRUCTIONS:
            problems.append(f"line {lineno}: unknown instruction {keyword_text!r}")

        flags: dict[str, str] = {}
        if keyword in _FLAG_INSTRUCTIONS:
            while (m := _FLAG_RE.match(rest)) is not None:
                name, value = m.group(1), (m.group(2) or "").strip("\"'")
                flags[name] = f"{flags[name]} {value}" if name in flags else value
                rest = rest[m.end() :]

        heredocs: list[Heredoc] = []
        if keyword in _HEREDOC_INSTRUCTIONS:
            body_lines: list[str] = []
            for m in _HEREDOC_RE.finditer(rest):
                strip_tabs, name = m.group(1) == "-", m.group(3)
                body: list[str] = []
                body_start = i + 1
                while True:
                    if i >= len(lines):
                        problems.append(
                            f"line {lineno}: here-document {name!r} is never terminated"
                        )
                        break
                    raw = lines[i]
                    i += 1
                    body_lines.append(raw)
                    candidate = raw.lstrip("\t") if strip_tabs else raw
                    if candidate == name:
                        break
                    body.append(candidate)
                heredocs.append(Heredoc(name, "\n".join(body), body_start))
            if body_lines:
                rest = rest + "\n" + "\n".join(body_lines)

        exec_form: list[str] | None = None
        if keyword in _EXEC_FORM_INSTRUCTIONS and rest.startswith("[") and not heredocs:
            exec_form = _parse_exec_form(rest)
            if exec_form is None and _looks_like_json_array(keyword, rest):
                problems.append(
                    f"line {lineno}: {keyword} looks like exec form but is not a JSON array "
                    "of strings, so it runs as a shell command"
                )
        instructions.append(Instruction(keyword, rest, lineno, exec_form, flags, heredocs))
    return instructions


def _split_keyword(logical: str) -> tuple[str, str]:
    m = re.match(r"(\S+)\s*(.*)", logical, re.S)
    return (m.group(1), m.group(2).strip()) if m else ("", "")


def _parse_exec_form(value: str) -> list[str] | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def _looks_like_json_array(keyword: str, value: str) -> bool:
    # `RUN [ -f x ] && ...` is a shell test, not a botched exec form.
    return keyword != "RUN" and value.rstrip().endswith("]") and ('"' in value or "'" in value)


def _start_stage(
    inst: Instruction,
    stages: list[Stage],
    global_args: dict[str, str | None],
    problems: list[str],
) -> Stage:
    words = inst.value.split()
    base = substitute(words[0], global_args) if words else ""
    name: str | None = None
    if not words:
        problems.append(f"line {inst.line}: FROM without an image")
    elif len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
        if any(s.name == name for s in stages):
            problems.append(f"line {inst.line}: stage name {name!r} is used twice")
    elif len(words) > 1:
        problems.append(
            f"line {inst.line}: expected 'FROM image [AS name]', got {'FROM ' + inst.value!r}"
        )
    return Stage(len(stages), base, name, inst.line, [inst])


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Stages and instructions of a Dockerfile, following the Dockerfile reference: parser
    directives (escape included), comments, continuations, here-documents, ARG substitution
    in FROM. Never raises; what it cannot make sense of goes to `problems`."""
    problems: list[str] = []
    lines = normalize_text(text).split("\n")
    escape, start = _read_directives(lines, problems)
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for inst in _read_instructions(lines, start, escape, problems):
        if inst.keyword == "FROM":
            stages.append(_start_stage(inst, stages, global_args, problems))
        elif stages:
            stages[-1].instructions.append(inst)
        elif inst.keyword == "ARG":
            _declare_global_args(inst, global_args)
        else:
            problems.append(f"line {inst.line}: {inst.keyword} before the first FROM")
    if not stages:
        problems.append("no FROM instruction")
    return Dockerfile(path, stages, global_args, problems)
