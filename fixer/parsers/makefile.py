"""Makefiles: the rules (targets, prerequisites, recipe lines with their `@`/`-`/`+` prefixes),
the variables the file defines, and what running one target runs, in order.

`parse_makefile` is the flat view discovery keeps (every recipe line split into commands, make
variables left as written). `read_makefile` is the model; `target_steps` follows a target the way
make would (prerequisites first, each target once, `$(MAKE) target` in a recipe followed, both
bounded) and expands the variables the file defines. What it cannot know (a variable the file
does not define, a make function such as `$(shell ...)`, a definition under a conditional, an
`include`d file, `$(MAKE) -C dir`) is named on the step in `unresolved`, never guessed.
Nothing here raises on malformed input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.parsers.text import normalize_text

#: how deep prerequisites and `$(MAKE) target` recursion are followed
MAX_DEPTH = 8
#: the most steps one target expands to
MAX_STEPS = 200


@dataclass(frozen=True)
class RecipeLine:
    line: int
    #: the shell text make hands to the shell (prefixes removed, continuations joined), with
    #: make's variables still unexpanded
    text: str
    #: `@`: make does not echo it
    silent: bool = False
    #: `-`: make goes on when it fails
    ignore_errors: bool = False
    #: written inside an ifeq/ifdef block: whether it runs depends on what make is given
    conditional: bool = False


@dataclass
class Rule:
    targets: list[str]
    prerequisites: list[str]
    line: int
    recipe: list[RecipeLine] = field(default_factory=list)
    conditional: bool = False


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    line: int
    #: `:=`/`::=`: expanded when defined (else when used)
    simple: bool = False
    conditional: bool = False


@dataclass
class Makefile:
    path: str
    rules: list[Rule] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    phony: set[str] = field(default_factory=set)
    includes: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def rule(self, target: str) -> Rule | None:
        """The rule with a recipe for `target` (make's: the last one that has a recipe), else
        the first rule naming it."""
        found = [r for r in self.rules if target in r.targets]
        with_recipe = [r for r in found if r.recipe]
        return (with_recipe or found or [None])[-1]

    def prerequisites(self, target: str) -> list[str]:
        """Every rule naming `target` adds its prerequisites, in the order written."""
        out: list[str] = []
        for r in self.rules:
            if target in r.targets:
                out.extend(p for p in r.prerequisites if p not in out)
        return out

    @property
    def targets(self) -> list[str]:
        """The explicit targets, in the order written (no pattern rules, no special targets)."""
        out: list[str] = []
        for r in self.rules:
            for t in r.targets:
                if "%" not in t and not t.startswith(".") and t not in out:
                    out.append(t)
        return out


@dataclass(frozen=True)
class Step:
    """One recipe line that running a target runs, its variables expanded."""

    #: the target whose recipe holds it
    target: str
    line: int
    #: the shell text, as make hands it to the shell
    text: str
    ignore_errors: bool = False
    #: what could not be expanded or known, each a short phrase ("$(API_TOKEN), which the
    #: Makefile does not define"); empty when the text is exactly what make runs
    unresolved: tuple[str, ...] = ()

    def commands(self) -> list[ScriptCommand]:
        return [c for c in split_shell(self.text, self.line) if c.argv]


# -- reading ------------------------------------------------------------------------------------

# Greedy on purpose: the target part cannot contain ':', so no backtracking blow-up.
_MAKE_RULE_RE = re.compile(r"^([^:#=\t][^:#=]*)(::?)(?![:=])(.*)$")
_MAKE_ASSIGNMENT_RE = re.compile(r"^\s*(?:export\s+|override\s+)?[A-Za-z_.][\w.-]*\s*[:+?!]?=")
_ASSIGNMENT_RE = re.compile(
    r"^(?:(?:export|override)\s+)*([A-Za-z_.][\w.-]*)\s*(::?=|:::=|\?=|\+=|!=|=)\s*(.*)$"
)
_CONDITIONAL_RE = re.compile(r"^(ifeq|ifneq|ifdef|ifndef|else|endif)\b")


def _ends_with_continuation(line: str) -> bool:
    stripped = line.rstrip("\\")
    return (len(line) - len(stripped)) % 2 == 1


def _strip_comment(text: str) -> str:
    """A `#` starts a comment outside recipes, unless escaped."""
    out = re.split(r"(?<!\\)#", text, maxsplit=1)[0]
    return out.replace("\\#", "#")


def _recipe_line(raw: str, line: int, conditional: bool) -> RecipeLine:
    prefix = re.match(r"^[@+\-\s]*", raw)
    flags = prefix.group(0) if prefix else ""
    return RecipeLine(
        line=line,
        text=raw[len(flags) :].strip(),
        silent="@" in flags,
        ignore_errors="-" in flags,
        conditional=conditional,
    )


def read_makefile(text: str, path: str = "Makefile") -> Makefile:
    """The rules and variables of a Makefile (GNU make's syntax, the common part)."""
    model = Makefile(path)
    lines = normalize_text(text).split("\n")
    rule: Rule | None = None
    depth = 0  # of ifeq/ifdef blocks
    in_define = False
    i = 0
    while i < len(lines) and i < 20000:
        raw = lines[i]
        lineno = i + 1
        if in_define:
            in_define = not re.match(r"^\s*endef\b", raw)
            i += 1
            continue
        if raw.startswith("\t") and rule is not None:
            # a recipe line: a backslash-newline goes to the shell, which drops it; make drops
            # the tab that starts the next line
            parts = [raw[1:]]
            while _ends_with_continuation(parts[-1]) and i + 1 < len(lines):
                i += 1
                nxt = lines[i]
                parts[-1] = parts[-1][:-1]
                parts.append(nxt[1:] if nxt.startswith("\t") else nxt)
            i += 1
            if raw[1:].lstrip().startswith("#"):
                continue  # make hands it to the shell, which ignores it
            stripped = "".join(parts).strip()
            if _CONDITIONAL_RE.match(stripped):
                depth = _conditional_depth(stripped, depth)
                continue
            if stripped:
                rule.recipe.append(_recipe_line(stripped, lineno, depth > 0))
            continue
        parts = [raw]
        while _ends_with_continuation(parts[-1]) and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        i += 1
        logical = " ".join(
            p[:-1].strip() if _ends_with_continuation(p) else p.strip() for p in parts
        )
        logical = _strip_comment(logical).strip()
        if not logical:
            continue
        if re.match(r"^(?:override\s+)?define\b", logical):
            in_define = True
            rule = None
            continue
        if _CONDITIONAL_RE.match(logical):
            depth = _conditional_depth(logical, depth)
            continue
        include = re.match(r"^-?(?:include|sinclude)\s+(.+)$", logical)
        if include:
            model.includes.append((lineno, include.group(1).strip()))
            rule = None
            continue
        assignment = _ASSIGNMENT_RE.match(logical)
        found = _MAKE_RULE_RE.match(logical)
        if assignment and (found is None or _MAKE_ASSIGNMENT_RE.match(logical)):
            _assign(model, assignment, lineno, depth > 0)
            rule = None
            continue
        if found is None:
            if not re.match(r"^(?:export|unexport|vpath|override)\b", logical):
                model.problems.append(f"line {lineno}: not a rule or an assignment: {logical}")
            rule = None
            continue
        rest = found.group(3)
        if _MAKE_ASSIGNMENT_RE.match(rest):
            rule = None  # a target-specific variable (`build: NODE_ENV = production`)
            continue
        names = found.group(1).split()
        prerequisites, semicolon, inline = rest.partition(";")
        prerequisites = prerequisites.split("|", 1)[0]  # order-only ones are prerequisites too
        rule = Rule(names, prerequisites.split(), lineno, conditional=depth > 0)
        if names == [".PHONY"]:
            model.phony.update(rule.prerequisites)
        model.rules.append(rule)
        if semicolon and inline.strip():
            rule.recipe.append(_recipe_line(inline.strip(), lineno, depth > 0))
    return model


def _conditional_depth(directive: str, depth: int) -> int:
    word = directive.split()[0]
    if word.startswith("if"):
        return depth + 1
    if word == "endif":
        return max(depth - 1, 0)
    return depth  # else


def _assign(model: Makefile, match: re.Match[str], line: int, conditional: bool) -> None:
    name, op, value = match.group(1), match.group(2), match.group(3).strip()
    old = model.variables.get(name)
    if op == "?=" and old is not None:
        return
    if op == "+=" and old is not None:
        value = f"{old.value} {value}".strip()
        model.variables[name] = Variable(name, value, line, old.simple, conditional)
        return
    if op == "!=":
        model.variables[name] = Variable(name, f"$(shell {value})", line, False, conditional)
        return
    simple = op in (":=", "::=", ":::=")
    if simple:
        value, _ = _expand(value, model, {}, set(), 0)
    model.variables[name] = Variable(
        name, value, line, simple, conditional or bool(old and old.conditional)
    )


# -- expanding ----------------------------------------------------------------------------------


def _expand(
    text: str, model: Makefile, automatic: dict[str, str], unresolved: set[str], depth: int
) -> tuple[str, set[str]]:
    """`text` with `$(VAR)`, `${VAR}`, `$X` and `$$` expanded as make would, with the file's
    variables; what cannot be known goes into `unresolved` (and stays as written)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt in "({":
            close = ")" if nxt == "(" else "}"
            end, level = i + 2, 1
            while end < len(text) and level:
                if text[end] == nxt:
                    level += 1
                elif text[end] == close:
                    level -= 1
                end += 1
            if level:
                unresolved.add("an unclosed variable reference")
                out.append(text[i:])
                break
            inner = text[i + 2 : end - 1]
            out.append(_reference(inner, text[i:end], model, automatic, unresolved, depth))
            i = end
            continue
        out.append(_reference(nxt, "$" + nxt, model, automatic, unresolved, depth))
        i += 2
    return "".join(out), unresolved


def _reference(
    name: str,
    written: str,
    model: Makefile,
    automatic: dict[str, str],
    unresolved: set[str],
    depth: int,
) -> str:
    if name in automatic:
        return automatic[name]
    if name == "MAKE":
        return "make"
    if depth > MAX_DEPTH:
        unresolved.add(f"{written}, which refers to itself or nests too deep")
        return written
    if not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
        word = name.split()[0] if name.split() else name
        unresolved.add(
            f"{written if len(written) <= 40 else '$(' + word + ' ...)'}, a make function"
        )
        return written
    variable = model.variables.get(name)
    if variable is None:
        unresolved.add(f"{written}, which {model.path} does not define")
        return written
    if variable.conditional:
        unresolved.add(f"{written}, which {model.path} sets under a condition")
    if variable.simple:
        return variable.value
    return _expand(variable.value, model, automatic, unresolved, depth + 1)[0]


def target_steps(model: Makefile, target: str) -> tuple[list[Step], list[str]]:
    """(the recipe lines running `target` runs, in order; problems). Prerequisites come first,
    each target once; a recipe line that is only `$(MAKE) other` (or `make other`) is replaced
    by what `other` runs. A target the file has no rule for is a problem (it may be a file)."""
    steps: list[Step] = []
    problems: list[str] = []
    done: set[str] = set()
    _follow(model, target, steps, problems, done, 0)
    return steps, problems


def _follow(
    model: Makefile, target: str, steps: list[Step], problems: list[str], done: set[str], depth: int
) -> None:
    if target in done or len(steps) >= MAX_STEPS:
        return
    done.add(target)
    if depth > MAX_DEPTH:
        problems.append(f"{target}: make calls nested more than {MAX_DEPTH} deep")
        return
    rule = model.rule(target)
    if rule is None:
        if depth == 0:
            problems.append(f"{model.path} has no rule for {target}")
        return  # a prerequisite with no rule is a file of the repository
    prerequisites = model.prerequisites(target)
    for prerequisite in prerequisites:
        _follow(model, prerequisite, steps, problems, done, depth + 1)
    automatic = {
        "@": target,
        "<": prerequisites[0] if prerequisites else "",
        "^": " ".join(prerequisites),
    }
    for recipe in rule.recipe:
        unresolved: set[str] = set()
        text, _ = _expand(recipe.text, model, automatic, unresolved, 0)
        if recipe.conditional or rule.conditional:
            unresolved.add(f"{model.path}:{recipe.line} runs only under an ifeq/ifdef condition")
        called = _called_targets(text)
        if called is not None and not unresolved:
            for name in called:
                _follow(model, name, steps, problems, done, depth + 1)
            continue
        steps.append(
            Step(target, recipe.line, text, recipe.ignore_errors, tuple(sorted(unresolved)))
        )
        if len(steps) >= MAX_STEPS:
            problems.append(f"{target}: more than {MAX_STEPS} recipe lines")
            return


def _called_targets(text: str) -> list[str] | None:
    """The targets of a recipe line that is only a call of make on this Makefile
    (`make build-js`, `$(MAKE) css js`); None for anything else (`make -C docs html` runs
    another folder's Makefile)."""
    commands = split_shell(text)
    if len(commands) != 1 or not commands[0].argv:
        return None
    argv = commands[0].argv
    if argv[0].rsplit("/", 1)[-1] not in ("make", "gmake") or commands[0].env:
        return None
    names = argv[1:]
    if not names or any(n.startswith("-") or "=" in n for n in names):
        return None
    return names


def make_targets(argv: list[str]) -> tuple[str, list[str]] | None:
    """(the Makefile, its targets) a `make ...` command line runs; None where it is not a plain
    call of make in the current folder (`-C dir`, options djfix does not follow). `make` alone
    runs the first target: its targets are []."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in ("make", "gmake"):
        return None
    makefile = "Makefile"
    targets: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-f", "--file", "--makefile") and i + 1 < len(args):
            makefile = args[i + 1]
            i += 2
            continue
        if arg.startswith("-f") and len(arg) > 2:
            makefile = arg[2:]
        elif arg in ("-s", "--silent", "--quiet", "-k", "--keep-going", "-B", "--always-make"):
            pass
        elif re.fullmatch(r"-j\d*|--jobs(=\d+)?", arg):
            pass
        elif arg.startswith("-") or "=" in arg:
            return None  # -C, variable overrides: not what the file alone says
        else:
            targets.append(arg)
        i += 1
    return makefile, targets


def default_target(model: Makefile) -> str | None:
    """The target `make` alone runs: .DEFAULT_GOAL, else the first explicit one."""
    goal = model.variables.get(".DEFAULT_GOAL")
    if goal is not None and goal.value.strip() in model.targets:
        return goal.value.strip()
    targets = model.targets
    return targets[0] if targets else None


# -- the flat view discovery keeps --------------------------------------------------------------


def parse_makefile(text: str) -> list[tuple[str, ScriptCommand]]:
    """(target, command) for every recipe line. A rule naming several targets reports the
    first; `$$` becomes `$` as the shell sees it; make variables such as `$(MAKE)` stay."""
    lines = normalize_text(text).split("\n")
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


def _recipe_commands(recipe: str, line: int) -> list[ScriptCommand]:
    recipe = re.sub(r"^[@+\-\s]*", "", recipe).replace("$$", "$")
    return split_shell(recipe, line)
