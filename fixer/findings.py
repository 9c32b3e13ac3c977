"""Finding, Rule, Severity and FixSafety: the values every check produces."""

from __future__ import annotations

import enum
import importlib
import inspect
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FixSafety(str, enum.Enum):
    """Whether djfix can fix a finding, and how much a reviewer must look at the result."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


@dataclass(frozen=True)
class Rule:
    """One rule's metadata. Codes are stable and never reused: DJ<item><n>, DJ9xx beyond the
    checklist."""

    code: str
    name: str
    item: int | None
    severity: Severity
    summary: str
    fix: FixSafety = FixSafety.NONE
    fix_reason: str | None = None
    module: str = field(default="", compare=False)

    @property
    def doc(self) -> str:
        """The user documentation of the rule's check module (`djfix explain`)."""
        if not self.module:
            return ""
        return inspect.cleandoc(importlib.import_module(self.module).__doc__ or "")


@dataclass(frozen=True)
class Fix:
    safety: FixSafety
    reason: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"availability": self.safety.value, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    rule: Rule
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    fix: Fix | None = None
    # what the finding is about, as data (an app label, a setting, a service): code that acts
    # on findings reads this, never the message
    subject: str | None = field(default=None, compare=False)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def item(self) -> int | None:
        return self.rule.item

    @property
    def effective_fix(self) -> Fix:
        if self.fix is not None:
            return self.fix
        return Fix(self.rule.fix, self.rule.fix_reason)

    def sort_key(self) -> tuple:
        return (
            self.rule.item if self.rule.item is not None else 99,
            self.path or "",
            self.line or 0,
            self.column or 0,
            self.rule.code,
        )

    def to_json(self) -> dict:
        return {
            "code": self.rule.code,
            "name": self.rule.name,
            "item": self.rule.item,
            "severity": self.rule.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix": self.effective_fix.to_json(),
        }


@dataclass
class CheckResult:
    findings: list[Finding]
    items: dict[int, str]  # item -> pass / fail / n/a / skipped
    internal_errors: list[str] = field(default_factory=list)
