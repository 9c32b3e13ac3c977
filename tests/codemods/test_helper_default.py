from __future__ import annotations

import ast
from textwrap import dedent

import libcst as cst

from codemods.helper_default import Parameter, transform

DEFAULT = Parameter("default", 1)


def check(before: str, after: str, parameter: Parameter = DEFAULT, text: str = "False") -> None:
    """`before` becomes exactly `after`; the output parses and a second run changes nothing."""
    before, after = dedent(before), dedent(after)
    code = transform(before, "DEBUG", "envbool", parameter, text)
    assert code == after
    cst.parse_module(code)
    ast.parse(code)
    assert transform(code, "DEBUG", "envbool", parameter, text) == code


def unchanged(source: str, parameter: Parameter = DEFAULT) -> None:
    source = dedent(source)
    assert transform(source, "DEBUG", "envbool", parameter, "False") == source


# -- nothing to change ---------------------------------------------------------------------------


def test_already_off() -> None:
    unchanged('DEBUG = envbool("DEBUG", "False")\n')


def test_default_is_not_a_literal() -> None:
    # a name or an f-string is the author's computation, not a literal to swap
    unchanged('DEBUG = envbool("DEBUG", DEFAULT_DEBUG)\n')
    unchanged('DEBUG = envbool("DEBUG", f"{ON}")\n')


def test_last_assignment_is_another_read() -> None:
    # the assignment that wins at import is not a call to the reader
    unchanged(
        """\
        DEBUG = envbool("DEBUG", "True")
        DEBUG = False
        """
    )


def test_read_inside_a_block_is_left() -> None:
    unchanged(
        """\
        if LOCAL:
            DEBUG = envbool("DEBUG", "True")
        """
    )


def test_positional_only_parameter_cannot_be_added() -> None:
    unchanged('DEBUG = envbool("DEBUG")\n', Parameter("default", 1, keyword=False))


# -- rewrites ------------------------------------------------------------------------------------


def test_positional_default_keeps_its_quotes_and_comment() -> None:
    check(
        """\
        SECRET_KEY = envsecret('SECRET_KEY', '---')
        DEBUG = envbool('DEBUG', 'True')  # off in production
        """,
        """\
        SECRET_KEY = envsecret('SECRET_KEY', '---')
        DEBUG = envbool('DEBUG', 'False')  # off in production
        """,
    )


def test_keyword_default() -> None:
    check(
        """\
        DEBUG = envbool(
            "DEBUG",
            default="True",
        )
        """,
        """\
        DEBUG = envbool(
            "DEBUG",
            default="False",
        )
        """,
    )


def test_missing_default_is_added_by_keyword() -> None:
    check(
        """\
        DEBUG: bool = envbool("DEBUG")
        """,
        """\
        DEBUG: bool = envbool("DEBUG", default="False")
        """,
    )


def test_reader_named_through_its_module() -> None:
    check(
        """\
        from mysite import envtools

        DEBUG = envtools.envbool("DEBUG", "True")
        """,
        """\
        from mysite import envtools

        DEBUG = envtools.envbool("DEBUG", "False")
        """,
    )


def test_a_default_returned_as_passed_becomes_the_python_value() -> None:
    # `if v is None: return default`: the reader returns its default unparsed, so the default
    # off is False itself ("False" would be a non-empty, true string)
    check('DEBUG = envbool("DEBUG", True)\n', 'DEBUG = envbool("DEBUG", False)\n', text=False)
    check('DEBUG = envbool("DEBUG")\n', 'DEBUG = envbool("DEBUG", default=False)\n', text=False)
    # a string there is not the Python value the reader returns: the author's to change
    before = 'DEBUG = envbool("DEBUG", "True")\n'
    assert transform(before, "DEBUG", "envbool", DEFAULT, False) == before
