"""Shell scripts, split into simple commands (Makefiles: `fixer.parsers.makefile`).

`split_shell` is the tokenizer every other format uses for its commands (a Dockerfile's RUN, a
compose `command:`, a Procfile line). Nothing here raises on malformed input: a parser returns
what it could read plus human-readable `problems`, each starting with "line N:".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fixer.parsers.text import normalize_text


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


def basename(path: str) -> str:
    """The last part of a `/` or `\\` separated path: `/usr/bin/python3` -> `python3`."""
    return re.split(r"[/\\]", path)[-1]


def skip_options(args: list[str], takes_value: Iterable[str] = ()) -> list[str]:
    """`args` after its leading options (and a `--`); options in `takes_value` take the next
    word with them."""
    takes_value = set(takes_value)
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        if args[i] == "--":
            i += 1
            break
        i += 2 if args[i] in takes_value else 1
    return args[i:]


def track_assignments(command: ScriptCommand, variables: dict[str, str]) -> None:
    """Record in `variables` what `command` assigns: a bare `VAR=value`, or `export`,
    `readonly`, `local` and `declare` arguments."""
    if not command.argv:
        variables.update(command.env)
    elif command.argv[0] in ("export", "readonly", "local", "declare"):
        for arg in command.argv[1:]:
            if _ASSIGNMENT_RE.match(arg):
                name, _, value = arg.partition("=")
                variables[name.rstrip("+")] = value


def _strip_wrappers(argv: list[str], env: dict[str, str]) -> list[str]:
    """Drop `exec`, `sudo`, `env`, `nohup`, `command`, `gosu user` and `su-exec user`
    (with their options) from the front, collecting any assignments they carry."""
    for _ in range(16):
        if not argv:
            break
        head = basename(argv[0])
        if argv[0] == "exec":
            rest = skip_options(argv[1:], {"-a"})
        elif head == "sudo":
            rest = skip_options(
                argv[1:], {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}
            )
        elif head == "env":
            rest = skip_options(argv[1:], {"-u", "--unset", "-C", "--chdir", "-S"})
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
    return _split_shell(normalize_text(text), 1)
