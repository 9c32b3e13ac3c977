"""Item 4's plan: the `static` nginx stage of the generated Dockerfile (and compose's static
service). The container files are one plan shared by items 1 to 4
(`fixer.fixes.item01_dockerfile.ensure_container`); this names item 4's part of it."""

from __future__ import annotations

from fixer.fix_context import FixContext
from fixer.fixes.item01_dockerfile import ensure_container


def fix(ctx: FixContext) -> None:
    ensure_container(ctx, 4)
