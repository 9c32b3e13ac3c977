"""Poetry's and uv's lock files read into pins (fixer.parsers.locks): the shapes the verify
install tests do not hold."""

from __future__ import annotations

from pathlib import Path

from fixer.parsers.locks import poetry_lock_pins, uv_lock_pins

PYPROJECT = {"tool": {"poetry": {"dependencies": {"python": "^3.11", "a": "^1.0"}}}}


def test_a_cycle_under_markers_ends():
    lock = """\
[[package]]
name = "a"
version = "1.0"
[package.dependencies]
b = {version = "*", markers = "sys_platform == \\"linux\\""}

[[package]]
name = "b"
version = "2.0"
[package.dependencies]
a = {version = "*", markers = "python_version >= \\"3.8\\""}
"""
    assert poetry_lock_pins(lock, PYPROJECT, Path("/p")) == [
        "a==1.0",
        'b==2.0; sys_platform == "linux"',
    ]


def test_a_package_the_lock_does_not_hold_gives_no_pins():
    # the lock is older than the pyproject: the caller installs the ranges and says so
    lock = '[[package]]\nname = "z"\nversion = "1.0"\n'
    assert poetry_lock_pins(lock, PYPROJECT, Path("/p")) is None
    assert poetry_lock_pins("[[package]\n", PYPROJECT, Path("/p")) is None


def test_git_and_path_sources_are_direct_references():
    poetry = """\
[[package]]
name = "a"
version = "1.0"
[package.dependencies]
b = {path = "libs/b"}

[package.source]
type = "git"
url = "https://example.org/a.git"
reference = "main"
resolved_reference = "0123abc"

[[package]]
name = "b"
version = "0.1"

[package.source]
type = "directory"
url = "libs/b"
"""
    assert poetry_lock_pins(poetry, PYPROJECT, Path("/p")) == [
        "a @ git+https://example.org/a.git@0123abc",
        "b @ file:///p/libs/b",
    ]
    uv = """\
version = 1

[[package]]
name = "site"
version = "0.1"
source = { virtual = "." }
dependencies = [{ name = "a" }, { name = "b" }]

[[package]]
name = "a"
version = "1.0"
source = { git = "https://example.org/a.git?rev=main#0123abc" }

[[package]]
name = "b"
version = "0.1"
source = { directory = "libs/b" }
"""
    assert uv_lock_pins(uv, Path("/p")) == [
        "a @ git+https://example.org/a.git@0123abc",
        "b @ file:///p/libs/b",
    ]
