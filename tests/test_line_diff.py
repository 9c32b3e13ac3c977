from __future__ import annotations

import difflib
import itertools
import random
import re

from fixer import line_diff
from fixer.line_diff import matching_blocks, unified_diff


def applied(a: list[str], patch: list[str]) -> list[str]:
    """`a` with the hunks of `patch` (our unified diff) applied, checking every context and
    removed line against `a`."""
    out: list[str] = []
    i = 0
    for line in patch[2:]:
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", line)
        if hunk:
            # an empty range is named by the line before it
            start = int(hunk.group(1)) - (hunk.group(2) != "0")
            out.extend(a[i:start])
            i = start
            continue
        kind, text = line[0], line[1:]
        if kind in " -":
            assert a[i] == text, (i, a[i], text)
            i += 1
        if kind in " +":
            out.append(text)
    return out + a[i:]


def settings_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        kind = rng.randrange(5)
        if kind == 0:
            lines.append("\n")
        elif kind == 1:
            lines.append(")\n")
        else:
            lines.append(f"SETTING_{i} = {rng.randrange(100)}\n")
    return lines


def edited(lines: list[str], seed: int, edits: int) -> list[str]:
    rng = random.Random(seed)
    out = list(lines)
    for _ in range(edits):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(3)
        if kind == 0:
            out.insert(at, f"NEW_{rng.randrange(10**6)} = env('X')\n")
        elif kind == 1 and at < len(out):
            del out[at]
        elif at < len(out):
            out[at] = out[at].replace("=", "= env.int('Y', default=", 1)
    return out


def test_a_short_text_is_diffed_as_difflib_does():
    for seed in range(60):
        a = settings_lines(random.Random(seed).randrange(1, 400), seed)
        b = edited(a, seed + 1, random.Random(seed).randrange(0, 30))
        ours = list(unified_diff(a, b, "a/x.py", "b/x.py"))
        theirs = list(difflib.unified_diff(a, b, "a/x.py", "b/x.py", n=3, lineterm="\n"))
        assert ours == theirs


def test_no_change_no_diff():
    a = settings_lines(5000, 1)
    assert list(unified_diff(a, list(a), "a/x", "b/x")) == []


def test_a_long_text_diff_applies_and_is_as_small_as_difflibs():
    a = settings_lines(6000, 2)
    b = edited(a, 3, 400)
    ours = list(unified_diff(a, b, "a/x.py", "b/x.py"))
    assert applied(a, ours) == b
    changed = sum(1 for line in ours[2:] if line[0] in "+-")
    theirs = difflib.unified_diff(a, b, "a/x.py", "b/x.py", lineterm="\n")
    assert changed <= sum(1 for line in list(theirs)[2:] if line[0] in "+-")


def test_a_new_and_an_emptied_file():
    a = settings_lines(3000, 4)
    assert applied([], list(unified_diff([], a, "/dev/null", "b/x"))) == a
    assert applied(a, list(unified_diff(a, [], "a/x", "b/x"))) == []


def test_lines_that_never_occur_once_still_match():
    a = ["x = 1\n", "\n"] * 3000
    b = list(a)
    b[3001] = "y = 2\n"
    ours = list(unified_diff(a, b, "a/x", "b/x"))
    assert applied(a, ours) == b
    assert sum(1 for line in ours[2:] if line[0] in "+-") <= 2 * len(a)


def test_matching_blocks_end_like_difflibs():
    a = settings_lines(4000, 5)
    b = edited(a, 6, 50)
    blocks = matching_blocks(a, b)
    assert blocks[-1] == (len(a), len(b), 0)
    runs = blocks[:-1]
    for i, j, n in runs:
        assert n and a[i : i + n] == b[j : j + n]
    for (i, j, n), (i2, j2, _) in itertools.pairwise(runs):
        assert i + n <= i2 and j + n <= j2
        assert (i + n, j + n) != (i2, j2)  # adjacent runs are joined


def test_work_grows_linearly_with_the_number_of_changes(monkeypatch):
    """Counted, not timed: the lines the anchor pass reads and the line pairs difflib's matcher
    is handed (its worst case), for 8 times the lines and the changes."""
    work = [0]
    anchors, difflib_blocks = line_diff._anchors, line_diff._difflib_blocks

    def counted_anchors(x, alo, ahi, y, blo, bhi):
        work[0] += (ahi - alo) + (bhi - blo)
        return anchors(x, alo, ahi, y, blo, bhi)

    def counted_blocks(x, alo, ahi, y, blo, bhi):
        work[0] += (ahi - alo) * (bhi - blo)
        return difflib_blocks(x, alo, ahi, y, blo, bhi)

    monkeypatch.setattr(line_diff, "_anchors", counted_anchors)
    monkeypatch.setattr(line_diff, "_difflib_blocks", counted_blocks)

    def cost(size: int) -> int:
        a = settings_lines(size, 7)
        b = edited(a, 8, size // 10)
        work[0] = 0
        assert applied(a, list(unified_diff(a, b, "a/x", "b/x"))) == b
        return work[0]

    small, large = cost(5_000), cost(40_000)
    # difflib's matcher alone compares some 64 times the line pairs for 8 times the lines
    assert 0 < large < 12 * small
    assert line_diff.SMALL < 5_000
