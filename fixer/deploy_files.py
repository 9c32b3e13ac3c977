"""Deploy files (Dockerfile, compose, Procfile, shell scripts, Makefile) as plain data.

Detectors ask questions such as "does the final image stage install gcc?" or "does any
container run runserver?"; this module answers the parsing half. Nothing here raises on
malformed input: every parser returns what it could read plus human-readable `problems`,
each starting with "line N:" when a line is known.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

# ---------------------------------------------------------------------------------------------
# Shell
# ---------------------------------------------------------------------------------------------


@dataclass
class ScriptCommand:
    line: int
    text: str
    argv: list[str]
    # Leading `VAR=value` assignments, which `argv` no longer shows.
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    kind: str  # "word", "op", "redir" or "error"
    value: str
    start: int
    end: int
    line: int
    quoted: bool = False


# Characters that end an unquoted word.
_WORD_BREAK = frozenset(" \t\r\n;&|<>()")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
_REDIRECTION_RE = re.compile(r"&>>|&>|<<<|<<-|<<|<>|<&|>&|>>|>\||<|>")
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
_CONTINUATION_RE = re.compile(r"[ \t]*\\\n[ \t]*")
# Reserved words that may precede a command without being the command.
_LEADING_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time"}
)
# Reserved words that close a block; a "command" made only of these is dropped.
_CLOSING_KEYWORDS = frozenset({"fi", "done", "esac", "}"})


class _ShellLexer:
    """A POSIX-shell tokenizer that knows quoting, substitutions, redirections and
    here-documents, so that operators inside quotes or `$(...)` never split a command."""

    def __init__(self, src: str, line: int) -> None:
        self.src = src
        self.n = len(src)
        self.i = 0
        self.line = line
        self.tokens: list[_Token] = []
        self.problems: list[str] = []
        self.pending_heredocs: list[tuple[str, bool, int]] = []

    def run(self) -> list[_Token]:
        src = self.src
        while self.i < self.n:
            c = src[self.i]
            if c == "\\" and src.startswith("\n", self.i + 1):
                self.i += 2
                self.line += 1
            elif c in " \t\r\f\v":
                self.i += 1
            elif c == "\n":
                self.tokens.append(_Token("op", "\n", self.i, self.i + 1, self.line))
                self.i += 1
                self.line += 1
                if self.pending_heredocs:
                    self._skip_heredoc_bodies()
            elif c == "#":
                end = src.find("\n", self.i)
                self.i = self.n if end == -1 else end
            elif c in "<>" or src.startswith("&>", self.i):
                self._read_redirection(self.i)
            else:
                op = next((o for o in _OPERATORS if src.startswith(o, self.i)), None)
                if op is not None:
                    self.tokens.append(_Token("op", op, self.i, self.i + len(op), self.line))
                    self.i += len(op)
                else:
                    self._read_word_token()
        for delim, _, line in self.pending_heredocs:
            self.problems.append(f"line {line}: here-document {delim!r} is never terminated")
        return self.tokens

    def _skip_heredoc_bodies(self) -> None:
        src = self.src
        for delim, strip_tabs, line in self.pending_heredocs:
            while True:
                if self.i >= self.n:
                    self.problems.append(
                        f"line {line}: here-document {delim!r} is never terminated"
                    )
                    break
                nl = src.find("\n", self.i)
                end = self.n if nl == -1 else nl
                body_line = src[self.i : end].rstrip("\r")
                self.i = self.n if nl == -1 else nl + 1
                if nl != -1:
                    self.line += 1
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delim:
                    break
        self.pending_heredocs.clear()

    def _read_redirection(self, start: int) -> None:
        line = self.line
        m = _REDIRECTION_RE.match(self.src, self.i)
        op = m.group() if m else self.src[self.i]
        self.i += len(op)
        while self.i < self.n and self.src[self.i] in " \t":
            self.i += 1
        if self.i < self.n and self.src[self.i] not in _WORD_BREAK:
            word_line = self.line
            word = self._read_word()
            if word is None:
                self._recover(start, word_line)
                return
            if op in ("<<", "<<-"):
                self.pending_heredocs.append((word[0], op == "<<-", line))
        self.tokens.append(_Token("redir", op, start, self.i, line))

    def _read_word_token(self) -> None:
        start, line = self.i, self.line
        word = self._read_word()
        if word is None:
            self._recover(start, line)
            return
        value, quoted = word
        # `2>/dev/null`: digits glued to a redirection are a file descriptor, not a word.
        if value.isdigit() and not quoted and self.i < self.n and self.src[self.i] in "<>":
            self._read_redirection(start)
            return
        self.tokens.append(_Token("word", value, start, self.i, line, quoted))

    def _recover(self, start: int, line: int) -> None:
        # The shell would reject the whole script; resuming after the offending line keeps
        # the rest of the file useful.
        nl = self.src.find("\n", start)
        end = self.n if nl == -1 else nl
        self.tokens.append(_Token("error", "", start, end, line))
        self.i = end
        self.line = line

    def _fail(self, message: str) -> None:
        self.problems.append(f"line {self.line}: {message}")

    def _read_word(self) -> tuple[str, bool] | None:
        """Read one word at self.i; None (and a problem) when a quote is never closed."""
        src = self.src
        buf: list[str] = []
        quoted = False
        start_line = self.line
        while self.i < self.n:
            c = src[self.i]
            if c in _WORD_BREAK:
                break
            if c == "\\":
                nxt = src[self.i + 1 : self.i + 2]
                if nxt == "\n":
                    self.line += 1
                elif nxt:
                    buf.append(nxt)
                    quoted = True
                else:
                    buf.append("\\")
                self.i += 2
            elif c == "'":
                end = src.find("'", self.i + 1)
                if end == -1:
                    self.line = start_line
                    self._fail("unclosed single quote")
                    return None
                segment = src[self.i + 1 : end]
                self.line += segment.count("\n")
                buf.append(segment)
                self.i = end + 1
                quoted = True
            elif c == '"':
                segment = self._read_double_quoted()
                if segment is None:
                    self.line = start_line
                    self._fail("unclosed double quote")
                    return None
                buf.append(segment)
                quoted = True
            elif c == "$" and src.startswith("'", self.i + 1):
                end = self._find_ansi_c_end(self.i + 2)
                if end == -1:
                    self.line = start_line
                    self._fail("unclosed $'...' quote")
                    return None
                segment = src[self.i + 2 : end]
                self.line += segment.count("\n")
                buf.append(segment.replace("\\'", "'"))
                self.i = end + 1
                quoted = True
            elif c in "$`":
                raw = self._read_substitution()
                if raw is None:
                    self.line = start_line
                    self._fail("unclosed command substitution or parameter expansion")
                    return None
                buf.append(raw)
            else:
                buf.append(c)
                self.i += 1
        return "".join(buf), quoted

    def _find_ansi_c_end(self, j: int) -> int:
        while j < self.n:
            if self.src[j] == "\\":
                j += 2
            elif self.src[j] == "'":
                return j
            else:
                j += 1
        return -1

    def _read_double_quoted(self) -> str | None:
        src = self.src
        self.i += 1
        buf: list[str] = []
        while self.i < self.n:
            c = src[self.i]
            if c == '"':
                self.i += 1
                return "".join(buf)
            if c == "\\":
                nxt = src[self.i + 1 : self.i + 2]
                if nxt == "\n":
                    self.line += 1
                elif nxt in ('"', "\\", "$", "`"):
                    buf.append(nxt)
                else:
                    buf.append("\\")
                    self.i += 1
                    continue
                self.i += 2
            elif c == "`" or (c == "$" and src[self.i + 1 : self.i + 2] in ("(", "{")):
                raw = self._read_substitution()
                if raw is None:
                    return None
                buf.append(raw)
            else:
                if c == "\n":
                    self.line += 1
                buf.append(c)
                self.i += 1
        return None

    def _read_substitution(self) -> str | None:
        """Consume `$(...)`, `$((...))`, `${...}`, a backtick substitution or a lone `$`,
        returning the raw text so that later expansion can still see it."""
        src = self.src
        start = self.i
        if src[start] == "`":
            j = start + 1
            while j < self.n and src[j] != "`":
                j += 2 if src[j] == "\\" else 1
            if j >= self.n:
                return None
            end = j + 1
        elif src.startswith("$(", start):
            end = self._match_close(start + 2, "(", ")")
        elif src.startswith("${", start):
            end = self._match_close(start + 2, "{", "}")
        else:
            self.i += 1
            return "$"
        if end == -1:
            return None
        raw = src[start:end]
        self.line += raw.count("\n")
        self.i = end
        return raw

    def _match_close(self, j: int, opening: str, closing: str) -> int:
        src = self.src
        depth = 1
        while j < self.n:
            c = src[j]
            if c == "\\":
                j += 2
                continue
            if c == "'" and opening == "(":
                end = src.find("'", j + 1)
                if end == -1:
                    return -1
                j = end + 1
                continue
            if c == '"':
                j += 1
                while j < self.n and src[j] != '"':
                    j += 2 if src[j] == "\\" else 1
                if j >= self.n:
                    return -1
                j += 1
                continue
            if c == opening:
                depth += 1
            elif c == closing:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return -1


def _strip_wrappers(argv: list[str], env: dict[str, str]) -> list[str]:
    """Drop `exec`, `sudo`, `env`, `nohup`, `command`, `gosu user` and `su-exec user`
    (with their options) from the front, collecting any assignments they carry."""
    for _ in range(16):
        if not argv:
            break
        head = _basename(argv[0])
        if argv[0] == "exec":
            rest = _skip_options(argv[1:], {"-a"})
        elif head == "sudo":
            rest = _skip_options(
                argv[1:], {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}
            )
        elif head == "env":
            rest = _skip_options(argv[1:], {"-u", "--unset", "-C", "--chdir", "-S"})
        elif head == "nohup" or (argv[0] == "command" and argv[1:2] not in (["-v"], ["-V"])):
            rest = argv[1:]
        elif head in ("gosu", "su-exec") and len(argv) > 2:
            rest = argv[2:]
        else:
            break
        while rest and _ASSIGNMENT_RE.match(rest[0]):
            name, _, value = rest[0].partition("=")
            env[name.rstrip("+")] = value
            rest = rest[1:]
        argv = rest
    return argv


def _tokens_to_commands(src: str, tokens: list[_Token]) -> list[ScriptCommand]:
    commands: list[ScriptCommand] = []
    current: list[_Token] = []

    def flush() -> None:
        if not current:
            return
        text = _CONTINUATION_RE.sub(" ", src[current[0].start : current[-1].end]).strip()
        line = current[0].line
        if any(t.kind == "error" for t in current):
            commands.append(ScriptCommand(line, text, []))
            return
        words = [t for t in current if t.kind == "word"]
        idx = 0
        while idx < len(words) and not words[idx].quoted and words[idx].value in _LEADING_KEYWORDS:
            idx += 1
        words = words[idx:]
        if not words or all(not w.quoted and w.value in _CLOSING_KEYWORDS for w in words):
            return
        env: dict[str, str] = {}
        while words and _ASSIGNMENT_RE.match(src[words[0].start : words[0].end]):
            name, _, value = words[0].value.partition("=")
            env[name.rstrip("+")] = value
            words = words[1:]
        argv = _strip_wrappers([w.value for w in words], env)
        commands.append(ScriptCommand(line, text, argv, env))

    for token in tokens:
        if token.kind == "op":
            flush()
            current.clear()
        else:
            current.append(token)
    flush()
    return commands


def _split_shell(text: str, line: int = 1) -> tuple[list[ScriptCommand], list[str]]:
    src = text.replace("\r\n", "\n")
    lexer = _ShellLexer(src, line)
    tokens = lexer.run()
    return _tokens_to_commands(src, tokens), lexer.problems


def split_shell(text: str, line: int = 1) -> list[ScriptCommand]:
    """Split shell text into simple commands.

    Commands are separated by newlines, `&&`, `||`, `;`, `&`, pipes and parentheses, so
    each `ScriptCommand.argv` is one program's arguments (pipes included, which matters for
    `yes | apt-get install ...`). Comments and here-document bodies are skipped; block
    keywords (`if`, `then`, `do`, ...) are dropped from `argv` but kept in `text`. A command
    with an unclosed quote gets `argv == []`; `parse_shell_script` reports why.
    """
    return _split_shell(text, line)[0]


def parse_shell_script(text: str) -> tuple[list[ScriptCommand], list[str]]:
    """Commands of a script such as entrypoint.sh; the shebang is an ordinary comment."""
    return _split_shell(_normalize_text(text), 1)


def parse_makefile(text: str) -> list[tuple[str, ScriptCommand]]:
    """(target, command) for every recipe line. A rule naming several targets reports the
    first; `$$` becomes `$` as the shell sees it; make variables such as `$(MAKE)` stay."""
    lines = _normalize_text(text).split("\n")
    result: list[tuple[str, ScriptCommand]] = []
    target: str | None = None
    in_define = False
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        if in_define:
            in_define = not re.match(r"^\s*endef\b", raw)
            i += 1
            continue
        if raw.startswith("\t"):
            parts = [raw[1:]]
            while _ends_with_continuation(parts[-1]) and i + 1 < len(lines):
                i += 1
                nxt = lines[i]
                parts.append(nxt[1:] if nxt.startswith("\t") else nxt)
            i += 1
            if target is not None:
                result.extend((target, c) for c in _recipe_commands("\n".join(parts), lineno))
            continue
        parts = [raw]
        while _ends_with_continuation(parts[-1]) and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        i += 1
        logical = " ".join(p.rstrip("\\").strip() for p in parts)
        stripped = logical.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if re.match(r"^(?:override\s+)?define\b", stripped):
            in_define = True
            target = None
            continue
        if re.match(r"^(?:ifeq|ifneq|ifdef|ifndef|else|endif)\b", stripped):
            continue
        rule = _MAKE_RULE_RE.match(logical)
        if rule is None or _MAKE_ASSIGNMENT_RE.match(rule.group(3)):
            target = None
            continue
        names = rule.group(1).split()
        target = names[0] if names else None
        _, semicolon, inline = rule.group(3).partition(";")
        if semicolon and target is not None and inline.strip():
            result.extend((target, c) for c in _recipe_commands(inline, lineno))
    return result


# Greedy on purpose: the target part cannot contain ':', so no backtracking blow-up.
_MAKE_RULE_RE = re.compile(r"^([^:#=\t][^:#=]*)(::?)(?![:=])(.*)$")
_MAKE_ASSIGNMENT_RE = re.compile(r"^\s*(?:export\s+|override\s+)?[A-Za-z_.][\w.-]*\s*[:+?!]?=")


def _ends_with_continuation(line: str) -> bool:
    stripped = line.rstrip("\\")
    return (len(line) - len(stripped)) % 2 == 1


def _recipe_commands(recipe: str, line: int) -> list[ScriptCommand]:
    recipe = re.sub(r"^[@+\-\s]*", "", recipe).replace("$$", "$")
    return split_shell(recipe, line)


# ---------------------------------------------------------------------------------------------
# What commands do
# ---------------------------------------------------------------------------------------------

_PYTHON_RE = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
_PIP_RE = re.compile(r"^pip(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
_PYTHON_VALUE_OPTIONS = frozenset({"-W", "-X", "--check-hash-based-pycs"})


def _basename(path: str) -> str:
    return re.split(r"[/\\]", path)[-1]


def _skip_options(args: list[str], takes_value: Iterable[str] = ()) -> list[str]:
    takes_value = set(takes_value)
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        if args[i] == "--":
            i += 1
            break
        i += 2 if args[i] in takes_value else 1
    return args[i:]


def _after_double_dash(args: list[str], takes_value: Iterable[str] = ()) -> list[str]:
    if "--" in args:
        return args[args.index("--") + 1 :]
    return _skip_options(args, takes_value)


def _is_python(program: str) -> bool:
    # `$(PYTHON)` in a Makefile or `$PYTHON` in a script is an interpreter by convention.
    return bool(_PYTHON_RE.match(_basename(program).lower())) or program.startswith("$")


def _python_target(argv: list[str]) -> tuple[str, str, list[str]] | None:
    """("module", name, args) for `python -m name args`, ("script", path, args) for
    `python path args`, None for `python -c ...`, stdin or a bare interpreter."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return ("module", argv[i + 1], argv[i + 2 :]) if i + 1 < len(argv) else None
        if arg.startswith("-m") and not arg.startswith("--"):
            return "module", arg[2:], argv[i + 1 :]
        if arg == "-c" or arg == "-":
            return None
        if arg == "--":
            i += 1
            break
        if arg in _PYTHON_VALUE_OPTIONS:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            break
    if i < len(argv):
        return "script", argv[i], argv[i + 1 :]
    return None


def _unwrap(argv: list[str]) -> list[str]:
    """Look through launchers that run another command: `poetry run`, `uv run`, `tini --`,
    `newrelic-admin run-program`, `coverage run`, `wait-for-it ... --` and the like."""
    for _ in range(8):
        if not argv:
            break
        head = _basename(argv[0])
        if head in ("poetry", "pipenv", "pdm", "hatch", "rye") and argv[1:2] == ["run"]:
            argv = _skip_options(argv[2:], {"-e", "--env"})
        elif head == "uv" and argv[1:2] == ["run"]:
            argv = _skip_options(
                argv[2:],
                {"--with", "--env-file", "--python", "-p", "--project", "--directory"}
                | {"--package", "--extra", "--group", "--with-requirements"},
            )
        elif head in ("tini", "dumb-init", "catatonit", "ddtrace-run"):
            argv = _after_double_dash(argv[1:], {"-p", "-r"})
        elif head == "opentelemetry-instrument":
            args = argv[1:]
            while args and args[0].startswith("--") and args[0] != "--":
                args = args[1:] if "=" in args[0] else args[2:]
            argv = args[1:] if args[:1] == ["--"] else args
        elif head == "newrelic-admin" and argv[1:2] == ["run-program"]:
            argv = argv[2:]
        elif head == "newrelic-admin" and argv[1:2] == ["run-python"]:
            argv = ["python", *argv[2:]]
        elif head == "coverage" and argv[1:2] == ["run"]:
            argv = ["python", *_skip_options(argv[2:], {"--source", "--rcfile", "--include"})]
        elif head in ("wait-for-it", "wait-for-it.sh", "doppler", "watchmedo") and "--" in argv:
            argv = argv[argv.index("--") + 1 :]
        elif head == "dockerize":
            args = argv[1:]
            while args and args[0].startswith("-"):
                args = args[1:] if "=" in args[0] else args[2:]
            argv = args
        else:
            break
    return argv


def _shell_c_script(argv: list[str]) -> list[str] | None:
    """For `sh -c SCRIPT`, the script words; None if argv is not a shell with -c."""
    if _basename(argv[0]) not in _SHELLS:
        return None
    i = 1
    while i < len(argv) and argv[i].startswith(("-", "+")):
        option = argv[i]
        if option in ("-o", "+o"):
            i += 2
            continue
        i += 1
        if not option.startswith("--") and "c" in option[1:]:
            rest = argv[i:]
            if not rest:
                return None
            # An exec-form `["sh", "-c", "a && b"]` joined with spaces arrives as many words.
            if len(rest) == 1 or any(ch.isspace() for ch in rest[0]):
                return [rest[0]]
            return rest
    return None


def _effective_argvs(argv: list[str], line: int, depth: int = 0) -> list[list[str]]:
    """The argv of every program a command really runs, looking through launchers and
    `sh -c "..."` scripts."""
    argv = _unwrap(argv)
    if not argv:
        return []
    script = _shell_c_script(argv)
    if script is None or depth > 4:
        return [argv]
    if len(script) > 1:
        return _effective_argvs(script, line, depth + 1)
    result: list[list[str]] = []
    for sub in split_shell(script[0], line):
        result.extend(_effective_argvs(sub.argv, line, depth + 1))
    return result


def _django_command(argv: list[str]) -> tuple[str, list[str]] | None:
    if not argv:
        return None
    head = _basename(argv[0])
    rest: list[str] | None = None
    if head in ("manage.py", "django-admin", "django-admin.py"):
        rest = argv[1:]
    elif _is_python(argv[0]):
        target = _python_target(argv)
        if target is None:
            return None
        kind, name, args = target
        if (kind == "module" and name == "django") or (
            kind == "script" and _basename(name) in ("manage.py", "django-admin", "django-admin.py")
        ):
            rest = args
    if not rest or rest[0].startswith("-"):
        return None
    return rest[0], rest[1:]


def manage_py_commands(
    commands: Iterable[ScriptCommand],
) -> list[tuple[ScriptCommand, str, list[str]]]:
    """Every Django management command run by `commands`: `python manage.py X`,
    `./manage.py X`, `django-admin X`, `python -m django X`, also behind `poetry run`,
    `sh -c` and similar launchers. Returns (command, subcommand, remaining args)."""
    found: list[tuple[ScriptCommand, str, list[str]]] = []
    for command in commands:
        for argv in _effective_argvs(command.argv, command.line):
            django = _django_command(argv)
            if django is not None:
                found.append((command, django[0], django[1]))
    return found


_SERVER_PROGRAMS = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "daphne": "daphne",
    "hypercorn": "hypercorn",
    "granian": "granian",
    "uwsgi": "uwsgi",
    "supervisord": "supervisord",
    "nginx": "nginx",
    "celery": "celery",
    "circusd": "circus",
    "honcho": "honcho",
}
_SERVER_MODULES = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "daphne": "daphne",
    "hypercorn": "hypercorn",
    "granian": "granian",
    "celery": "celery",
    "supervisor": "supervisord",
    "circus": "circus",
    "honcho": "honcho",
}
# Options with which a server program only reports or signals instead of serving.
_NOT_SERVING = frozenset({"--version", "--help"})
_NGINX_NOT_SERVING = frozenset({"-t", "-T", "-s", "-v", "-V", "-h", "-?"})


def _server_of(argv: list[str]) -> str | None:
    django = _django_command(argv)
    if django is not None:
        return "runserver" if django[0] in ("runserver", "runserver_plus") else None
    program = _basename(argv[0]).lower()
    args = argv[1:]
    server = _SERVER_PROGRAMS.get(program)
    if _is_python(argv[0]):
        target = _python_target(argv)
        if target is None:
            return None
        kind, name, args = target
        if kind == "module":
            server = _SERVER_MODULES.get(name.split(".")[0])
        else:
            server = _SERVER_PROGRAMS.get(_basename(name).lower())
    if server is None or _NOT_SERVING.intersection(args):
        return None
    if server == "nginx" and _NGINX_NOT_SERVING.intersection(args):
        return None
    if server == "celery" and not {"worker", "beat"}.intersection(args):
        return None
    if server == "honcho" and args and "start" not in args:
        return None
    return server


def server_invocations(commands: Iterable[ScriptCommand]) -> list[tuple[ScriptCommand, str]]:
    """(command, server) for every command that starts a long-running server: gunicorn,
    uvicorn, daphne, hypercorn, granian, uwsgi, runserver (also runserver_plus),
    supervisord, nginx, celery (worker or beat), circus or honcho."""
    found: list[tuple[ScriptCommand, str]] = []
    for command in commands:
        seen: set[str] = set()
        for argv in _effective_argvs(command.argv, command.line):
            server = _server_of(argv)
            if server is not None and server not in seen:
                seen.add(server)
                found.append((command, server))
    return found


def server_commands(commands: Iterable[ScriptCommand]) -> list[tuple[str, list[str]]]:
    """(server, argv) for every server started, with the argv that starts it (launchers,
    `sh -c` and wrappers looked through), so its options and module can be read."""
    found: list[tuple[str, list[str]]] = []
    for command in commands:
        for argv in _effective_argvs(command.argv, command.line):
            server = _server_of(argv)
            if server is not None:
                found.append((server, argv))
    return found


_APT_VALUE_OPTIONS = {"-o", "--option", "-t", "--target-release", "-c", "--config-file", "-a"}
_APK_VALUE_OPTIONS = {
    "-t",
    "--virtual",
    "-X",
    "--repository",
    "--repositories-file",
    "-p",
    "--root",
    "--arch",
    "--cache-dir",
    "--keys-dir",
}
_RPM_VALUE_OPTIONS = {
    "-x",
    "--exclude",
    "--releasever",
    "--installroot",
    "-c",
    "--config",
    "--enablerepo",
    "--disablerepo",
    "--repo",
    "--repoid",
    "--setopt",
}
_PACKAGE_MANAGERS: dict[str, tuple[frozenset[str], set[str], str]] = {
    # program: (install subcommands, options taking a value, characters starting a pin)
    "apt-get": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "apt": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "aptitude": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "apk": (frozenset({"add"}), _APK_VALUE_OPTIONS, "=<>~@"),
    "yum": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "dnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "microdnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "tdnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "zypper": (frozenset({"install", "in"}), {"-t", "--type", "-r", "--repo", "--from"}, "=<>"),
}


def _system_packages(argv: list[str]) -> list[str]:
    manager = _PACKAGE_MANAGERS.get(_basename(argv[0]))
    if manager is None:
        return []
    subcommands, takes_value, pin_chars = manager
    args = _skip_options(argv[1:], takes_value)
    if not args or args[0] not in subcommands:
        return []
    packages: list[str] = []
    i = 1
    only_packages = False
    while i < len(args):
        arg = args[i]
        i += 1
        if not only_packages and arg == "--":
            only_packages = True
        elif not only_packages and arg.startswith("-"):
            if arg in takes_value:
                i += 1
        elif arg.startswith(("/", "./", "../")) or not pin_chars:
            # A local package file; its path is not a name with a pin.
            packages.append(arg)
        else:
            name = re.split(f"[{re.escape(pin_chars)}]", arg, maxsplit=1)[0]
            if name:
                packages.append(name)
    return packages


_PIP_GLOBAL_VALUE_OPTIONS = {
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--python",
}


def system_packages(argv: list[str]) -> list[str]:
    """The system packages one command installs (apt-get, apk, yum, ... install)."""
    return _system_packages(argv)


def _first_positional(args: list[str], takes_value: Iterable[str] = ()) -> str | None:
    rest = _skip_options(args, takes_value)
    return rest[0] if rest else None


def _is_pip_install(argv: list[str]) -> bool:
    head = _basename(argv[0]).lower()
    if _PIP_RE.match(head):
        return _first_positional(argv[1:], _PIP_GLOBAL_VALUE_OPTIONS) == "install"
    if _is_python(argv[0]):
        target = _python_target(argv)
        return (
            target is not None
            and target[0] == "module"
            and target[1] == "pip"
            and _first_positional(target[2], _PIP_GLOBAL_VALUE_OPTIONS) == "install"
        )
    if head == "uv":
        rest = _skip_options(argv[1:], {"--directory", "--project", "--cache-dir"})
        if rest[:1] == ["pip"]:
            return _first_positional(rest[1:]) in ("install", "sync")
        return rest[:1] == ["sync"]
    if head in ("poetry", "pipenv", "pdm"):
        return _first_positional(argv[1:]) in ("install", "sync")
    return False


# ---------------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------------


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
                variables.update(_docker_assignments(inst))
                continue
            if inst.keyword != "RUN":
                continue
            for line, text in _run_texts(inst):
                local = dict(variables)
                for command in split_shell(text, line):
                    _track_shell_assignments(command, local)
                    for argv in _effective_argvs(command.argv, command.line):
                        packages = _system_packages(_expand_words(argv, local))
                        result.extend((command.line, p) for p in packages)
        return result

    def pip_installs(self) -> list[tuple[int, str]]:
        """(line, command text) for pip, `python -m pip`, `uv pip`, `uv sync`, poetry,
        pipenv and pdm installs in this stage's RUN, CMD and ENTRYPOINT."""
        result: list[tuple[int, str]] = []
        for line, text in self.commands():
            for command in split_shell(text, line):
                if any(_is_pip_install(a) for a in _effective_argvs(command.argv, command.line)):
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


def _normalize_text(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _substitute(text: str, variables: dict[str, str | None]) -> str:
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
        expanded = _substitute(word, dict(variables))
        if "$" in expanded:
            result.append(word)
        else:
            result.extend(expanded.split())
    return result


def _track_shell_assignments(command: ScriptCommand, variables: dict[str, str]) -> None:
    if not command.argv:
        variables.update(command.env)
    elif command.argv[0] in ("export", "readonly", "local", "declare"):
        for arg in command.argv[1:]:
            if _ASSIGNMENT_RE.match(arg):
                name, _, value = arg.partition("=")
                variables[name.rstrip("+")] = value


def _docker_words(value: str) -> list[str]:
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


def instruction_assignments(inst: Instruction) -> dict[str, str]:
    """Values an ARG (defaults only) or ENV instruction sets."""
    return _docker_assignments(inst)


def _docker_assignments(inst: Instruction) -> dict[str, str]:
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
            args[name] = _substitute(value, args) if eq else args.get(name)


def _run_texts(inst: Instruction) -> list[tuple[int, str]]:
    if inst.exec_form is not None:
        return [(inst.line, inst.shell_text())]
    if not inst.heredocs:
        return [(inst.line, inst.value)]
    head = inst.value.split("\n", 1)[0]
    head_commands = [c for c in split_shell(head, inst.line) if c.argv]
    runs_body_as_script = not head_commands or (
        len(head_commands) == 1
        and _basename(head_commands[0].argv[0]) in _SHELLS
        and _shell_c_script(head_commands[0].argv) is None
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
    base = _substitute(words[0], global_args) if words else ""
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
    lines = _normalize_text(text).split("\n")
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


# ---------------------------------------------------------------------------------------------
# Compose
# ---------------------------------------------------------------------------------------------


@dataclass
class ComposeService:
    name: str
    image: str | None = None
    build: dict | str | None = None
    dockerfile: str | None = None
    target: str | None = None
    command: str | None = None
    entrypoint: str | None = None
    volumes: list[tuple[str, str]] = field(default_factory=list)
    env_file: list[str] = field(default_factory=list)
    environment: dict[str, str | None] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass
class ComposeFile:
    path: str
    services: list[ComposeService]
    problems: list[str]

    def service(self, name: str) -> ComposeService | None:
        return next((s for s in self.services if s.name == name), None)


class _ComposeLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2 core-schema scalars, as Compose reads them: `yes` and
    `on` stay strings, `22:22` is not a base-60 number, and no timestamps."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}


_ComposeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_ComposeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_ComposeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_ComposeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_ComposeLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])


def _construct_core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    if value.startswith(("0x", "0o")):
        return int(value, 0)
    return int(value, 10)


def _construct_unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    # Compose's own tags (`!reset`, `!override`) only change merging between files.
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ComposeLoader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)
_ComposeLoader.add_multi_constructor("!", _construct_unknown_tag)


def _yaml_error_message(exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        if mark is not None:
            return f"line {mark.line + 1}: invalid YAML: {detail}"
        return f"invalid YAML: {detail}"
    return f"invalid YAML: {exc}"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _join_command(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(_scalar_text(v) for v in value)
    return _scalar_text(value)


def _split_outside_braces(text: str, sep: str) -> list[str]:
    """Split on `sep` except inside `${...}`, whose defaults may contain the separator."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            current.append("${")
            i += 2
            continue
        c = text[i]
        if c == "}" and depth:
            depth -= 1
        if c == sep and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def short_volume(spec: str) -> tuple[str, str]:
    """(source, target) of a short-syntax volume (`./src:/dst:ro`)."""
    return _short_volume(spec)


def _short_volume(spec: str) -> tuple[str, str]:
    parts = _split_outside_braces(spec, ":")
    # A Windows drive letter (`C:\data:/data`) is part of the source, not a separator.
    if len(parts) > 2 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in "\\/":
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    if len(parts) == 1:
        return "", parts[0]
    return parts[0], parts[1]


def _parse_service(
    name: str, raw: dict[str, Any], line: int | None, problems: list[str]
) -> ComposeService:
    where = f"line {line}: " if line is not None else ""
    service = ComposeService(name=name, line=line)

    def bad(key: str, expected: str) -> None:
        problems.append(f"{where}service {name!r}: {key} should be {expected}")

    image = raw.get("image")
    service.image = None if image is None else _scalar_text(image)

    build = raw.get("build")
    if isinstance(build, (dict, str)) or build is None:
        service.build = build
    else:
        bad("build", "a path or a mapping")
    if isinstance(build, dict):
        if build.get("dockerfile") is not None:
            service.dockerfile = _scalar_text(build["dockerfile"])
        if build.get("target") is not None:
            service.target = _scalar_text(build["target"])

    service.command = _join_command(raw.get("command"))
    service.entrypoint = _join_command(raw.get("entrypoint"))

    volumes = raw.get("volumes") or []
    if not isinstance(volumes, list):
        bad("volumes", "a list")
        volumes = []
    for volume in volumes:
        if isinstance(volume, str):
            service.volumes.append(_short_volume(volume))
        elif isinstance(volume, dict):
            source = volume.get("source", volume.get("src"))
            target = volume.get("target", volume.get("destination", volume.get("dst")))
            service.volumes.append(
                (
                    "" if source is None else _scalar_text(source),
                    "" if target is None else _scalar_text(target),
                )
            )
        else:
            bad("volumes entries", "strings or mappings")

    env_file = raw.get("env_file")
    for entry in env_file if isinstance(env_file, list) else [env_file]:
        if entry is None:
            continue
        if isinstance(entry, dict) and entry.get("path") is not None:
            service.env_file.append(_scalar_text(entry["path"]))
        elif isinstance(entry, (str, int, float)):
            service.env_file.append(_scalar_text(entry))
        else:
            bad("env_file", "a path or a list of paths")

    environment = raw.get("environment")
    if isinstance(environment, dict):
        for key, value in environment.items():
            service.environment[str(key)] = None if value is None else _scalar_text(value)
    elif isinstance(environment, list):
        for item in environment:
            key, eq, value = _scalar_text(item).partition("=")
            service.environment[key] = value if eq else None
    elif environment is not None:
        bad("environment", "a mapping or a list")

    ports = raw.get("ports") or []
    if not isinstance(ports, list):
        bad("ports", "a list")
        ports = []
    for port in ports:
        if isinstance(port, dict):
            parts = [
                _scalar_text(port[k])
                for k in ("host_ip", "published", "target")
                if port.get(k) not in (None, "")
            ]
            text = ":".join(parts)
            if port.get("protocol"):
                text += f"/{port['protocol']}"
            service.ports.append(text)
        elif port is not None:
            service.ports.append(_scalar_text(port))

    depends_on = raw.get("depends_on")
    if isinstance(depends_on, dict):
        service.depends_on = [str(k) for k in depends_on]
    elif isinstance(depends_on, list):
        service.depends_on = [_scalar_text(d) for d in depends_on]
    elif depends_on is not None:
        bad("depends_on", "a list or a mapping")
    return service


def _service_lines(text: str, top_level: bool) -> dict[str, int]:
    """Line of each service key, from the YAML node tree (so anchors and quoting are
    understood), falling back to a text search where the tree does not say."""
    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=_ComposeLoader)
    except Exception:
        root = None
    mapping: yaml.Node | None = root if top_level else None
    if not top_level and isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "services":
                mapping = value
    if isinstance(mapping, yaml.MappingNode):
        for key, _ in mapping.value:
            if isinstance(key, yaml.ScalarNode):
                lines[str(key.value)] = key.start_mark.line + 1
    return lines


def _find_service_line(text: str, name: str) -> int | None:
    in_services = False
    pattern = re.compile(rf"^\s+([\"']?){re.escape(name)}\1\s*:")
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(r"^services\s*:", line):
            in_services = True
        elif in_services and pattern.match(line):
            return number
    return None


def parse_compose(text: str, path: str) -> ComposeFile:
    """Services of a compose file. Anchors and merge keys are resolved; a file without
    `services:` whose top-level entries look like services is read as the old v1 format."""
    problems: list[str] = []
    text = _normalize_text(text)
    try:
        data = yaml.load(text, Loader=_ComposeLoader)
    except Exception as exc:
        problems.append(_yaml_error_message(exc))
        return ComposeFile(path, [], problems)
    if data is None:
        problems.append("the file is empty")
        return ComposeFile(path, [], problems)
    if not isinstance(data, dict):
        problems.append(f"top level is {type(data).__name__}, not a mapping")
        return ComposeFile(path, [], problems)

    top_level = False
    if "services" in data:
        raw_services = data["services"]
    else:
        raw_services = {
            k: v for k, v in data.items() if isinstance(v, dict) and ("image" in v or "build" in v)
        }
        top_level = bool(raw_services) and "version" not in data
        if not top_level:
            problems.append("no 'services' section")
            raw_services = None
    if raw_services is None:
        return ComposeFile(path, [], problems)
    if not isinstance(raw_services, dict):
        problems.append(f"'services' is {type(raw_services).__name__}, not a mapping")
        return ComposeFile(path, [], problems)

    lines = _service_lines(text, top_level)
    services: list[ComposeService] = []
    for key, raw in raw_services.items():
        name = str(key)
        line = lines.get(name) or _find_service_line(text, name)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            where = f"line {line}: " if line is not None else ""
            problems.append(f"{where}service {name!r} is not a mapping")
            continue
        services.append(_parse_service(name, raw, line, problems))
    return ComposeFile(path, services, problems)


# ---------------------------------------------------------------------------------------------
# Procfile
# ---------------------------------------------------------------------------------------------


@dataclass
class ProcfileEntry:
    process: str
    command: str
    line: int


_PROCFILE_RE = re.compile(r"^([A-Za-z0-9_-]+)\s*:(.*)$")


def parse_procfile(text: str) -> tuple[list[ProcfileEntry], list[str]]:
    entries: list[ProcfileEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(_normalize_text(text).split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _PROCFILE_RE.match(line)
        if m is None:
            problems.append(f"line {number}: expected 'process: command', got {line!r}")
            continue
        process, command = m.group(1), m.group(2).strip()
        if not command:
            problems.append(f"line {number}: process {process!r} has no command")
            continue
        if process in seen:
            problems.append(
                f"line {number}: process {process!r} is already defined on line {seen[process]}"
            )
        seen.setdefault(process, number)
        entries.append(ProcfileEntry(process, command, number))
    return entries, problems
