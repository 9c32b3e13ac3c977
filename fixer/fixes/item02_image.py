"""Item 2's plan: the multi-stage Dockerfile, minimal final stage. The container files are one plan
shared by items 1 to 4
(`fixer.fixes.item01_dockerfile.ensure_container`); this names item 2's part of it."""

from __future__ import annotations

from fixer.fix_context import FixContext
from fixer.fixes.item01_dockerfile import ensure_container


def fix(ctx: FixContext) -> None:
    ensure_container(ctx, 2)
