"""Item 7's plan: /health and /common/health, answered by the generated common app."""

from __future__ import annotations

from fixer.fix_context import FixContext
from fixer.fixes.common_app_wiring import ensure_common_app


def fix(ctx: FixContext) -> None:
    """Item 7: /health and /common/health from the generated app."""
    ensure_common_app(ctx, 7)
