from __future__ import annotations

from textwrap import dedent

from codemods.remove_loaddata import (
    ALONE_IN_SERVICE,
    CONTINUED,
    NOT_MANAGE,
    OR_CHAIN,
    QUOTED_ALONE,
    Result,
    transform,
)


def check(before: str, after: str, **kwargs) -> Result:
    """`before` becomes exactly `after`, and a second run changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, **kwargs)
    assert result.code == after
    again = transform(result.code, **kwargs)
    assert again.code == after
    assert again.removed == []
    return result


def unchanged(source: str, **kwargs) -> Result:
    result = check(source, source, **kwargs)
    assert result.removed == []
    return result


# -- nothing to remove ---------------------------------------------------------------------------


def test_no_loaddata():
    result = unchanged("python manage.py migrate\n")
    assert result.left == []


def test_loaddata_in_a_comment_or_echo_is_not_a_command():
    result = unchanged("echo loaddata\n")
    assert result.left == [(1, "echo loaddata", NOT_MANAGE)]


def test_fixture_not_embedded_stays():
    result = unchanged(
        "python manage.py loaddata users\n", embedded=lambda names: "fixture users was not read"
    )
    assert result.left == [(1, "python manage.py loaddata users", "fixture users was not read")]


def test_unknown_option_stays():
    result = unchanged("python manage.py loaddata --app shop categories\n")
    assert result.left == [
        (
            1,
            "python manage.py loaddata --app shop categories",
            "loads with the option --app, which djfix does not understand",
        )
    ]


def test_after_or_stays():
    result = unchanged("python manage.py migrate || python manage.py loaddata x\n")
    assert result.left == [(1, "python manage.py loaddata x", OR_CHAIN)]


def test_in_a_pipe_stays():
    result = unchanged("python manage.py loaddata x | tee log\n")
    assert result.left == [(1, "python manage.py loaddata x", OR_CHAIN)]


def test_continued_line_stays():
    result = unchanged(
        """\
        python manage.py migrate && \\
            python manage.py loaddata x
        """
    )
    assert result.left == [(2, "python manage.py loaddata x", CONTINUED)]


def test_compose_command_of_only_loaddata_stays():
    result = unchanged(
        """\
        services:
          seed:
            command: python manage.py loaddata x
        """
    )
    assert result.left == [(3, "python manage.py loaddata x", ALONE_IN_SERVICE)]


def test_only_command_of_sh_c_stays():
    result = unchanged("web: sh -c 'python manage.py loaddata x'\n")
    assert result.left == [(1, "python manage.py loaddata x", QUOTED_ALONE)]


def test_lines_not_asked_for_stay():
    unchanged("python manage.py loaddata x\n", lines={2})


# -- removals ------------------------------------------------------------------------------------


def test_middle_of_an_and_chain():
    result = check(
        """\
        #!/bin/sh
        set -e

        python manage.py migrate && python manage.py loaddata initial_categories && exec gunicorn w
        """,
        """\
        #!/bin/sh
        set -e

        python manage.py migrate && exec gunicorn w
        """,
    )
    assert result.removed == [(4, "python manage.py loaddata initial_categories")]
    assert result.left == []


def test_end_of_an_and_chain_keeps_the_comment():
    check(
        "python manage.py migrate && ./manage.py loaddata a b  # seed\n",
        "python manage.py migrate  # seed\n",
    )


def test_start_of_a_semicolon_list():
    check(
        "python manage.py loaddata -v 0 x; gunicorn app.wsgi\n",
        "gunicorn app.wsgi\n",
    )


def test_inside_sh_c_in_a_procfile():
    check(
        'web: sh -c "python manage.py migrate && python manage.py loaddata x && gunicorn w"\n',
        'web: sh -c "python manage.py migrate && gunicorn w"\n',
    )


def test_makefile_recipe_line():
    check(
        """\
        seed:
        \tpython manage.py loaddata statuses
        \t@echo seeded
        """,
        """\
        seed:
        \t@echo seeded
        """,
    )


def test_procfile_release_process():
    check(
        "release: python manage.py loaddata statuses\nweb: gunicorn w\n",
        "web: gunicorn w\n",
    )


def test_ci_script_item_keeps_indentation_and_crlf():
    check(
        "script:\r\n  - python manage.py loaddata x\r\n  - pytest\r\n",
        "script:\r\n  - pytest\r\n",
    )


def test_compose_command_keeps_the_rest():
    check(
        """\
        services:
          web:
            command: sh -c "python manage.py migrate && python manage.py loaddata x && gunicorn w"
        """,
        """\
        services:
          web:
            command: sh -c "python manage.py migrate && gunicorn w"
        """,
    )


def test_django_admin_and_settings_option():
    check(
        "django-admin loaddata --settings=a.b x && run\n",
        "run\n",
    )
