"""The fix plans, one module per checklist item (`itemNN_<topic>.py`), plus what several plans
share (the generated common app, the environment files). A plan reads the project through
`fixer.analysis` and writes through `fixer.fix_context.FixContext`; it imports no check and
never `fixer.apply`.

Each plan is the module named like its check (`itemNN_<topic>.py`), entry point `fix(ctx)`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any


def plan_for(check: ModuleType) -> Callable[[Any], None] | None:
    """The fix plan of a check module: `fix` of the module of the same name in this package
    (`fixer.checks.item08_redis_cache` -> `fixer.fixes.item08_redis_cache.fix`), or None for a
    check without one. Loaded by name when apply plans, so `djfix check` never loads the plans
    (nor the libraries they write with)."""
    name = f"{__name__}.{check.__name__.rsplit('.', 1)[-1]}"
    if importlib.util.find_spec(name) is None:
        return None
    return getattr(importlib.import_module(name), "fix", None)


def release_trees() -> None:
    """Drop the LibCST trees the codemods keep from one pass to the next (the last text they
    parsed, in pieces): once every plan has run nothing parses that text again, and the trees
    of a long settings module (about 35 bytes a character of source) would stay in memory
    beside the trees the re-check builds. Nothing to do where no plan loaded the codemods."""
    cst_tools = sys.modules.get("codemods.cst_tools")
    if cst_tools is not None:
        cst_tools.forget()
