"""The codemod base: the imports a pass asks for are made exactly as LibCST's AddImportsVisitor
makes them (every module shape against every set of requests, compared with that visitor), the
removals go through LibCST's RemoveImportsVisitor, and a djfix run loads no LibCST codemod
framework (libcst.matchers: a fifth of a second) unless a removal needs it."""

from __future__ import annotations

import subprocess
import sys

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from codemods.command import Command, Context, ImportRequest, add_imports, drop_import, need_import

MODULES = {
    "empty": "",
    "statement": "x = 1\n",
    "docstring": '"""Settings."""\nimport os\n\nx = 1\n',
    "docstring-only": '"""Settings."""\n',
    "strict-flag": "__strict__ = True\nimport os\nx = 1\n",
    "comment-after-imports": "import os\n# why\nx = 1\n",
    "blank-after-imports": "import os\n\n\nx = 1\n",
    "from-import": "from django.urls import path\n\nurlpatterns = []\n",
    "from-import-parenthesised": "from django.urls import (\n    path,\n)\n\nurlpatterns = []\n",
    "two-from-imports": "from django.urls import path\nfrom django.urls import re_path\nx = 1\n",
    "star": "from django.urls import *\nx = 1\n",
    "aliases": "from a import b as c\nimport json as j\nimport os.path\nx = 1\n",
    "relative": "from . import views\nfrom .models import Shop\nx = 1\n",
    "two-on-a-line": "import os; import sys\nx = 1\n",
    "import-after-code": "x = 1\nfrom django.urls import path\n",
    "import-in-try": "import os\ntry:\n    import json\nexcept ImportError:\n    json = None\n",
    "future": "from __future__ import annotations\nimport os\n",
    "present": "import environ\nfrom pathlib import Path\nimport logging\nx = 1\n",
}
REQUESTS = [
    ImportRequest("environ"),
    ImportRequest("pathlib", "Path"),
    ImportRequest("django.urls", "include"),
    ImportRequest("django.urls", "path"),
    ImportRequest("common.views", "health", "djfix_health"),
    ImportRequest("django.db.utils", "OperationalError"),
    ImportRequest("django.db.utils", "ProgrammingError"),
    ImportRequest("logging"),
    ImportRequest("os", "path"),
    ImportRequest("a", "b", "c"),
    ImportRequest("json", None, "j"),
    ImportRequest("__future__", "annotations"),
    ImportRequest("os"),
]


def _libcst(source: str, requests: list[ImportRequest]) -> str:
    items = [ImportItem(*r) for r in requests]
    return (
        AddImportsVisitor(CodemodContext(), items).transform_module(cst.parse_module(source)).code
    )


def _request_sets() -> list[list[ImportRequest]]:
    # a few sets, as LibCST's visitor takes 40 ms a module (every pair of requests on every
    # module, 1,700 comparisons, passed when this was written)
    half = len(REQUESTS) // 2
    return [REQUESTS, REQUESTS[::-1], REQUESTS[:half], REQUESTS[half:], REQUESTS[1::3]]


@pytest.mark.parametrize("name", list(MODULES))
def test_additions_are_libcsts(name: str) -> None:
    source = MODULES[name]
    for requests in _request_sets():
        expected = _libcst(source, requests)
        assert add_imports(cst.parse_module(source), requests).code == expected, requests


def test_a_future_import_without_a_name_is_refused_as_by_libcst() -> None:
    with pytest.raises(ValueError):
        add_imports(cst.parse_module("x = 1\n"), [ImportRequest("__future__")])
    with pytest.raises(ValueError):
        _libcst("x = 1\n", [ImportRequest("__future__")])


class _Uses(Command):
    """Asks for an import, and for one to go."""

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        need_import(self.context, "django.urls", "include")
        drop_import(self.context, "os")
        return updated


class _LibcstUses(VisitorBasedCodemodCommand):
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        AddImportsVisitor.add_needed_import(self.context, "django.urls", "include")
        RemoveImportsVisitor.remove_unused_import(self.context, "os")
        return updated


@pytest.mark.parametrize("context", [Context, CodemodContext])
def test_a_command_makes_and_removes_the_imports_its_pass_asks_for(context: type) -> None:
    source = "import os\nfrom django.urls import path\n\nurlpatterns = [path('', v)]\n"
    new = _Uses(context()).transform_module(cst.parse_module(source))
    expected = _LibcstUses(CodemodContext()).transform_module(cst.parse_module(source))
    assert new.code == expected.code
    assert new.code == "from django.urls import include, path\n\nurlpatterns = [path('', v)]\n"


def test_an_apply_loads_no_codemod_framework() -> None:
    # every fix plan and codemod, as `apply --repos` loads them before it forks its workers
    code = (
        "import sys\n"
        "import fixer.apply\n"
        "fixer.apply.preload()\n"
        "print([m for m in sys.modules if m.startswith(('libcst.codemod', 'libcst.matchers'))])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
