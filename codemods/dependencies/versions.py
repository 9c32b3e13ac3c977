"""Versions known to support a project's Django and Python, and the hashes of their files.

`packages_for(names, django_version=..., python_version=...)` picks, for each package, a
version known to support the project's Django and Python. When the Python is unknown, the pick
must install on every Python 3 the project's Django supports: the oldest one decides (a
package's Requires-Python is a floor, so what installs there installs on the newer ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codemods.dependencies.requirement import Package, base_name, normalise
from fixer.python_support import django_pythons

# Versions known to support a project's Django and Python.
#
# Sources: each pin below exists on PyPI (`pip index versions NAME`), and its wheel's METADATA
# (`pip download --no-deps NAME==X`) was read for Requires-Python, Requires-Dist and the
# "Framework :: Django :: X" / "Programming Language :: Python :: X" classifiers:
#
# django-environ  0.4.5   no Requires-Python; Django 1.8-2.0; Python 2.7, 3.4, 3.5
#                 0.10.0  Requires-Python >=3.5,<4; Django 1.11-4.1
#                 0.11.2  Requires-Python >=3.6,<4; Django 1.11-4.2; Python 3.6-3.11
#                 0.12.1  Requires-Python >=3.9,<4; Django 2.2-5.1; Python 3.9-3.13
#                 0.13.0  Requires-Python >=3.9,<4; Django 2.2-6.0; Python 3.9-3.14
#                 (0.12 dropped the Django 1.11 classifier, and the package declares no
#                 Django requirement, so the Django < 2.2 rows carry an upper bound.)
# django-redis    4.8.0   Django 1.8-1.11; no Django requirement, hence the upper bound
#                 4.10.0  Requires-Dist Django>=1.11; Django 1.11-2.1; Python 2.7, 3.4-3.7
#                 4.12.1  Requires-Dist Django>=2.2; Requires-Python >=3.5; Django 2.2, 3.0
#                 5.4.0   Requires-Dist Django>=3.2; Requires-Python >=3.6; Django 3.2-4.2
# gunicorn        19.10.0 Requires-Python >=2.6,!=3.0.*,!=3.1.* (the last release for Python 2)
#                 20.1.0  Requires-Python >=3.5, but imports pkg_resources at start and the
#                         generated image uninstalls setuptools: not picked
#                 21.2.0  Requires-Python >=3.5; Requires-Dist packaging, importlib-metadata
#                         (Python < 3.8); no pkg_resources (22.0 requires >=3.7)
#                 23.0.0  Requires-Python >=3.7; Python 3.7-3.12
# uvicorn         0.16.0  no Requires-Python; Python 3.6-3.10 (0.17.0 was yanked for lacking
#                         one, and dropped 3.6)
#                 0.22.0  Requires-Python >=3.7 (0.23.0 requires >=3.8)
#                 0.33.0  Requires-Python >=3.8 (0.34.0 requires >=3.9)
#                 0.34.0  Requires-Python >=3.9
# daphne          2.5.0   no Requires-Python; Python 3.5-3.8
#                 3.0.2   Requires-Python >=3.6
#                 4.1.2   Requires-Python >=3.8
#                 4.2.3   Requires-Python >=3.9
#
# The database drivers (fixer.analysis.database_driver) must also have a wheel for the image's
# Python, which can be newer than the one the pin is chosen for: the CPython versions with a
# manylinux wheel (x86_64 and aarch64 alike unless said) were read from the index with
# `pip install --dry-run --only-binary=:all: --python-version X --platform manylinux...`:
#
# psycopg2-binary 2.7.7   wheels 3.4-3.7 (x86_64 only)
#                 2.8.6   wheels 3.5-3.9 (x86_64 only); the last before 2.9, whose tzinfo_factory
#                         offsets (timedelta, no longer int) Django < 3.1 rejects: "database
#                         connection isn't set to UTC" (Django 3.1 stopped checking them)
#                 2.9.5   Requires-Python >=3.6; wheels 3.6-3.11 (the last with 3.6 wheels:
#                         2.9.6-2.9.8 publish none, so pip would build their sdist)
#                 2.9.9   Requires-Python >=3.7; wheels 3.7-3.12
#                 2.9.10  Requires-Python >=3.8; wheels 3.8-3.13
#                 2.9.11  Requires-Python >=3.9; wheels 3.9-3.14
# psycopg         3.2.13  Requires-Python >=3.8; psycopg-binary 3.2.13 wheels 3.8-3.14
#                 3.3.9   Requires-Python >=3.10; psycopg-binary 3.3.9 wheels 3.10-3.14
#                 (Django supports psycopg 3 from Django 4.2, and wants 3.1.8 or later)
# mysqlclient     sdist only: built against bookworm's MariaDB Connector/C 3.3 (libmariadb-dev)
#                 1.4.6   no Requires-Python; built on 3.7 and 3.9; the 1.x line Django < 2.2 knew
#                 2.1.1   Requires-Python >=3.5; built on 3.6 and 3.10
#                 2.2.7   Requires-Python >=3.8; built on 3.8 and 3.13
#                 2.3.2   Requires-Python >=3.10; built on 3.12 (Django 6.0 wants 2.2.1 or later)


#: sha256 of every file PyPI serves for a pin of the table above (from the simple index, whose
#: links carry them as #sha256=...), for hash-pinned requirements files. Only packages that
#: install nothing else: pip's hash mode also wants every dependency pinned with its hashes.
HASHES: dict[tuple[str, str], tuple[str, ...]] = {
    ("django-environ", "0.4.5"): (
        "c57b3c11ec1f319d9474e3e5a79134f40174b17c7cc024bbb2fad84646b120c4",  # wheel
        "6c9d87660142608f63ec7d5ce5564c49b603ea8ff25da595fd6098f6dc82afde",  # sdist
    ),
    ("django-environ", "0.10.0"): (
        "510f8c9c1d0a38b0815f91504270c29440a0cf44fab07f55942fa8d31bbb9be6",
        "b3559a91439c9d774a9e0c1ced872364772c612cdf6dc919506a2b13f7a77225",
    ),
    ("django-environ", "0.11.2"): (
        "0ff95ab4344bfeff693836aa978e6840abef2e2f1145adff7735892711590c05",
        "f32a87aa0899894c27d4e1776fa6b477e8164ed7f6b3e410a62a6d72caaf64be",
    ),
    ("django-environ", "0.12.1"): (
        "064ba2d5082f833e6d7fe4def4928bde1eedc0248a417575da7db147aeec1c20",
        "22859c6e905ab7637fa3348d1787543bb4492f38d761104a3ce0519b7b752845",
    ),
    ("django-environ", "0.13.0"): (
        "37799d14cd78222c6fd8298e48bfe17965ff8e586091ad66a463e52e0e7b799e",
        "6c401e4c219442c2c4588c2116d5292b5484a6f69163ed09cd41f3943bfb645f",
    ),
}


@dataclass(frozen=True)
class _Release:
    pin: str
    floor: str
    django_below: tuple[int, int] | None = None  # row applies when Django is older than this
    python_below: tuple[int, int] | None = None  # row applies when Python is older than this


#: first matching row wins; a row without a condition is the default for recent versions
_RELEASES: dict[str, tuple[_Release, ...]] = {
    "django-environ": (
        _Release("0.4.5", ">=0.4.5,<0.5", django_below=(1, 11)),
        _Release("0.4.5", ">=0.4.5,<0.5", python_below=(3, 5)),
        _Release("0.10.0", ">=0.10", python_below=(3, 6)),
        _Release("0.11.2", ">=0.11,<0.12", django_below=(2, 2)),
        _Release("0.11.2", ">=0.11", python_below=(3, 9)),
        _Release("0.11.2", ">=0.11", django_below=(5, 0)),
        _Release("0.12.1", ">=0.12", django_below=(5, 2)),
        _Release("0.13.0", ">=0.13"),
    ),
    "django-redis": (
        _Release("4.8.0", ">=4.8,<4.9", django_below=(1, 11)),
        _Release("4.10.0", ">=4.10", django_below=(2, 2)),
        _Release("4.12.1", ">=4.12", django_below=(3, 2)),
        _Release("5.4.0", ">=5.4"),
    ),
    "gunicorn": (
        _Release("19.10.0", ">=19.10,<20", python_below=(3, 5)),
        _Release("21.2.0", ">=21.2", python_below=(3, 7)),
        _Release("23.0.0", ">=23.0"),
    ),
    "uvicorn": (
        _Release("0.16.0", ">=0.16,<0.17", python_below=(3, 7)),
        _Release("0.22.0", ">=0.22", python_below=(3, 8)),
        _Release("0.33.0", ">=0.33", python_below=(3, 9)),
        _Release("0.34.0", ">=0.34"),
    ),
    "daphne": (
        _Release("2.5.0", ">=2.5,<2.6", python_below=(3, 6)),
        _Release("3.0.2", ">=3.0", python_below=(3, 8)),
        _Release("4.1.2", ">=4.1", python_below=(3, 9)),
        _Release("4.2.3", ">=4.2"),
    ),
    "psycopg2-binary": (
        _Release("2.7.7", ">=2.7,<2.8", python_below=(3, 5)),
        _Release("2.8.6", ">=2.8,<2.9", django_below=(3, 1)),
        _Release("2.9.5", ">=2.9,<2.9.6", python_below=(3, 7)),
        _Release("2.9.9", ">=2.9", python_below=(3, 8)),
        _Release("2.9.10", ">=2.9", python_below=(3, 9)),
        _Release("2.9.11", ">=2.9"),
    ),
    "psycopg": (
        _Release("3.2.13", ">=3.2", python_below=(3, 10)),
        _Release("3.3.9", ">=3.3"),
    ),
    "mysqlclient": (
        _Release("1.4.6", ">=1.4,<1.5", django_below=(2, 2)),
        _Release("1.4.6", ">=1.4,<1.5", python_below=(3, 5)),
        _Release("2.1.1", ">=2.1,<2.2", python_below=(3, 8)),
        _Release("2.2.7", ">=2.2", python_below=(3, 10)),
        _Release("2.3.2", ">=2.2"),
    ),
}


def oldest_python(django_version: tuple[int, int] | None) -> tuple[int, int] | None:
    """The oldest Python 3 the Django version supports (fixer.python_support's table); None
    for an unknown Django. A Django older than the table ran on Python 3.4 at best."""
    if django_version is None:
        return None
    supported = django_pythons(django_version)
    return supported.oldest if supported is not None else (3, 4)


def packages_for(
    names: list[str],
    *,
    django_version: tuple[int, int] | None,
    python_version: str | None,
) -> list[Package]:
    """One `Package` per name, with versions that support the given Django and Python.

    An unknown Python (None) is taken to be the oldest the Django supports, so the pins install
    on whichever the project runs; an unknown Django is taken to be a recent one. A package
    missing from the table gets an empty floor and pin, which every style writes as the bare
    name (or `"*"`).
    """
    python = _version_tuple(python_version) or oldest_python(django_version)
    out: list[Package] = []
    for name in names:
        rows = _RELEASES.get(normalise(base_name(name)), ())
        chosen = next((row for row in rows if _applies(row, django_version, python)), None)
        out.append(Package(name, chosen.floor, chosen.pin) if chosen else Package(name, "", ""))
    return out


def _applies(row: _Release, django: tuple[int, int] | None, python: tuple[int, int] | None) -> bool:
    if row.django_below is not None:
        return django is not None and django < row.django_below
    if row.python_below is not None:
        return python is not None and python < row.python_below
    return True


def _version_tuple(text: str | None) -> tuple[int, int] | None:
    m = re.search(r"(\d+)(?:\.(\d+))?", text or "")
    return (int(m.group(1)), int(m.group(2) or 0)) if m else None
