"""Which branch of a settings `if` runs only in CI or only while tests run, read from its test
without running it: item 5 does not take a CI database's password for a production secret.

A CI test is a read of a variable only CI services set (`os.environ.get("GITHUB_ACTIONS")`,
`env("CI", default=None)`, `os.environ["GITLAB_CI"]`, `"TRAVIS" in os.environ`, compared with a
value or not), and a test run is `"test" in sys.argv`, `sys.argv[1] == "test"` or `"pytest" in
sys.modules`. `not` swaps the branches, `and` with one such test keeps the body to CI, `or`
only when every operand is one. Anything else (`if DEBUG:`, `if CI or DEBUG:`) runs anywhere.
"""

from __future__ import annotations

import ast

#: variables that CI services set and deployments do not
CI_VARIABLES = frozenset(
    {
        "CI",
        "CONTINUOUS_INTEGRATION",
        "GITHUB_ACTIONS",
        "GITHUB_WORKFLOW",
        "GITHUB_RUN_ID",
        "GITLAB_CI",
        "TRAVIS",
        "CIRCLECI",
        "JENKINS_URL",
        "BUILDKITE",
        "TF_BUILD",
        "BITBUCKET_BUILD_NUMBER",
        "DRONE",
        "TEAMCITY_VERSION",
        "CODEBUILD_BUILD_ID",
        "APPVEYOR",
        "SEMAPHORE",
        "WOODPECKER_CI",
    }
)
_TEST_COMMANDS = frozenset({"test", "pytest"})


def _ci_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in CI_VARIABLES


def _is_sys(node: ast.AST, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    )


def _ci_read(node: ast.AST) -> bool:
    """A read of a CI variable, maybe cast or changed by a method (`.lower()`, `bool(...)`)."""
    if isinstance(node, ast.Call):
        if node.args and _ci_name(node.args[0]):
            return True  # os.environ.get("CI"), os.getenv("CI"), env.bool("CI"), config("CI")
        if isinstance(node.func, ast.Attribute):
            return _ci_read(node.func.value)  # os.environ.get("CI", "").lower()
        return len(node.args) == 1 and _ci_read(node.args[0])  # bool(os.environ.get("CI"))
    if isinstance(node, ast.Subscript):
        return _ci_name(node.slice)  # os.environ["CI"]
    return False


def _test_run(node: ast.Compare) -> bool:
    """`"test" in sys.argv`, `sys.argv[1] == "test"`, `"pytest" in sys.modules`."""
    left, right = node.left, node.comparators[0]
    if isinstance(node.ops[0], ast.In):
        return (
            isinstance(left, ast.Constant)
            and left.value in _TEST_COMMANDS
            and (_is_sys(right, "argv") or _is_sys(right, "modules"))
        )
    if isinstance(node.ops[0], ast.Eq):
        for one, other in ((left, right), (right, left)):
            if (
                isinstance(one, ast.Subscript)
                and _is_sys(one.value, "argv")
                and isinstance(other, ast.Constant)
                and other.value in _TEST_COMMANDS
            ):
                return True
    return False


def _only_ci(test: ast.AST, depth: int = 0) -> bool | None:
    """True: the test holds only in CI or a test run; False: it never holds there (`not CI`);
    None: it says nothing about it."""
    if depth > 20:
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _only_ci(test.operand, depth + 1)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [_only_ci(v, depth + 1) for v in test.values]
        if isinstance(test.op, ast.And):
            return True if True in parts else None
        return True if all(p is True for p in parts) else None
    if _ci_read(test):
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if _test_run(test):
            return True
        if isinstance(test.ops[0], ast.In) and _ci_name(test.left):
            return True  # "CI" in os.environ
        if isinstance(test.ops[0], (ast.Eq, ast.In)) and _ci_read(test.left):
            return True  # os.environ.get("CI") == "true"
    return None


def ci_only_branch(test: ast.expr) -> str | None:
    """ "body" when the body of `if test:` runs only in CI or in a test run, "orelse" when its
    else branch does (`if not os.environ.get("CI"):`), None when either may run in a
    deployment."""
    only = _only_ci(test)
    if only is None:
        return None
    return "body" if only else "orelse"
