"""Which Python 3 versions each Django release supports, at patch granularity: the one table the
generated Dockerfile's base image and `djfix verify --install`'s interpreter are chosen from.

Sources: Django's release notes and its installation FAQ ("What Python version can I use with
Django?"). A feature release supports a range of Pythons; some patch releases add the Python
released after it ("Django 4.2.8 ... adds compatibility with Python 3.12"):

    1.8    3.2-3.4     3.5 from 1.8.6
    1.9    3.4-3.5
    1.10   3.4-3.5
    1.11   3.4-3.6     3.7 from 1.11.17
    2.0    3.4-3.6     3.7 from 2.0.7 (its wheel's first `Python :: 3.7` classifier)
    2.1    3.5-3.7
    2.2    3.5-3.7     3.8 from 2.2.8, 3.9 from 2.2.17
    3.0    3.6-3.8     3.9 from 3.0.11
    3.1    3.6-3.8     3.9 from 3.1.3
    3.2    3.6-3.9     3.10 from 3.2.9
    4.0    3.8-3.10
    4.1    3.8-3.10    3.11 from 4.1.3
    4.2    3.8-3.11    3.12 from 4.2.8
    5.0    3.10-3.12
    5.1    3.10-3.12   3.13 from 5.1.3
    5.2    3.10-3.13   3.14 from 5.2.8
    6.0    3.12-3.14

Python 2 (which Django 1.11 and older also ran on) is left out: nothing djfix builds or runs
uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

Python = tuple[int, int]


@dataclass(frozen=True)
class PythonRange:
    """The Python 3 versions a Django release supports, oldest and newest included; `newest`
    is None for a Django newer than the table, whose newest Python is not known yet."""

    oldest: Python
    newest: Python | None

    def __contains__(self, python: object) -> bool:
        if not isinstance(python, tuple):
            return False
        return self.oldest <= python and (self.newest is None or python <= self.newest)

    def __str__(self) -> str:
        newest = dotted_version(self.newest) if self.newest else "newer"
        return f"{dotted_version(self.oldest)}-{newest}"


#: (Django major, minor) -> (oldest Python, newest Python of its first release, the newer
#: Pythons patch releases added: (patch, Python), in patch order)
_SERIES: dict[tuple[int, int], tuple[Python, Python, tuple[tuple[int, Python], ...]]] = {
    (1, 8): ((3, 2), (3, 4), ((6, (3, 5)),)),
    (1, 9): ((3, 4), (3, 5), ()),
    (1, 10): ((3, 4), (3, 5), ()),
    (1, 11): ((3, 4), (3, 6), ((17, (3, 7)),)),
    (2, 0): ((3, 4), (3, 6), ((7, (3, 7)),)),
    (2, 1): ((3, 5), (3, 7), ()),
    (2, 2): ((3, 5), (3, 7), ((8, (3, 8)), (17, (3, 9)))),
    (3, 0): ((3, 6), (3, 8), ((11, (3, 9)),)),
    (3, 1): ((3, 6), (3, 8), ((3, (3, 9)),)),
    (3, 2): ((3, 6), (3, 9), ((9, (3, 10)),)),
    (4, 0): ((3, 8), (3, 10), ()),
    (4, 1): ((3, 8), (3, 10), ((3, (3, 11)),)),
    (4, 2): ((3, 8), (3, 11), ((8, (3, 12)),)),
    (5, 0): ((3, 10), (3, 12), ()),
    (5, 1): ((3, 10), (3, 12), ((3, (3, 13)),)),
    (5, 2): ((3, 10), (3, 13), ((8, (3, 14)),)),
    (6, 0): ((3, 12), (3, 14), ()),
}


def django_pythons(django: tuple[int, ...] | None) -> PythonRange | None:
    """The Pythons a Django release supports. `django` is (major, minor, patch) for one release,
    or (major, minor) for the series as pip installs it (its latest patch release). None for an
    unknown Django or one older than the table; a newer one gets the newest series' oldest
    Python and no upper bound."""
    if django is None or len(django) < 2:
        return None
    series = (django[0], django[1])
    if series not in _SERIES:
        if series > max(_SERIES):
            return PythonRange(_SERIES[max(_SERIES)][0], None)
        return None
    oldest, newest, added = _SERIES[series]
    patch = django[2] if len(django) > 2 else None
    for first, python in added:
        if patch is None or patch >= first:
            newest = python
    return PythonRange(oldest, newest)


def first_release_for(django: tuple[int, int], python: Python) -> int | None:
    """The first patch release of a Django series that supports `python`: 0 when the series
    always did, None when none does."""
    if django not in _SERIES:
        return None
    oldest, newest, added = _SERIES[django]
    if oldest <= python <= newest:
        return 0
    return next((patch for patch, added_python in added if added_python == python), None)


def dotted_version(version: tuple[int, ...] | None) -> str:
    return ".".join(map(str, version)) if version else "?"


def allows(spec: str | None, python: Python) -> bool:
    """Whether a Python version specifier in pip's words (`>=3.8,<4`) allows `python` (X.Y,
    as its first release X.Y.0 and its later ones); True for no specifier or one that cannot be
    read."""
    if not spec:
        return True
    # lazy: only a project whose Python is a range asks
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return True
    return any(f"{python[0]}.{python[1]}.{patch}" in specifier for patch in (0, 99))
