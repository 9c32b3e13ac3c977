"""The architecture rules of CONVENTIONS.md, read from the source (nothing is imported).

The first tests hold the repository to the rules; each failure names the modules and lines to
change. The rest prove each rule on a small planted tree: a rule that can never fail is no test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_tree
from tests.import_graph import ImportGraph, layer_name, missing_item_tests, report

ROOT = Path(__file__).resolve().parent.parent


def cycle_problems(graph: ImportGraph) -> list[str]:
    return graph.cycle_report()


def private_name_problems(graph: ImportGraph) -> list[str]:
    return [f"{use.where}: {use.module} uses {use.target}.{use.name}" for use in graph.private_uses]


def unlayered_problems(graph: ImportGraph) -> list[str]:
    return [f"{module.name} ({module.rel}): add it to a layer" for module in graph.unlayered()]


def upward_problems(graph: ImportGraph) -> list[str]:
    return [
        f"{imp.where}: {imp.importer} (layer {layer_name(low)}) imports {imp.target}"
        f" (layer {layer_name(high)}), a higher layer"
        + (" (in a function)" if imp.in_function else "")
        for imp, low, high in graph.upward_imports()
    ]


def function_import_problems(graph: ImportGraph) -> list[str]:
    return [f"{f.where}: {f.statement}" for f in graph.unmarked_function_imports()]


def fail_on(problems: list[str], what: str, advice: str) -> None:
    if problems:
        pytest.fail(f"{len(problems)} {what} ({advice}):\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return ImportGraph.build(ROOT)


# -- the repository ------------------------------------------------------------------------------


def test_no_import_cycles(graph):
    fail_on(
        cycle_problems(graph),
        "groups of modules that import each other",
        "an import inside a function counts: move what both sides need one layer down",
    )


def test_no_private_name_of_another_module(graph):
    fail_on(
        private_name_problems(graph),
        "private names used across modules",
        "make the name public (drop the underscore) or keep its use in its own module",
    )


def test_every_checklist_item_has_its_test_module():
    fail_on(
        missing_item_tests(ROOT),
        "checklist items without their tests",
        "item N's detector is fixer/checks/itemNN_<topic>.py, its tests"
        " tests/checks/test_itemNN_<topic>.py",
    )


def test_every_module_is_in_a_layer(graph):
    fail_on(
        unlayered_problems(graph),
        "modules in no layer",
        "add each to a layer in LAYERS (tests/import_graph.py, the README's Architecture table)"
        " or move it into a package that has one",
    )


def test_imports_point_down_the_layers(graph):
    fail_on(
        upward_problems(graph),
        "imports up the layers",
        "a module imports only from its own layer or below",
    )


def test_imports_in_functions_say_they_are_lazy(graph):
    fail_on(
        function_import_problems(graph),
        "imports inside functions without a comment saying they are lazy",
        "move each to the top of its module; one that loads a heavy optional dependency"
        " lazily says so in a comment on its line or the line before",
    )


# -- the rules on planted trees ------------------------------------------------------------------


def clean_tree(root: Path, extra: dict[str, str] | None = None) -> Path:
    """A tree that keeps every rule: one module per layer it needs, every item tested."""
    files = {
        "fixer/__init__.py": '__version__ = "1"\n',
        "fixer/errors.py": "class DjfixError(Exception):\n    pass\n",
        "fixer/findings.py": "from fixer.errors import DjfixError\n",
        "fixer/project.py": "from fixer import errors\nfrom . import findings\n",
        "fixer/fix_context.py": "from fixer.project import findings\n",
        "fixer/checks/__init__.py": "",
        "fixer/checks/item01_topic_fix.py": "from fixer.fix_context import findings\n",
        "fixer/cli.py": (
            "from fixer.checks import item01_topic\n\n\n"
            "def main():\n"
            "    import json  # lazy: only --json needs it (the test says why)\n"
            "    # loaded lazily, it is heavy\n"
            "    import yaml\n"
            "    return item01_topic, json, yaml\n"
        ),
        "codemods/__init__.py": "",
        "codemods/thing.py": (
            "from typing import TYPE_CHECKING\n\n"
            "from fixer.project import DjfixError\n\n"
            "if TYPE_CHECKING:\n"
            "    from fixer.checks import item01_topic\n"
        ),
    }
    for item in range(1, 14):
        files[f"fixer/checks/item{item:02d}_topic.py"] = (
            "from fixer.checks import item01_topic_fix\nfrom codemods import thing\n"
        )
        files[f"tests/checks/test_item{item:02d}_topic.py"] = ""
    files.update(extra or {})
    return write_tree(root, files)


def test_a_clean_tree_breaks_no_rule(tmp_path):
    root = clean_tree(tmp_path)
    graph = ImportGraph.build(root)
    assert len(graph.modules) == 23
    assert cycle_problems(graph) == []
    assert private_name_problems(graph) == []
    assert missing_item_tests(root) == []
    assert unlayered_problems(graph) == []
    assert upward_problems(graph) == []
    assert function_import_problems(graph) == []


def test_a_type_checking_import_is_no_cycle(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/errors.py": (
                "import typing\n\n"
                "if typing.TYPE_CHECKING:\n"
                "    from fixer.findings import Finding\n"
                "else:\n"
                "    Finding = None\n"
            )
        },
    )
    assert cycle_problems(ImportGraph.build(root)) == []


def test_cycle_through_an_import_in_a_function(tmp_path):
    root = clean_tree(
        tmp_path,
        {"fixer/errors.py": "def later():\n    # lazy\n    from fixer.findings import A, B\n"},
    )
    assert cycle_problems(ImportGraph.build(root)) == [
        "2 modules import each other: fixer.errors -> fixer.findings -> fixer.errors\n"
        "    fixer/errors.py:3 imports fixer.findings (in a function)\n"
        "    fixer/findings.py:1 imports fixer.errors"
    ]


def test_cycle_through_relative_and_package_imports(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/checks/__init__.py": "from . import item02_topic\n",
            "fixer/checks/item02_topic.py": "from .. import checks\n",
        },
    )
    (problem,) = cycle_problems(ImportGraph.build(root))
    assert "fixer/checks/__init__.py:1 imports fixer.checks.item02_topic" in problem
    assert "fixer/checks/item02_topic.py:1 imports fixer.checks" in problem


def test_private_name_imported_from_another_module(tmp_path):
    root = clean_tree(
        tmp_path, {"fixer/findings.py": "from fixer.errors import _hidden, __all__\n"}
    )
    assert private_name_problems(ImportGraph.build(root)) == [
        "fixer/findings.py:1: fixer.findings uses fixer.errors._hidden"
    ]


def test_private_attribute_of_an_imported_module(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/project.py": (
                "import fixer.errors\n"
                "import fixer.errors as errs\n"
                "from fixer import errors\n\n"
                "print(errors.__name__, errors.public)\n"
                "print(errors._one)\n"
                "print(errs._two, fixer.errors._three)\n\n\n"
                "def f():\n"
                "    from fixer import findings  # lazy\n\n"
                "    return findings._four\n"
            )
        },
    )
    found = private_name_problems(ImportGraph.build(root))
    assert found == [
        "fixer/project.py:6: fixer.project uses fixer.errors._one",
        "fixer/project.py:7: fixer.project uses fixer.errors._two",
        "fixer/project.py:7: fixer.project uses fixer.errors._three",
        "fixer/project.py:13: fixer.project uses fixer.findings._four",
    ]


def test_item_without_its_test_module(tmp_path):
    root = clean_tree(tmp_path)
    (root / "tests/checks/test_item07_topic.py").unlink()
    (root / "fixer/checks/item09_topic.py").rename(root / "fixer/checks/item09_renamed.py")
    (root / "fixer/checks/item12_topic.py").unlink()
    assert missing_item_tests(root) == [
        "item 7: fixer/checks/item07_topic.py has no tests/checks/test_item07_topic.py",
        "item 9: fixer/checks/item09_renamed.py has no tests/checks/test_item09_renamed.py",
        "item 12: no check module fixer/checks/item12_<topic>.py",
    ]


def test_module_in_no_layer(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/container.py": "",
            "fixer/verify_more.py": "",  # not below fixer.verify: only a package has modules
            # a module split into a package keeps its layer, and a layer's package its modules
            "fixer/project/__init__.py": "from fixer import errors\n",
            "fixer/project/settings.py": "",
            "fixer/fixes/__init__.py": "",
            "fixer/fixes/item01_topic.py": "",
            "codemods/helpers/cst.py": "",
        },
    )
    (root / "fixer/project.py").unlink()
    graph = ImportGraph.build(root)
    assert unlayered_problems(graph) == [
        "fixer.container (fixer/container.py): add it to a layer",
        "fixer.verify_more (fixer/verify_more.py): add it to a layer",
    ]
    assert [graph.layer_of(m) for m in ("fixer.project.settings", "codemods.helpers.cst")] == [2, 4]


def test_import_up_the_layers(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "codemods/thing.py": "from fixer.project import DjfixError\n",
            "fixer/project.py": (
                "from fixer import errors\n\n\n"
                "def plan():\n"
                "    # lazy\n"
                "    from fixer.checks.item03_topic import fix\n"
            ),
            "fixer/findings.py": "import fixer.cli\n",
        },
    )
    assert upward_problems(ImportGraph.build(root)) == [
        "fixer/findings.py:1: fixer.findings (layer 0 vocabulary) imports fixer.cli"
        " (layer 10 interface), a higher layer",
        "fixer/project.py:6: fixer.project (layer 2 discovery) imports"
        " fixer.checks.item03_topic (layer 7 checks), a higher layer (in a function)",
    ]


def test_import_in_a_function_without_a_lazy_comment(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/cli.py": (
                "def main():\n"
                "    # the lazy comment must touch the import: this one is too far\n\n"
                "    import json\n"
                '    text = "lazy"; import csv\n'
                "    from fixer import (  # lazy, a long import\n"
                "        errors,\n"
                "    )\n"
                "    return json, csv, errors\n"
            )
        },
    )
    found = function_import_problems(ImportGraph.build(root))
    assert found == ["fixer/cli.py:4: import json", 'fixer/cli.py:5: text = "lazy"; import csv']


def test_the_figures_name_what_breaks_the_rules(tmp_path):
    root = clean_tree(
        tmp_path,
        {
            "fixer/errors.py": "def later():\n    from fixer.findings import _x\n",
            "fixer/stray.py": "x = 1\n" * 901,
        },
    )
    figures = report(root)
    assert (
        "cycles: 1 groups, 2 modules in them (0 groups counting module-level imports only)\n"
    ) in figures
    assert "  fixer.errors fixer.findings\n" in figures
    assert (
        "private names used across modules: 1\n  fixer/errors.py:2 fixer.findings._x\n" in figures
    )
    assert "modules in no layer: 1\n  fixer.stray (901 lines)\n" in figures
    assert "1 without a lazy comment\n    1 fixer.errors\n" in figures
    assert "modules over 900 lines: 1\nlargest: fixer.stray 901," in figures


def test_rule_codes_are_the_declared_rules() -> None:
    """fixer.rule_codes names every declared rule's code by the rule's name, and nothing else:
    code that refers to a rule uses the constant, so a renumbered rule cannot leave a stale
    string behind."""
    from fixer import rule_codes
    from fixer.checks import all_rules

    declared = {r.name.upper().replace("-", "_"): r.code for r in all_rules()}
    constants = {name: value for name, value in vars(rule_codes).items() if name.isupper()}
    assert constants == declared
