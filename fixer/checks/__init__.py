"""The checklist: one module per item, each with its docs, rules, detector and (later) fix plan.

A check module defines:

- a module docstring: the user documentation (What it checks / Why it matters / Example /
  Fix safety / Options), printed by `djfix explain`;
- ``ITEM`` (the checklist number, or None) and ``TITLE``;
- ``RULES``: the rules it reports, built with :func:`rule`;
- ``OPTIONS``: per-item options readable from ``[tool.djfix.options]``;
- ``applies(project) -> bool``: False makes the item "n/a" in the report;
- ``check(project, options) -> Iterable[Finding]``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from fixer.deep_stack import call_deep
from fixer.errors import UsageError
from fixer.findings import CheckResult, Finding, FixSafety, Rule, Severity

CHECK_MODULES = (
    "fixer.checks.item01_dockerfile",
    "fixer.checks.item02_image",
    "fixer.checks.item03_app_server",
    "fixer.checks.item04_static_files",
    "fixer.checks.item05_environment",
    "fixer.checks.item06_migrations",
    "fixer.checks.item07_health",
    "fixer.checks.item08_redis_cache",
    "fixer.checks.item09_deploy_check",
    "fixer.checks.item10_startup_queries",
    "fixer.checks.item11_db_connections",
    "fixer.checks.item12_initial_data",
    "fixer.checks.item13_startup_probes",
    "fixer.checks.general",
)

ITEM_TITLES = {
    1: "Project-specific Dockerfile",
    2: "Multi-stage, minimal image",
    3: "Served by an app server",
    4: "Static files outside the API container",
    5: "Configuration from the environment",
    6: "Valid migrations",
    7: "Health endpoint",
    8: "Redis cache is optional",
    9: "check --deploy is clean",
    10: "Starts before the schema exists",
    11: "Persistent DB connections",
    12: "Initial data from migrations",
    13: "Startup dependency probes",
}


#: why a rule declared without a fix has none, when it does not say
NO_FIX_REASON = "no automatic fix: change it by hand as the message says"


def rule(
    module: str,
    code: str,
    name: str,
    item: int | None,
    severity: Severity,
    summary: str,
    fix: FixSafety = FixSafety.NONE,
    fix_reason: str | None = None,
) -> Rule:
    """Declare a rule of the check module `module` (pass ``__name__``)."""
    if fix is FixSafety.NONE and fix_reason is None:
        fix_reason = NO_FIX_REASON
    return Rule(code, name, item, severity, summary, fix, fix_reason, module)


@dataclass(frozen=True)
class Option:
    default: Any
    help: str

    def validate(self, key: str, value: Any) -> Any:
        expected = type(self.default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UsageError(
                f"[tool.djfix.options] {key} must be a {expected.__name__}, "
                f"not {type(value).__name__} ({value!r})"
            )
        return value


def modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in CHECK_MODULES]


def all_rules() -> list[Rule]:
    out: list[Rule] = []
    for mod in modules():
        out.extend(mod.RULES)
    return out


def all_options() -> dict[str, Option]:
    out: dict[str, Option] = {}
    for mod in modules():
        out.update(getattr(mod, "OPTIONS", {}))
    return out


def resolve_selection(tokens: Iterable[str], what: str) -> set[str]:
    """Rule codes named by `tokens`: codes, code prefixes, rule names or checklist item numbers."""
    rules = all_rules()
    out: set[str] = set()
    for raw in tokens:
        token = raw.strip()
        if not token:
            continue
        if token.isdigit():
            item = int(token)
            if item not in ITEM_TITLES:
                raise UsageError(f"{what} {token}: checklist items are numbered 1 to 13")
            out.update(r.code for r in rules if r.item == item)
            continue
        upper = token.upper()
        matched = {r.code for r in rules if r.code.startswith(upper) or r.name == token.lower()}
        if not matched:
            raise UsageError(
                f"{what} {token}: no rule has that code or name; `djfix rules` lists them"
            )
        out.update(matched)
    return out


@dataclass
class Selection:
    select: set[str] | None = None  # None: every rule
    ignore: set[str] = field(default_factory=set)

    def wants(self, code: str) -> bool:
        if code in self.ignore:
            return False
        return self.select is None or code in self.select

    def wants_item(self, item: int) -> bool:
        return any(self.wants(r.code) for r in all_rules() if r.item == item)


_SUPPRESS = re.compile(r"#\s*djfix:\s*ignore(?:\[([A-Za-z0-9_, -]+)\])?")


@lru_cache(maxsize=4)
def _lines(text: str) -> list[str]:
    """The lines of a file that has findings, split once for all of them (never changed)."""
    return text.splitlines()


def _suppressed(project, finding: Finding) -> bool:
    if not finding.path or not finding.line:
        return False
    f = project.cache.already_read(project.root / finding.path)
    text = f.text if f is not None else None
    if not text or "djfix" not in text:
        return False  # no suppression comment anywhere in the file
    lines = _lines(text)
    if finding.line > len(lines):
        return False
    m = _SUPPRESS.search(lines[finding.line - 1])
    if not m:
        return False
    codes = m.group(1)
    return codes is None or finding.code in {c.strip().upper() for c in codes.split(",")}


def run_checks(
    project, selection: Selection, options: dict[str, Any], debug: bool = False
) -> CheckResult:
    """Run every selected check over `project`. A check that crashes is a djfix bug: it is
    reported (with the traceback under --debug) and the other checks still run. The checks
    walk trees by recursion: they run where a deeply nested file has room (`call_deep`)."""
    return call_deep(_run_checks, project, selection, options, debug)


def _run_checks(project, selection: Selection, options: dict[str, Any], debug: bool) -> CheckResult:
    findings: list[Finding] = []
    items: dict[int, str] = {}
    errors: list[str] = []
    for mod in modules():
        item = mod.ITEM
        wanted = [r for r in mod.RULES if selection.wants(r.code)]
        if not wanted:
            if item is not None:
                items[item] = "skipped"
            continue
        try:
            applicable = mod.applies(project)
            produced: Iterator[Finding] = mod.check(project, options) if applicable else iter(())
            found = [f for f in produced if selection.wants(f.code) and not _suppressed(project, f)]
        except Exception as exc:  # a bug in one check must not hide the others' findings
            if debug:
                raise
            errors.append(f"{mod.__name__}: {type(exc).__name__}: {exc}")
            if item is not None:
                items[item] = "error"
            continue
        findings.extend(found)
        if item is not None:
            items[item] = "fail" if found else ("pass" if applicable else "n/a")
            if items[item] == "pass" and item in project.unverified:
                items[item] = "not verified"
    findings.sort(key=Finding.sort_key)
    return CheckResult(findings, dict(sorted(items.items())), errors)
