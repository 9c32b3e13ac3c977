"""An in-memory overlay of file changes: read through it, diff it, write it all at once.

Texts inside the changeset use "\\n" line endings (as `SourceCache` gives them); when a file is
written or diffed, the author's line endings and byte-order mark are put back, so a CRLF file
stays CRLF.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fixer.errors import DjfixError


@dataclass
class FileChange:
    rel: str
    old: str | None  # None: the file does not exist yet
    new: str
    newline: str = "\n"
    bom: bool = False
    tracked: bool = True  # False: written to the work tree but never diffed or committed
    items: set[int] = field(default_factory=set)  # checklist items that changed this file

    def copy(self) -> FileChange:
        return FileChange(
            self.rel, self.old, self.new, self.newline, self.bom, self.tracked, set(self.items)
        )

    def encoded(self, text: str) -> bytes:
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        data = text.encode("utf-8")
        return (b"\xef\xbb\xbf" + data) if self.bom else data


class Stage:
    """The tracked files as one checklist item's plan left them: `texts` maps every tracked file
    changed so far (by this item or the ones planned before it) to its text. Handing over makes
    one commit per stage, so each commit holds only its item's delta, even inside a file several
    items change.

    `raw` is the state the plans wrote; `texts` may add what finishing the plans adds for the
    items so far (the environment files), computed only when first read: dry runs never pay
    for it."""

    def __init__(
        self,
        item: int | None,
        texts: dict[str, str] | None = None,
        *,
        raw: dict[str, str] | None = None,
        resolve: Callable[[], dict[str, str]] | None = None,
        fixed: set[int] | None = None,
    ) -> None:
        self.item = item
        # the items this stage's plan fixed beside its own (item 3 by the container plan)
        self.fixed = set(fixed or ())
        self.raw = dict(raw if raw is not None else texts or {})
        self._texts = dict(texts) if texts is not None else None
        self._resolve = resolve

    @property
    def texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = self._resolve() if self._resolve is not None else dict(self.raw)
            self._resolve = None
        return self._texts

    @texts.setter
    def texts(self, value: dict[str, str]) -> None:
        self._texts = dict(value)
        self._resolve = None

    def __repr__(self) -> str:
        return f"Stage(item={self.item!r}, files={sorted(self.raw)})"


def _newline_of(raw: bytes) -> str:
    if b"\r\n" in raw:
        return "\r\n"
    if b"\r" in raw:
        return "\r"
    return "\n"


class Changeset:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._changes: dict[str, FileChange] = {}
        # bumped by every write: what was derived from the planned files (a re-discovery)
        # is reused until it changes
        self.revision = 0
        self.derived: dict[str, tuple[int, object]] = {}  # name -> (revision, value)
        # the state after each item's plan, in the order the plans ran (see `mark`)
        self.stages: list[Stage] = []
        # (item, rel, text, tracked) of every write, in order: stages for a changeset whose
        # planner marked none
        self._log: list[tuple[int | None, str, str, bool]] = []

    # -- reading -------------------------------------------------------------------------------
    def _disk(self, rel: str) -> tuple[str | None, str, bool]:
        path = self.root / rel
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None, "\n", False
        except OSError as exc:
            raise DjfixError(f"{rel}: cannot be read: {exc.strerror or exc}") from exc
        bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DjfixError(f"{rel}: not UTF-8; djfix will not rewrite it") from exc
        newline = _newline_of(raw)
        return text.replace("\r\n", "\n").replace("\r", "\n"), newline, bom

    def read(self, rel: str) -> str | None:
        """The file's text as the changes so far leave it (None if it does not exist)."""
        change = self._changes.get(rel)
        if change is not None:
            return change.new
        return self._disk(rel)[0]

    def exists(self, rel: str) -> bool:
        return rel in self._changes or (self.root / rel).exists()

    # -- changing ------------------------------------------------------------------------------
    def write(self, rel: str, text: str, *, item: int | None = None, tracked: bool = True) -> None:
        self._log.append((item, rel, text, tracked))
        change = self._changes.get(rel)
        if change is None:
            old, newline, bom = self._disk(rel)
            change = FileChange(rel, old, text, newline, bom, tracked)
            self._changes[rel] = change
            self.revision += 1
        if change.new != text:
            self.revision += 1
        change.new = text
        change.tracked = change.tracked and tracked
        if item is not None:
            change.items.add(item)
        if change.old == change.new:
            del self._changes[rel]

    def changes(self, tracked: bool | None = None) -> list[FileChange]:
        out = sorted(self._changes.values(), key=lambda c: c.rel)
        if tracked is not None:
            out = [c for c in out if c.tracked is tracked]
        return out

    def __bool__(self) -> bool:
        return bool(self._changes)

    def encode(self, rel: str, text: str) -> bytes:
        """`text` as the bytes of `rel`: its line endings and byte-order mark put back."""
        change = self._changes.get(rel)
        if change is None:
            _, newline, bom = self._disk(rel)
            change = FileChange(rel, None, text, newline, bom)
        return change.encoded(text)

    # -- stages --------------------------------------------------------------------------------
    def state(self) -> dict[str, str]:
        """Every tracked file changed so far, with its planned text."""
        return {c.rel: c.new for c in self.changes(tracked=True)}

    def mark(
        self,
        item: int | None,
        texts: dict[str, str] | None = None,
        *,
        resolve: Callable[[], dict[str, str]] | None = None,
        fixed: set[int] | None = None,
    ) -> None:
        """Record the state after `item`'s plan: `texts`, or what `resolve` returns when first
        asked, or else the current state. `fixed`: other items the plan fixed on the way."""
        if texts is None and resolve is None:
            texts = self.state()
        self.stages.append(Stage(item, texts, raw=self.state(), resolve=resolve, fixed=fixed))

    def staged(self) -> list[Stage]:
        """The stages the planner marked; for a changeset written without marks, one stage per
        run of consecutive writes by the same item (writes naming no item join the run before
        them), in the order they were written."""
        if self.stages:
            return list(self.stages)
        olds: dict[str, str | None] = {}

        def old_of(rel: str) -> str | None:
            if rel not in olds:
                change = self._changes.get(rel)
                olds[rel] = change.old if change is not None else self._disk(rel)[0]
            return olds[rel]

        stages: list[Stage] = []
        texts: dict[str, str] = {}
        current: int | None = None
        started = False
        for item, rel, text, _ in self._log:
            if started and item is not None and item != current:
                stages.append(Stage(current, dict(texts)))
            if item is not None or not started:
                current = item if item is not None else current
                started = True
            final = self._changes.get(rel)
            if final is not None and not final.tracked:
                continue
            if text == old_of(rel):
                texts.pop(rel, None)
            else:
                texts[rel] = text
        if started:
            stages.append(Stage(current, dict(texts)))
        return stages

    def copy(self) -> Changeset:
        """An independent changeset with the same changes (a plan can run on it and leave this
        one as it is)."""
        other = Changeset(self.root)
        other._changes = {rel: c.copy() for rel, c in self._changes.items()}
        other.revision = self.revision
        other.derived = dict(self.derived)
        other.stages = list(self.stages)
        other._log = list(self._log)
        return other

    def write_to(self, dest: Path, *, untracked: bool = False) -> list[str]:
        """Write the planned files into a copy of the project at `dest` (never into the project
        itself); untracked files (`.env`) only when asked. Returns the paths written."""
        written = []
        for change in self.changes(tracked=None if untracked else True):
            target = dest / change.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_bytes(change.encoded(change.new))
            written.append(change.rel)
        return written

    # -- output --------------------------------------------------------------------------------
    def diff(self) -> str:
        """A unified diff of the tracked changes that `git apply` accepts."""
        chunks: list[str] = []
        for change in self.changes(tracked=True):
            # the patch carries the author's line endings so it applies byte for byte
            old_lines = (change.old or "").replace("\n", change.newline).splitlines(keepends=True)
            new_lines = change.new.replace("\n", change.newline).splitlines(keepends=True)
            if change.bom:
                old_lines[:1] = ["\ufeff" + ln for ln in old_lines[:1]]
                new_lines[:1] = ["\ufeff" + ln for ln in new_lines[:1]]
            header = [f"diff --git a/{change.rel} b/{change.rel}\n"]
            if change.old is None:
                header.append("new file mode 100644\n")
            fromfile = "/dev/null" if change.old is None else f"a/{change.rel}"
            body = list(
                difflib.unified_diff(
                    old_lines, new_lines, fromfile, f"b/{change.rel}", n=3, lineterm="\n"
                )
            )
            if not body:
                continue
            out = []
            for line in body:
                if not line.endswith("\n"):
                    line += "\n\\ No newline at end of file\n"
                out.append(line)
            text = "".join(header + out)
            chunks.append(text)
        return "".join(chunks)

    def commit(self) -> list[str]:
        """Write every change to disk, all or nothing. Returns the paths written."""
        written: list[tuple[Path, bytes | None]] = []  # (path, previous bytes) for rollback
        staged: list[tuple[Path, Path]] = []
        try:
            for change in self.changes():
                target = self.root / change.rel
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".djfix-", dir=target.parent)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(change.encoded(change.new))
                if target.exists():
                    os.chmod(tmp, target.stat().st_mode & 0o7777)
                else:
                    os.chmod(tmp, 0o644)
                staged.append((Path(tmp), target))
            for tmp, target in staged:
                previous = target.read_bytes() if target.exists() else None
                os.replace(tmp, target)
                written.append((target, previous))
        except OSError as exc:
            for target, previous in reversed(written):
                if previous is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(previous)
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise DjfixError(
                f"could not write {exc.filename or 'a file'}: {exc.strerror or exc}; "
                "no file was changed"
            ) from exc
        return [self._rel(t) for t, _ in written]

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()
