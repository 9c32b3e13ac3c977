"""Renderers for a check run: text (for people), JSON, SARIF 2.1.0 and GitHub annotations.

Every format names files by their path from the repository root (the git top level, else the
project folder), so that `djfix check backend` in a monorepo annotates `backend/app/settings.py`.
Several rules that report one problem on one line (SECRET_KEY written in the file and weak) are
shown as one problem with several reasons.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import typer

from fixer import __version__, git, redaction, rule_codes
from fixer.checks import ITEM_TITLES, all_rules
from fixer.docs import PROJECT_URL, rule_url
from fixer.findings import CheckResult, Finding, FixSafety, Rule, Severity
from fixer.project import ProjectModel
from fixer.sources import PyFile

# -- masking: no secret of the project in any output ----------------------------------------------


def remember_project_secrets(project: ProjectModel) -> None:
    """Hand the literal secrets of the project's settings (secret names, known-format tokens,
    URL passwords) to the masking every output goes through."""
    for module in project.settings_modules.values():
        if module.file is not None:
            redaction.remember(
                module.file.memo("secrets", functools.partial(_secrets, module.file))
            )


def _secrets(file: PyFile) -> set[str]:
    parsed_here = not file.has_tree
    tree = file.tree
    found = redaction.secrets_in_source(tree) if tree is not None else set()
    if parsed_here:
        file.release()  # every render asks again: the answer is kept, not the tree
    return found


def _masked(render: Callable[..., str]) -> Callable[..., str]:
    """The renderer's output with every secret masked (the first argument is the project, or a
    result that carries it)."""

    @functools.wraps(render)
    def wrapper(first: Any, *args: Any, **kwargs: Any) -> str:
        project = getattr(first, "project", first)
        if isinstance(project, ProjectModel):
            remember_project_secrets(project)
        return redaction.mask_text(render(first, *args, **kwargs))

    return wrapper


_SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_STATUS_COLOUR = {
    "pass": "green",
    "fail": "red",
    "n/a": "bright_black",
    "skipped": "bright_black",
    "not verified": "yellow",
}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

# Rules that describe the same problem when they report the same line: the setting is written in
# the file (item 5) and its value is unsafe (item 9). One problem, two reasons.
SAME_PROBLEM: tuple[frozenset[str], ...] = (
    frozenset(
        {rule_codes.LITERAL_SECRET, rule_codes.SECRET_KEY_WEAK}
    ),  # SECRET_KEY in the file / SECRET_KEY weak
    frozenset(
        {rule_codes.LITERAL_CONFIG, rule_codes.DEBUG_ENABLED}
    ),  # DEBUG hard-coded / DEBUG on in production
    frozenset(
        {rule_codes.LITERAL_CONFIG, rule_codes.ALLOWED_HOSTS_EMPTY}
    ),  # ALLOWED_HOSTS hard-coded / ALLOWED_HOSTS empty
)
# Rules GitHub code scanning shows as security alerts (with a security-severity): the secrets in
# the repository and the `check --deploy` security warnings of item 9.
SECURITY_RULES = frozenset({rule_codes.LITERAL_SECRET})
SECURITY_ITEMS = frozenset({9})
_SECURITY_SEVERITY = {Severity.ERROR: "7.5", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour for a terminal: NO_COLOR (any value) turns it off, FORCE_COLOR (any value but 0)
    turns it on even into a pipe, TERM=dumb turns it off; else only when `stream` is a TTY."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    stream = stream if stream is not None else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- paths -------------------------------------------------------------------------------------


def repository_prefix(root: Path) -> str:
    """The project folder's path from the repository root ("" or "backend/"): the git top level
    when the folder is inside a work tree."""
    try:
        if not git.is_repository(root):
            return ""
        top = git.toplevel(root)
        rel = root.resolve().relative_to(top.resolve()).as_posix()
    except (git.GitError, OSError, ValueError):
        return ""
    return "" if rel == "." else rel + "/"


def repository_root(root: Path) -> Path:
    prefix = repository_prefix(root)
    resolved = root.resolve()
    for _ in prefix.strip("/").split("/") if prefix else []:
        resolved = resolved.parent
    return resolved


# -- problems ----------------------------------------------------------------------------------


@dataclass
class Problem:
    """One problem on one line: the finding shown first, and the other rules that report it."""

    finding: Finding
    path: str | None  # from the repository root
    also: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [self.finding, *self.also]

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def message(self) -> str:
        """Every reason: the first finding's message, then each other rule's."""
        return " ".join(
            [
                self.finding.message,
                *(f"Also {f.code} {f.rule.name}: {f.message}" for f in self.also),
            ]
        )

    @property
    def severity(self) -> Severity:
        return self.finding.rule.severity

    def to_json(self) -> dict:
        data = self.finding.to_json()
        data["path"] = self.path
        data["also"] = [
            {k: v for k, v in f.to_json().items() if k not in ("path", "line", "column")}
            for f in self.also
        ]
        return data


def _related(a: str, b: str) -> bool:
    return any(a in group and b in group for group in SAME_PROBLEM)


def problems(findings: list[Finding], prefix: str = "") -> list[Problem]:
    """The findings as problems, in the findings' order: findings of related rules on the same
    path and line become one problem, led by the most severe (then the lowest item)."""
    out: list[Problem] = []
    placed: dict[tuple[str, int], list[Problem]] = {}
    for f in findings:
        path = prefix + f.path if f.path else None
        if path and f.line:
            key = (path, f.line)
            host = next(
                (
                    p
                    for p in placed.get(key, [])
                    if all(_related(f.code, other) for other in p.codes)
                ),
                None,
            )
            if host is not None:
                host.also.append(f)
                continue
            problem = Problem(f, path)
            placed.setdefault(key, []).append(problem)
        else:
            problem = Problem(f, path)
        out.append(problem)
    for problem in out:
        if problem.also:
            ordered = sorted(
                problem.findings,
                key=lambda x: (_SEVERITY_RANK[x.rule.severity], x.item or 99, x.code),
            )
            problem.finding, problem.also = ordered[0], ordered[1:]
    return out


def only_files(problems_: list[Problem], files: list[str]) -> list[Problem]:
    """The problems in `files` (paths from the repository root): what a pre-commit hook shows
    for the files a commit touches."""
    wanted = set(files)
    return [p for p in problems_ if p.path in wanted]


def _location(path: str | None, f: Finding) -> str:
    if not path:
        return "(project)"
    out = path
    if f.line:
        out += f":{f.line}"
        if f.column:
            out += f":{f.column}"
    return out


def _project_line(project: ProjectModel) -> str:
    parts = [f"settings {project.production_module}"]
    if project.django_version:
        parts.append(
            "Django {}.{} ({})".format(*project.django_version, project.django_version_source)
        )
    else:
        parts.append("Django version unknown")
    if project.dependency_source:
        parts.append(f"dependencies in {project.dependency_source.rel}")
    return ", ".join(parts)


# -- text --------------------------------------------------------------------------------------


def _styler(color: bool):
    def style(text: str, **kw: Any) -> str:
        return typer.style(text, **kw) if color else text

    return style


def _problem_lines(problem: Problem, style) -> list[str]:
    f = problem.finding
    sev = style(f.rule.severity.value, fg=_SEVERITY_COLOUR[f.rule.severity])
    fix = f.effective_fix
    fix_text = "" if fix.safety is FixSafety.NONE else f"  [fix: {fix.safety.value}]"
    lines = [
        f"  {_location(problem.path, f)}  {style(f.code, bold=True)} {sev}  {f.message}"
        + style(fix_text, fg="green")
    ]
    for other in problem.also:
        lines.append(
            f"      also {style(other.code, bold=True)} {other.rule.name}: {other.message}"
        )
    return lines


@_masked
def render_text(
    project: ProjectModel,
    result: CheckResult,
    color: bool,
    *,
    quiet: bool = False,
    files: list[str] | None = None,
) -> str:
    """The report for people. `quiet`: the problems only, one a line (and the lines of their
    other reasons); `files`: only the problems in these files (paths from the repository root)."""
    style = _styler(color)
    prefix = repository_prefix(project.root)
    found = problems(result.findings, prefix)
    if files is not None:
        found = only_files(found, files)
    if quiet:
        lines: list[str] = []
        for problem in found:
            lines.extend(line[2:] for line in _problem_lines(problem, style))
        return "".join(line + "\n" for line in lines)
    lines = [
        style(f"djfix {__version__}", bold=True) + f"  {project.root}",
        f"  {_project_line(project)}",
    ]
    lines.extend(f"  note: {n}" for n in project.notes)
    by_item: dict[int | None, list[Problem]] = {}
    for problem in found:
        by_item.setdefault(problem.finding.item, []).append(problem)
    for item in [*sorted(i for i in by_item if i is not None), None]:
        group = by_item.get(item)
        if not group:
            continue
        title = f"{item}. {ITEM_TITLES[item]}" if item is not None else "Beyond the checklist"
        lines.append("")
        lines.append(style(title, bold=True))
        for problem in group:
            lines.extend(_problem_lines(problem, style))
    for error in result.internal_errors:
        lines.append("")
        lines.append(
            style("djfix bug: ", fg="red", bold=True)
            + f"{error} (this check's results are missing; run with --debug for the traceback)"
        )
    lines.append("")
    lines.append(style("Checklist", bold=True))
    for item, title in ITEM_TITLES.items():
        status = result.items.get(item, "skipped")
        count = sum(1 for f in result.findings if f.item == item)
        suffix = f"  {count} finding{'s' if count != 1 else ''}" if count else ""
        if status == "not verified" and item in project.unverified:
            suffix += f"  ({project.unverified[item]})"
        lines.append(
            f"  {item:>2}  {title:<40} "
            + style(f"{status:<7}", fg=_STATUS_COLOUR.get(status, "red"))
            + suffix
        )
    lines.append("")
    if files is not None and not found and result.findings:
        lines.append(
            style("No findings in the files given", fg="green")
            + f" ({len(result.findings)} elsewhere in the project: `djfix check` lists them)."
        )
    elif found:
        counts = Counter(p.severity for p in found)
        fixable = sum(1 for p in found if p.finding.effective_fix.safety is not FixSafety.NONE)
        severity_text = ", ".join(
            f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in Severity
            if counts[s]
        )
        lines.append(
            f"{len(found)} finding{'s' if len(found) != 1 else ''} "
            f"({severity_text}); {fixable} fixable with `djfix apply`; "
            "`djfix explain CODE` says more about a rule."
        )
    else:
        lines.append(style("No findings: the project meets every checked item.", fg="green"))
    return "\n".join(lines) + "\n"


def statistics(findings: list[Finding]) -> list[dict[str, Any]]:
    """How many findings each rule reported, most first (then by code)."""
    counts = Counter(f.code for f in findings)
    rules = {f.code: f.rule for f in findings}
    return [
        {
            "code": code,
            "name": rules[code].name,
            "count": count,
            "fixable": rules[code].fix is not FixSafety.NONE,
        }
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def render_statistics(findings: list[Finding], output_format: str = "text") -> str:
    rows = statistics(findings)
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    name_width = max(len(r["name"]) for r in rows)
    return "".join(
        f"{r['count']:>{width}}  {r['code']}  {r['name']:<{name_width}}"
        f"{'  [*]' if r['fixable'] else ''}".rstrip()
        + "\n"
        for r in rows
    )


# -- JSON --------------------------------------------------------------------------------------


@_masked
def render_json(
    project: ProjectModel, result: CheckResult, *, files: list[str] | None = None
) -> str:
    prefix = repository_prefix(project.root)
    found = problems(result.findings, prefix)
    if files is not None:
        found = only_files(found, files)
    data = {
        "djfix": __version__,
        "project": project.to_json(),
        "repository_prefix": prefix,
        "findings": [p.to_json() for p in found],
        "items": {str(k): v for k, v in result.items.items()},
    }
    if result.internal_errors:
        data["errors"] = result.internal_errors
    return json.dumps(data, indent=2) + "\n"


# -- SARIF -------------------------------------------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def is_security_rule(rule: Rule) -> bool:
    return rule.code in SECURITY_RULES or rule.item in SECURITY_ITEMS


def _rule_help(rule: Rule) -> dict[str, str]:
    if rule.item is not None:
        where = f"Checklist item {rule.item}: {ITEM_TITLES[rule.item]}."
    else:
        where = "Beyond the checklist."
    fix = {
        FixSafety.SAFE: "`djfix apply` fixes it.",
        FixSafety.UNSAFE: "`djfix apply` fixes it; review the change.",
        FixSafety.NONE: "Fix it by hand" + (f" ({rule.fix_reason})." if rule.fix_reason else "."),
    }[rule.fix]
    url = rule_url(rule)
    text = f"{rule.summary}\n\n{where} {fix} More: `djfix explain {rule.code}`."
    return {"text": text, "markdown": f"{text} [{rule.code} {rule.name}]({url})"}


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    tags = ["deploy", "django"] + ([f"item-{rule.item}"] if rule.item is not None else [])
    properties: dict[str, Any] = {"fix": rule.fix.value}
    if rule.item is not None:
        properties["checklist-item"] = rule.item
    if is_security_rule(rule):
        tags.append("security")
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    properties["tags"] = tags
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule_url(rule),
        "help": _rule_help(rule),
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": properties,
    }


def _line_text(repo_root: Path, path: str, line: int | None) -> str:
    if not line:
        return ""
    try:
        with open(repo_root / path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    return " ".join(text.split())
    except OSError:
        return ""
    return ""


def _content_width(line: str) -> int:
    return len(line.rstrip("\r\n"))


def _replacements(old: str | None, new: str) -> list[dict[str, Any]]:
    """SARIF replacements that turn `old` into `new`, one per changed run of lines. A region from
    the start of a line to the start of the next holds whole lines with their line ends; an
    empty region (startColumn == endColumn) is an insertion point. A run that reaches the end of
    the file ends at the end of the last line, whose line end stays."""
    before = (old or "").splitlines(keepends=True)
    after = new.splitlines(keepends=True)
    if not before:
        region = {"startLine": 1, "startColumn": 1, "endColumn": 1}
        return [{"deletedRegion": region, "insertedContent": {"text": new}}]
    out: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    last = len(before)
    width = _content_width(before[-1])
    tail = before[-1][width:]  # the last line's line end, "" when the file has none
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        text = "".join(after[j1:j2])
        if i2 < last:
            region = {"startLine": i1 + 1, "startColumn": 1, "endLine": i2 + 1, "endColumn": 1}
        elif i1 == i2:  # appended after the last line
            region = {"startLine": last, "startColumn": width + 1, "endColumn": width + 1}
            text = tail + (text[: -len(tail)] if tail and text.endswith(tail) else text)
        elif not text and i1 > 0:  # the last lines removed: from the end of the line before
            before_width = _content_width(before[i1 - 1])
            region = {
                "startLine": i1,
                "startColumn": before_width + 1,
                "endLine": last,
                "endColumn": width + 1,
            }
        else:
            region = {
                "startLine": i1 + 1,
                "startColumn": 1,
                "endLine": last,
                "endColumn": width + 1,
            }
            if tail and text.endswith(tail):
                text = text[: -len(tail)]
        out.append({"deletedRegion": region, "insertedContent": {"text": text}})
    return out


def sarif_fixes(applied, prefix: str = "") -> dict[Finding, dict[str, Any]]:
    """SARIF fix objects for the findings that djfix's plan (`fixer.apply.plan`) fixes: the
    changes of the files that only the finding's checklist item changed (a file several items
    changed would carry other items' changes, so it is left out)."""
    by_item: dict[int, list] = {}
    for change in applied.changeset.changes(tracked=True):
        if len(change.items) == 1:
            by_item.setdefault(next(iter(change.items)), []).append(change)
    out: dict[Finding, dict[str, Any]] = {}
    for summary in applied.items:
        changes = by_item.get(summary.item)
        if not changes or not summary.fixed:
            continue
        fix = {
            "description": {
                "text": f"djfix apply: checklist item {summary.item}, "
                f"{ITEM_TITLES.get(summary.item, '')}"
            },
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": prefix + c.rel, "uriBaseId": "%SRCROOT%"},
                    "replacements": _replacements(c.old, c.new),
                }
                for c in changes
                if c.old != c.new
            ],
        }
        if fix["artifactChanges"]:
            for finding in summary.fixed:
                out[finding] = fix
    return out


@_masked
def render_sarif(
    project: ProjectModel,
    result: CheckResult,
    *,
    files: list[str] | None = None,
    fixes: dict[Finding, dict[str, Any]] | None = None,
) -> str:
    """SARIF 2.1.0; `fixes` (from `sarif_fixes`) adds each fixed finding's changes."""
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    prefix = repository_prefix(project.root)
    repo_root = repository_root(project.root)
    anchor = prefix + (project.manage_py or (project.settings.rel or ""))
    found = problems(result.findings, prefix)
    if files is not None:
        found = only_files(found, files)
    seen: Counter[str] = Counter()
    results = []
    for problem in found:
        f = problem.finding
        # findings about something missing are anchored on manage.py
        path = problem.path or anchor
        region: dict[str, int] = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        # stable across runs and edits elsewhere in the file: the rule, the file and the text
        # of the line (not its number), counted when the same text repeats
        basis = f"{f.code}\0{path}\0{_line_text(repo_root, path, f.line) or f.message}"
        seen[basis] += 1
        fingerprint = hashlib.sha256(f"{basis}\0{seen[basis]}".encode()).hexdigest()
        entry: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.rule.severity],
            "message": {"text": problem.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"djfixFindingHash/v1": fingerprint},
        }
        if problem.also:
            entry["properties"] = {"also": problem.codes[1:]}
        fix = next((fixes[x] for x in problem.findings if fixes and x in fixes), None)
        if fix is not None:
            entry["fixes"] = [fix]
        results.append(entry)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "djfix",
                        "version": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": repo_root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


# -- GitHub annotations ------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@_masked
def render_github(
    project: ProjectModel, result: CheckResult, *, files: list[str] | None = None
) -> str:
    command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    found = problems(result.findings, repository_prefix(project.root))
    if files is not None:
        found = only_files(found, files)
    lines = []
    for problem in found:
        f = problem.finding
        props = []
        if problem.path:
            props.append(f"file={_escape_property(problem.path)}")
            if f.line:
                props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
        title = " ".join(f"{x.code} {x.rule.name}" for x in problem.findings)
        props.append(f"title={_escape_property(title)}")
        lines.append(
            f"::{command[problem.severity]} {','.join(props)}::{_escape_data(problem.message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _secret_lines(ctx) -> list[str]:
    """'Secrets to rotate': the setting and file where each value was written."""
    places = getattr(ctx, "secret_places", None) or []
    lines = []
    seen: set[tuple[str, str]] = set()
    if places:
        for p in places:
            if (p.setting, p.rel) in seen:
                continue
            seen.add((p.setting, p.rel))
            where = f"{p.rel}:{p.line}" if p.line else p.rel
            now = "" if p.setting == p.variable else f", now read from {p.variable}"
            lines.append(f"  {p.setting} in {where}{now}")
        return lines
    for name, rel, line in ctx.secrets:
        if (name, rel) in seen:
            continue
        seen.add((name, rel))
        lines.append(f"  {name} (was written in {rel}{':' + str(line) if line else ''})")
    return lines


@_masked
def render_apply_summary(result, *, written: bool, color: bool) -> str:
    """Per checklist item: fixed and verified / fixed / left out (broke step N) / open / pass /
    n/a, and why; then the verification table, secrets to rotate and notes."""

    def style(text: str, **kw: Any) -> str:
        return typer.style(text, **kw) if color else text

    changes = result.changeset.changes()
    lines: list[str] = []
    verb = "changed" if written else "would change"
    lines.append(
        style(
            f"djfix apply: {len(changes)} file{'s' if len(changes) != 1 else ''} {verb}", bold=True
        )
    )
    # the items as the commits carry them, not as the plans labelled their writes
    by_file = result.changeset.items_by_file()
    for change in changes:
        mark = "A" if change.old is None else "M"
        items = ", ".join(str(i) for i in sorted(by_file.get(change.rel, ())))
        extra = "" if change.tracked else ", untracked: ignored by git, never committed"
        lines.append(
            f"  {mark} {change.rel}"
            + (
                f"  (item {items}{extra})"
                if items
                else f"  ({extra.lstrip(', ')})"
                if extra
                else ""
            )
        )
    verification = getattr(result, "verification", None)
    lines.append("")
    lines.append(style("Checklist after apply", bold=True))
    colours = {
        "fixed and verified": "green",
        "partly fixed and verified": "yellow",
        "fixed": "green",
        "pass": "green",
        "partly fixed": "yellow",
        "fixed, image not built": "green",
        "partly fixed, image not built": "yellow",
        "fixed, its collectstatic stage fails": "yellow",
        "partly fixed, its collectstatic stage fails": "yellow",
        "open": "red",
        "pass, applies now": "green",
        "open, applies now": "red",
    }
    width = max([12, *(len(getattr(s, "label", s.status)) for s in result.items)])
    for summary in result.items:
        title = ITEM_TITLES[summary.item]
        label = getattr(summary, "label", summary.status)
        colour = "red" if label.startswith("left out") else colours.get(label, "bright_black")
        lines.append(
            f"  {summary.item:>2}  {title:<40} "
            + style(f"{label:<{width}}", fg=colour)
            # two spaces at least: a label as wide as the column must not run into the count
            + (f"  {len(summary.fixed)} fixed" if summary.fixed and not summary.left_out else "")
            # a plan that changed files and fixed no finding of its own: say what it changed
            + (
                f"  changed {', '.join(summary.changed)}"
                if not summary.fixed and getattr(summary, "changed", None) and not summary.left_out
                else ""
            )
        )
        if summary.left_out:
            lines.append(f"        its change {summary.left_out}: not handed over")
        # findings of one rule in one file left for one reason: one line, their places listed
        grouped: dict[tuple, list] = {}
        for finding, reason in summary.open:
            key = (finding.code, finding.path, reason)
            grouped.setdefault(key, []).append(finding)
        for (code, path, reason), findings in grouped.items():
            generic = reason.startswith("no automatic fix")
            suffix = " (fix by hand)" if generic else f": {reason}"
            if summary.left_out:
                suffix = ""
            first = findings[0]
            where = _location(path, first)
            more = [str(f.line) for f in findings[1:] if f.line is not None]
            if more and first.line is not None:
                where = f"{path}:{first.line}, " + ", ".join(more)
            lines.append(f"        {code} {first.rule.name} at {where}{suffix}")
    if verification is not None and (verification.ran or result.changeset.changes(tracked=True)):
        lines.append("")
        if verification.ran:
            lines.append(
                style("Verification", bold=True)
                + f" (the project run before and after, with {verification.python};"
                f" {verification.runs} re-verification{'s' if verification.runs != 1 else ''},"
                f" {verification.seconds:.0f} s)"
            )
            lines.append(verification.table())
            lines.append(f"  {verification.summary()}")
        else:
            lines.append(
                style("Not verified", bold=True)
                + f": {verification.not_run}. 'fixed' means djfix's static re-check passes; "
                "the project was not run."
            )
    secrets = _secret_lines(result.context)
    if secrets:
        lines.append("")
        lines.append(
            style("Secrets to rotate", bold=True)
            + " (the old values stay in the git history even after this change):"
        )
        lines.extend(secrets)
    if result.context.notes:
        lines.append("")
        lines.append(style("Notes", bold=True))
        lines.extend(f"  - {n}" for n in result.context.notes)
    if result.bugs:
        lines.append("")
        for f in result.bugs:
            lines.append(
                style("djfix bug: ", fg="red", bold=True)
                + f"{f.code} survives its own fix at {_location(f.path, f)}: {f.message}"
            )
    return "\n".join(lines) + "\n"
