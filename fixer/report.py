"""Renderers for a check run: text (for people), JSON, SARIF 2.1.0 and GitHub annotations."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import typer

from fixer import __version__, redaction
from fixer.checks import ITEM_TITLES, CheckResult, all_rules
from fixer.findings import Finding, FixSafety, Severity
from fixer.project import ProjectModel

# -- masking: no secret of the project in any output ----------------------------------------------


def remember_project_secrets(project: ProjectModel) -> None:
    """Hand the literal secrets of the project's settings (secret names, known-format tokens,
    URL passwords) to the masking every output goes through."""
    for module in project.settings_modules.values():
        tree = module.file.tree if module.file is not None else None
        if tree is not None:
            redaction.remember(redaction.secrets_in_source(tree))


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


def _location(f: Finding) -> str:
    if not f.path:
        return "(project)"
    out = f.path
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


@_masked
def render_text(project: ProjectModel, result: CheckResult, color: bool) -> str:
    def style(text: str, **kw: Any) -> str:
        return typer.style(text, **kw) if color else text

    lines = [
        style(f"djfix {__version__}", bold=True) + f"  {project.root}",
        f"  {_project_line(project)}",
    ]
    lines.extend(f"  note: {n}" for n in project.notes)
    by_item: dict[int | None, list[Finding]] = {}
    for f in result.findings:
        by_item.setdefault(f.item, []).append(f)
    for item in [*sorted(i for i in by_item if i is not None), None]:
        group = by_item.get(item)
        if not group:
            continue
        title = f"{item}. {ITEM_TITLES[item]}" if item is not None else "Beyond the checklist"
        lines.append("")
        lines.append(style(title, bold=True))
        for f in group:
            sev = style(f.rule.severity.value, fg=_SEVERITY_COLOUR[f.rule.severity])
            fix = f.effective_fix
            fix_text = "" if fix.safety is FixSafety.NONE else f"  [fix: {fix.safety.value}]"
            lines.append(
                f"  {_location(f)}  {style(f.code, bold=True)} {sev}  {f.message}"
                + style(fix_text, fg="green")
            )
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
    if result.findings:
        counts = Counter(f.rule.severity for f in result.findings)
        fixable = sum(1 for f in result.findings if f.effective_fix.safety is not FixSafety.NONE)
        severity_text = ", ".join(
            f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in Severity
            if counts[s]
        )
        lines.append(
            f"{len(result.findings)} finding{'s' if len(result.findings) != 1 else ''} "
            f"({severity_text}); {fixable} fixable with `djfix apply`; "
            "`djfix explain CODE` says more about a rule."
        )
    else:
        lines.append(style("No findings: the project meets every checked item.", fg="green"))
    return "\n".join(lines) + "\n"


@_masked
def render_json(project: ProjectModel, result: CheckResult) -> str:
    data = {
        "djfix": __version__,
        "project": project.to_json(),
        "findings": [f.to_json() for f in result.findings],
        "items": {str(k): v for k, v in result.items.items()},
    }
    if result.internal_errors:
        data["errors"] = result.internal_errors
    return json.dumps(data, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@_masked
def render_sarif(project: ProjectModel, result: CheckResult) -> str:
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    anchor = project.manage_py or (project.settings.rel or "")
    results = []
    for f in result.findings:
        region: dict[str, int] = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _SARIF_LEVEL[f.rule.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            # findings about something missing are anchored on manage.py
                            "artifactLocation": {"uri": f.path or anchor, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
            }
        )
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "djfix",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/djfix/",
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.summary},
                                "fullDescription": {"text": r.summary},
                                "help": {
                                    "text": r.doc or r.summary,
                                    "markdown": r.doc or r.summary,
                                },
                                "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                                "properties": {
                                    "checklist-item": r.item,
                                    "fix": r.fix.value,
                                    "tags": ["deploy"]
                                    + ([f"item-{r.item}"] if r.item is not None else []),
                                },
                            }
                            for r in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": project.root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@_masked
def render_github(project: ProjectModel, result: CheckResult) -> str:
    command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for f in result.findings:
        props = []
        if f.path:
            props.append(f"file={_escape_property(f.path)}")
            if f.line:
                props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f'{f.code} {f.rule.name}')}")
        lines.append(f"::{command[f.rule.severity]} {','.join(props)}::{_escape_data(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


@_masked
def render_apply_summary(result, *, written: bool, color: bool) -> str:
    """Per checklist item: fixed, still open (and why), not applicable; then files, secrets to
    rotate and notes."""

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
    for change in changes:
        mark = "A" if change.old is None else "M"
        items = ", ".join(str(i) for i in sorted(change.items))
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
    lines.append("")
    lines.append(style("Checklist after apply", bold=True))
    colours = {"fixed": "green", "pass": "green", "partly fixed": "yellow", "open": "red"}
    for summary in result.items:
        title = ITEM_TITLES[summary.item]
        lines.append(
            f"  {summary.item:>2}  {title:<40} "
            + style(f"{summary.status:<12}", fg=colours.get(summary.status, "bright_black"))
            + (f" {len(summary.fixed)} fixed" if summary.fixed else "")
        )
        for finding, reason in summary.open:
            generic = reason.startswith("no automatic fix")
            suffix = " (fix by hand)" if generic else f": {reason}"
            lines.append(
                f"        {finding.code} {finding.rule.name} at {_location(finding)}{suffix}"
            )
    if result.context.secrets:
        lines.append("")
        lines.append(
            style("Secrets to rotate", bold=True)
            + " (they stay in the git history even after this change):"
        )
        seen = set()
        for name, rel, line in result.context.secrets:
            if name in seen:
                continue
            seen.add(name)
            lines.append(f"  {name} (was written in {rel}{':' + str(line) if line else ''})")
    if result.context.notes:
        lines.append("")
        lines.append(style("Notes", bold=True))
        lines.extend(f"  - {n}" for n in result.context.notes)
    if result.bugs:
        lines.append("")
        for f in result.bugs:
            lines.append(
                style("djfix bug: ", fg="red", bold=True)
                + f"{f.code} survives its own fix at {_location(f)}: {f.message}"
            )
    return "\n".join(lines) + "\n"
