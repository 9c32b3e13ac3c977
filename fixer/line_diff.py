"""Line diffs that stay fast on a file of any length: the unified diff of a dry run, and the
lines two texts share (which keep their author's line endings).

difflib's SequenceMatcher looks for the longest run of equal lines in the whole range, then
again on each side of it: on a long settings module with a change every few lines that is
quadratic (a third of a dry run's time at 1.2 MB). A short text is still matched by difflib
itself, so its diff is byte for byte what it was; a long one is first cut at its anchors, the
lines that occur once in each text (patience diff), kept where they follow each other in both
orders (the longest increasing run, n log n), and only the short stretches between anchors are
matched by difflib. The output is a diff `git apply` accepts either way.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterator, Sequence

SMALL = 2_000  # lines of both texts together: up to this, difflib matches the whole
GAP = 40_000  # a stretch between anchors this small (lines x lines) is matched by difflib
DEPTH = 32  # anchors looked for again inside a stretch at most this many times

Block = tuple[int, int, int]  # (start in a, start in b, length): a[i:i+n] == b[j:j+n]
Opcode = tuple[str, int, int, int, int]


def matching_blocks(a: Sequence[str], b: Sequence[str], *, autojunk: bool = True) -> list[Block]:
    """The runs of equal lines of `a` and `b`, in order, as difflib's `get_matching_blocks`
    gives them (adjacent runs joined, ending with `(len(a), len(b), 0)`). `autojunk` is
    difflib's, for a short text."""
    if len(a) + len(b) <= SMALL:
        return list(difflib.SequenceMatcher(None, a, b, autojunk=autojunk).get_matching_blocks())
    ids: dict[str, int] = {}
    x = [ids.setdefault(line, len(ids)) for line in a]
    y = [ids.setdefault(line, len(ids)) for line in b]
    blocks: list[Block] = []
    todo = [(0, len(x), 0, len(y), 0)]
    while todo:
        alo, ahi, blo, bhi, depth = todo.pop()
        while alo < ahi and blo < bhi and x[alo] == y[blo]:  # the same first lines
            blocks.append((alo, blo, 1))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and x[ahi - 1] == y[bhi - 1]:  # the same last lines
            ahi, bhi = ahi - 1, bhi - 1
            blocks.append((ahi, bhi, 1))
        if alo == ahi or blo == bhi:
            continue
        if (ahi - alo) * (bhi - blo) <= GAP:
            blocks.extend(_difflib_blocks(x, alo, ahi, y, blo, bhi))
            continue
        anchors = _anchors(x, alo, ahi, y, blo, bhi) if depth < DEPTH else []
        if not anchors:
            continue  # nothing to anchor on, too long to match line by line: all of it changes
        i, j = alo, blo
        for ai, bj in anchors:
            todo.append((i, ai, j, bj, depth + 1))
            blocks.append((ai, bj, 1))
            i, j = ai + 1, bj + 1
        todo.append((i, ahi, j, bhi, depth + 1))
    return _joined(sorted(blocks), len(a), len(b))


def _difflib_blocks(
    x: list[int], alo: int, ahi: int, y: list[int], blo: int, bhi: int
) -> list[Block]:
    matcher = difflib.SequenceMatcher(None, x[alo:ahi], y[blo:bhi], autojunk=False)
    return [(alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n]


def _anchors(
    x: list[int], alo: int, ahi: int, y: list[int], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """The lines found once in x[alo:ahi] and once in y[blo:bhi], as (i, j) pairs, the longest
    run of them in the same order in both."""
    seen_a: dict[int, int] = {}  # line -> its index, or -1 when it occurs again
    for i in range(alo, ahi):
        seen_a[x[i]] = -1 if x[i] in seen_a else i
    seen_b: dict[int, int] = {}
    for j in range(blo, bhi):
        line = y[j]
        if seen_a.get(line, -1) >= 0:
            seen_b[line] = -1 if line in seen_b else j
    pairs = sorted((seen_a[line], j) for line, j in seen_b.items() if j >= 0)
    return _increasing(pairs)


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (sorted by i) whose j increase too (patience sorting)."""
    tails: list[int] = []  # tails[k]: the least j ending a run of k + 1 pairs
    ends: list[int] = []  # ends[k]: the index of that pair
    back: list[int] = []  # the pair before each pair in its run, or -1
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        back.append(ends[k - 1] if k else -1)
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k] = j
            ends[k] = n
    run: list[tuple[int, int]] = []
    n = ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = back[n]
    run.reverse()
    return run


def _joined(blocks: list[Block], la: int, lb: int) -> list[Block]:
    out: list[Block] = []
    for i, j, n in blocks:
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + n)
        else:
            out.append((i, j, n))
    out.append((la, lb, 0))
    return out


def opcodes(blocks: list[Block]) -> list[Opcode]:
    """How to turn a into b, given their matching blocks (difflib's `get_opcodes`)."""
    out: list[Opcode] = []
    i = j = 0
    for ai, bj, size in blocks:
        tag = ""
        if i < ai and j < bj:
            tag = "replace"
        elif i < ai:
            tag = "delete"
        elif j < bj:
            tag = "insert"
        if tag:
            out.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            out.append(("equal", ai, i, bj, j))
    return out


def grouped(codes: list[Opcode], n: int = 3) -> Iterator[list[Opcode]]:
    """The changes in hunks with up to `n` lines of context (difflib's `get_grouped_opcodes`)."""
    if not codes:
        codes = [("equal", 0, 1, 0, 1)]
    codes = list(codes)
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        # a long run of equal lines ends the hunk: n lines after it, n before the next
        if tag == "equal" and i2 - i1 > 2 * n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1
    if length == 1:
        return f"{first}"
    if not length:
        first -= 1  # an empty range is named by the line before it
    return f"{first},{length}"


def unified_diff(
    a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, n: int = 3
) -> Iterator[str]:
    """difflib.unified_diff(a, b, fromfile, tofile, n=n, lineterm="\\n"), the lines matched by
    `matching_blocks`."""
    started = False
    for group in grouped(opcodes(matching_blocks(a, b)), n):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])
