"""The import additions settings_env makes without LibCST's AddImportsVisitor, the shapes where
that visitor is still asked, `ensure_env`'s early answer, and the shared quote counts: each
output is the one the full passes give."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from codemods.module_level import QuoteCounts, quote_counts
from codemods.settings_env import Plan, ensure_env, transform

ENV_BLOCK = (
    "env = environ.Env()\n"
    "# A local .env is read when there is one (keep it out of git); in production the\n"
    "# settings come from real environment variables.\n"
    "_parents = Path(__file__).resolve().parents\n"
    '_env_file = _parents[min(1, len(_parents) - 1)] / ".env"\n'
    "if _env_file.is_file():\n"
    "    environ.Env.read_env(str(_env_file))\n"
)
READ = 'SECRET_KEY = os.environ["SECRET_KEY"]\n'
CONVERTED = 'SECRET_KEY = env("SECRET_KEY")\n'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            'SECRET_KEY = "abc-very-secret-key-0123456789"\n',
            "import environ\nfrom pathlib import Path\n\n" + ENV_BLOCK + "\n" + CONVERTED,
            id="no-imports",
        ),
        pytest.param(
            '"""Settings."""\nimport os\n# the key\n' + READ,
            '"""Settings."""\nimport environ\nfrom pathlib import Path\n\n'
            + ENV_BLOCK
            + "# the key\n"
            + CONVERTED,
            id="docstring",
        ),
        pytest.param(
            "from pathlib import PurePath\nimport os\n\n" + READ,
            "from pathlib import Path, PurePath\nimport environ\n\n" + ENV_BLOCK + "\n" + CONVERTED,
            id="path-joins-a-pathlib-import",
        ),
        pytest.param(
            '"""Doc."""\nimport os; import sys\n\n' + READ,
            '"""Doc."""\nimport environ\nfrom pathlib import Path\n\nimport sys\n\n'
            + ENV_BLOCK
            + "\n"
            + CONVERTED,
            id="two-imports-on-a-line",
        ),
        pytest.param(
            "import environ\nfrom pathlib import Path\nimport os\n\n" + READ,
            "import environ\nfrom pathlib import Path\n\n" + ENV_BLOCK + "\n" + CONVERTED,
            id="both-present",
        ),
    ],
)
def test_env_imports(before: str, after: str) -> None:
    code = transform(before, Plan()).code
    assert code == after
    ast.parse(code)
    assert transform(code, Plan()).code == code
    assert ensure_env(code, Plan()) == code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            'import os\nimport environ\n\nenv = environ.Env()\nX = env("X")\nPATH = os.sep\n',
            'import os\nimport environ\n\nenv = environ.Env()\nX = env("X")\nPATH = os.sep\n',
            id="bound-os-used",
        ),
        pytest.param(
            'import os\nimport environ\n\nenv = environ.Env()\nX = env("X")\n',
            'import environ\n\nenv = environ.Env()\nX = env("X")\n',
            id="bound-os-unused-is-removed",
        ),
        pytest.param(
            'from environ import Env\n\nenv = Env()\nX = env("X")\n',
            'from environ import Env\n\nenv = Env()\nX = env("X")\n',
            id="bound-from-import",
        ),
        pytest.param(
            'import os\n\nX = env("X")\nPATH = os.sep\n',
            "import os\nimport environ\nfrom pathlib import Path\n\n"
            + ENV_BLOCK
            + '\nX = env("X")\nPATH = os.sep\n',
            id="unbound",
        ),
    ],
)
def test_ensure_env(before: str, after: str) -> None:
    assert ensure_env(before, Plan()) == after
    assert ensure_env(before, Plan()) == after  # the remembered answer
    assert ensure_env(after, Plan()) == after


@pytest.mark.parametrize(
    "source",
    [
        "A = 'a'\nB = \"b\"\nC = '''doc'''\nD = rb'x' b\"y\"\n",
        "X = f\"{d['k']}\" + 'a'\n",
        "X = f'{y}' + \"a\"\n",
        'def f():\n    """Doc."""\n    return u"x"\n',
    ],
)
def test_quote_counts_from_text_match_the_tree(source: str) -> None:
    module = cst.parse_module(source)
    from_tree = quote_counts(module)
    assert quote_counts(module, source) == from_tree
    assert isinstance(from_tree, QuoteCounts)
