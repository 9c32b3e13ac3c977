"""The Pythons each Django release supports (fixer.python_support)."""

from __future__ import annotations

import pytest

from fixer.python_support import PythonRange, django_pythons, first_release_for

# -- the table -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("django", "python", "supported"),
    [
        # the patch releases that added a Python (Django's release notes)
        ((1, 8, 5), (3, 5), False),
        ((1, 8, 6), (3, 5), True),
        ((1, 11, 16), (3, 7), False),
        ((1, 11, 17), (3, 7), True),
        ((2, 0, 6), (3, 7), False),
        ((2, 0, 7), (3, 7), True),
        ((2, 2, 7), (3, 8), False),
        ((2, 2, 8), (3, 8), True),
        ((2, 2, 16), (3, 9), False),
        ((2, 2, 17), (3, 9), True),
        ((3, 0, 10), (3, 9), False),
        ((3, 0, 11), (3, 9), True),
        ((3, 1, 2), (3, 9), False),
        ((3, 1, 3), (3, 9), True),
        ((3, 2, 8), (3, 10), False),
        ((3, 2, 9), (3, 10), True),
        ((4, 1, 2), (3, 11), False),
        ((4, 1, 3), (3, 11), True),
        ((4, 2, 3), (3, 12), False),
        ((4, 2, 7), (3, 12), False),
        ((4, 2, 8), (3, 12), True),
        ((5, 1, 2), (3, 13), False),
        ((5, 1, 3), (3, 13), True),
        ((5, 2, 7), (3, 14), False),
        ((5, 2, 8), (3, 14), True),
        # a series without its patch is the series as pip installs it: its latest release
        ((4, 2), (3, 12), True),
        ((2, 2), (3, 9), True),
        # the floors, and the ceilings no patch release moved
        ((2, 1, 15), (3, 8), False),
        ((2, 1), (3, 4), False),
        ((4, 0, 10), (3, 11), False),
        ((4, 0), (3, 7), False),
        ((5, 0, 14), (3, 13), False),
        ((5, 0), (3, 9), False),
        ((6, 0, 1), (3, 11), False),
        ((6, 0), (3, 14), True),
    ],
)
def test_django_release_supports_python(django, python, supported):
    assert (python in django_pythons(django)) is supported


def test_unknown_and_out_of_table_djangos():
    assert django_pythons(None) is None
    assert django_pythons((1, 6, 11)) is None
    # newer than the table: the newest series' floor, no known ceiling
    assert django_pythons((7, 1)) == PythonRange((3, 12), None)


def test_first_release_for_a_python():
    assert first_release_for((4, 2), (3, 12)) == 8
    assert first_release_for((4, 2), (3, 11)) == 0
    assert first_release_for((4, 2), (3, 13)) is None
