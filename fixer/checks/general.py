"""Findings beyond the checklist: files djfix could not read, settings it could not understand.

## What it checks
Every file djfix needs to read can be decoded and parsed, and the settings do not build themselves
at run time in ways a static reader cannot follow.

## Why it matters
djfix never imports the project: it reads the source. A file it cannot parse is a file it cannot
check, so the other findings may be incomplete; djfix says so instead of staying silent. Python 2
files, files saved in a legacy encoding without a coding line, and files using syntax newer than
the Python running djfix are the usual causes.

## Example
```diff
-print "starting"
+print("starting")
```

## Fix safety
None: djfix does not rewrite files it cannot read.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.checks import rule
from fixer.findings import Finding, Severity
from fixer.project import ProjectModel

ITEM = None
TITLE = "Files djfix could not read"

UNPARSABLE = rule(
    __name__,
    rule_codes.FILE_UNPARSABLE,
    "file-unparsable",
    None,
    Severity.ERROR,
    "A file djfix needs is not valid Python 3 for the running interpreter.",
    fix_reason="djfix does not rewrite a file it cannot parse; fix the file first",
)
UNDECODABLE = rule(
    __name__,
    rule_codes.FILE_UNDECODABLE,
    "file-undecodable",
    None,
    Severity.ERROR,
    "A file djfix needs cannot be decoded or read.",
    fix_reason="djfix does not rewrite a file it cannot decode; save it as UTF-8 first",
)
SETTINGS_DYNAMIC = rule(
    __name__,
    rule_codes.SETTINGS_DYNAMIC,
    "settings-dynamic",
    None,
    Severity.WARNING,
    "The settings are built at run time (exec, globals(), importlib), so djfix reads them in part.",
    fix_reason="djfix rewrites only settings it can read; make the construct static first",
)
DEPLOY_FILE_INVALID = rule(
    __name__,
    rule_codes.DEPLOY_FILE_INVALID,
    "deploy-file-invalid",
    None,
    Severity.WARNING,
    "A Dockerfile, compose file, Procfile, script or dependency file could not be fully read.",
)
RULES = [UNPARSABLE, UNDECODABLE, SETTINGS_DYNAMIC, DEPLOY_FILE_INVALID]
OPTIONS: dict = {}


def applies(project: ProjectModel) -> bool:
    return True


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    for f in project.cache.problems():
        problem = f.problem
        assert problem is not None
        kind = UNDECODABLE if problem.kind in ("undecodable", "unreadable") else UNPARSABLE
        yield Finding(kind, f"{f.rel} {problem.message}", f.rel, problem.line, problem.column)
    seen: set[tuple[str, int, str]] = set()
    for module in project.settings_modules.values():
        for rel, line, reason in module.dynamic:
            if (rel, line, reason) in seen:
                continue
            seen.add((rel, line, reason))
            yield Finding(
                SETTINGS_DYNAMIC,
                f"{reason}: djfix cannot read what this sets; findings about these settings may "
                "be incomplete, and djfix will not rewrite them",
                rel,
                line,
            )
    for rel, message in project.deploy_problems:
        yield Finding(DEPLOY_FILE_INVALID, f"{rel}: {message}", rel, None)
