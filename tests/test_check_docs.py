"""The user documentation of the check modules shows what the fixes really do.

Every check module whose rules have a fix documents an `## Example` diff; for a fix that is a
settings codemod, the diff's old side run through that codemod gives the diff's new side.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from types import ModuleType

import pytest

from codemods import conn_max_age, deploy_security, redis_cache, settings_env
from fixer.checks import CHECK_MODULES
from fixer.findings import FixSafety
from fixer.fixes import plan_for

#: the settings codemod behind each check module's `fix`
SETTINGS_CODEMODS: dict[str, Callable[[str], str]] = {
    "fixer.checks.item05_environment": lambda source: (
        settings_env.transform(source, settings_env.Plan()).code
    ),
    "fixer.checks.item08_redis_cache": lambda source: redis_cache.transform(source).code,
    "fixer.checks.item09_deploy_check": lambda source: deploy_security.transform(source).code,
    "fixer.checks.item11_db_connections": lambda source: conn_max_age.transform(source).code,
}
#: examples that show only some lines of the output (the env block item 5 creates is not shown)
PARTIAL_EXAMPLES = {"fixer.checks.item05_environment"}

EXAMPLE_DIFF = re.compile(r"^## Example\n.*?^```diff\n(.*?)^```", re.S | re.M)
FIX_SAFETY = re.compile(r"^## Fix safety\n(.*?)(?=^## |\Z)", re.S | re.M)


def doc(module: ModuleType) -> str:
    return inspect.cleandoc(module.__doc__ or "")


def example_diff(module: ModuleType) -> str:
    match = EXAMPLE_DIFF.search(doc(module))
    assert match is not None, f"{module.__name__} documents no ```diff block under ## Example"
    return match.group(1)


def before_and_after(diff: str) -> tuple[str, str]:
    """The old side (context and '-' lines) and the new side (context and '+' lines)."""
    before: list[str] = []
    after: list[str] = []
    for line in diff.splitlines():
        mark, text = line[:1], line[1:]
        if mark in (" ", ""):
            before.append(text)
            after.append(text)
        elif mark == "-":
            before.append(text)
        elif mark == "+":
            after.append(text)
        else:
            raise AssertionError(f"not a diff line: {line!r}")
    return "\n".join(before) + "\n", "\n".join(after) + "\n"


def in_order(lines: list[str], output: list[str]) -> bool:
    """Every line of `lines` is a line of `output`, in the same order."""
    rest = iter(output)
    return all(any(line == candidate for candidate in rest) for line in lines)


def fixable_modules() -> list[str]:
    return [
        name
        for name in CHECK_MODULES
        if any(r.fix is not FixSafety.NONE for r in importlib.import_module(name).RULES)
    ]


def test_in_order() -> None:
    assert in_order(["a", "", "c"], ["a", "b", "", "c", "d"])
    assert not in_order(["c", "a"], ["a", "b", "c"])
    assert not in_order(["a", "a"], ["a", "b"])


def test_before_and_after() -> None:
    assert before_and_after(" A = 1\n-B = 2\n+B = 3\n+\n C = 4\n") == (
        "A = 1\nB = 2\nC = 4\n",
        "A = 1\nB = 3\n\nC = 4\n",
    )


def test_some_modules_have_fixes() -> None:
    assert set(SETTINGS_CODEMODS) <= set(fixable_modules())


@pytest.mark.parametrize("name", fixable_modules())
def test_fixable_module_documents_an_example_diff(name: str) -> None:
    module = importlib.import_module(name)
    assert callable(plan_for(module)), f"{name} declares fixes but fixer.fixes has no plan for it"
    diff = example_diff(module)
    assert any(line.startswith("+") for line in diff.splitlines()), diff


@pytest.mark.parametrize("name", fixable_modules())
def test_every_settings_fix_has_its_example_checked(name: str) -> None:
    fix = plan_for(importlib.import_module(name))
    if fix is not None and "settings_env" in inspect.getsource(inspect.getmodule(fix)):
        assert name in SETTINGS_CODEMODS


@pytest.mark.parametrize(
    "name",
    [
        "fixer.checks.item05_environment",
        "fixer.checks.item08_redis_cache",
        "fixer.checks.item09_deploy_check",
        "fixer.checks.item11_db_connections",
    ],
)
def test_example_diff_is_what_the_fix_produces(name: str) -> None:
    module = importlib.import_module(name)
    before, after = before_and_after(example_diff(module))
    output = SETTINGS_CODEMODS[name](before)
    if name in PARTIAL_EXAMPLES:
        assert in_order(after.splitlines(), output.splitlines()), output
        removed = set(before.splitlines()) - set(after.splitlines())
        assert not removed & set(output.splitlines()), output
    else:
        assert output == after


@pytest.mark.parametrize("name", fixable_modules())
def test_fix_safety_section_describes_the_fix(name: str) -> None:
    match = FIX_SAFETY.search(doc(importlib.import_module(name)))
    assert match is not None
    section = match.group(1).strip()
    assert not section.startswith(("No automatic fix", "None")), section
