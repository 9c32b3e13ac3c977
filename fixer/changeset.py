"""An in-memory overlay of file changes: read through it, diff it, write it all at once.

Texts inside the changeset use "\\n" line endings (as `SourceCache` gives them); when a file is
written or diffed, the author's line endings and byte-order mark are put back, so a CRLF file
stays CRLF.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fixer.errors import DjfixError
from fixer.line_diff import matching_blocks, unified_diff


@dataclass
class FileChange:
    rel: str
    old: str | None  # None: the file does not exist yet
    new: str
    newline: str = "\n"
    bom: bool = False
    tracked: bool = True  # False: written to the work tree but never diffed or committed
    items: set[int] = field(default_factory=set)  # checklist items that changed this file
    # each line's ending in the file as it was, when they are not all the same
    endings: tuple[str, ...] | None = None
    encoding: str = "utf-8"  # a Python file's declared encoding (its coding line)
    tabs: bool = False  # a Python file indented with tabs: the lines djfix adds are too

    def restore(self, text: str) -> str:
        """`text` ("\\n" endings) as the author writes: every line that was there keeps its
        own ending, a new line takes the file's most common one; in a file indented with
        tabs, the new lines are indented with tabs."""
        if not self.endings and not self.tabs:
            return text.replace("\n", self.newline) if self.newline != "\n" else text
        old_lines = (self.old or "").split("\n")
        new_lines = text.split("\n")
        ends = [self.newline] * (len(new_lines) - 1)
        kept = [False] * len(new_lines)
        for a, b, size in matching_blocks(old_lines, new_lines, autojunk=False):
            for k in range(size):
                kept[b + k] = True
                if self.endings and b + k < len(ends) and a + k < len(self.endings):
                    ends[b + k] = self.endings[a + k]
        if self.tabs:
            new_lines = [ln if kept[i] else _tabbed(ln) for i, ln in enumerate(new_lines)]
        return (
            "".join(ln + end for ln, end in zip(new_lines[:-1], ends, strict=True)) + new_lines[-1]
        )

    def copy(self) -> FileChange:
        return FileChange(
            self.rel, self.old, self.new, self.newline, self.bom, self.tracked, set(self.items)
        )

    def encoded(self, text: str) -> bytes:
        data = self.restore(text).encode(self.encoding)
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


_ENDING = re.compile(r"\r\n|\r|\n")
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _tabbed(line: str) -> str:
    """The line indented with tabs only: its indentation's width (a tab is four columns)
    rounded up to whole tabs."""
    stripped = line.lstrip(" \t")
    indent = line[: len(line) - len(stripped)]
    if not stripped or " " not in indent:
        return line
    width = sum(4 if ch == "\t" else 1 for ch in indent)
    return "\t" * -(-width // 4) + stripped


def _newline_of(raw: bytes) -> str:
    """The file's most common line ending."""
    crlf = raw.count(b"\r\n")
    cr = raw.count(b"\r") - crlf
    lf = raw.count(b"\n") - crlf
    best = max((lf, "\n"), (crlf, "\r\n"), (cr, "\r"), key=lambda pair: pair[0])
    return best[1] if best[0] else "\n"


def _endings_of(text: str) -> tuple[str, ...] | None:
    ends = tuple(_ENDING.findall(text))
    return ends if len(set(ends)) > 1 else None


def _declared_encoding(rel: str, raw: bytes) -> str:
    """A Python file's coding line (PEP 263, the first two lines), else UTF-8."""
    if not rel.endswith(".py"):
        return "utf-8"
    for line in raw.split(b"\n")[:2]:
        found = _CODING.match(line)
        if found:
            name = found.group(1).decode("ascii", "replace").lower()
            try:
                return codecs.lookup(name).name
            except LookupError:
                return name
    return "utf-8"


def _indented_with_tabs(rel: str, text: str) -> bool:
    if not rel.endswith(".py"):
        return False
    tabs = sum(1 for ln in text.split("\n") if ln.startswith("\t"))
    spaces = sum(1 for ln in text.split("\n") if ln.startswith(" ") and ln.strip())
    return tabs > spaces


@dataclass
class _OnDisk:
    text: str | None  # None: no such file
    newline: str = "\n"
    bom: bool = False
    endings: tuple[str, ...] | None = None
    encoding: str = "utf-8"


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
    def _on_disk(self, rel: str) -> _OnDisk:
        path = self.root / rel
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return _OnDisk(None)
        except OSError as exc:
            raise DjfixError(f"{rel}: cannot be read: {exc.strerror or exc}") from exc
        bom = raw.startswith(b"\xef\xbb\xbf")
        encoding = _declared_encoding(rel, raw)
        try:
            text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            what = "not UTF-8" if encoding == "utf-8" else f"not valid {encoding}"
            raise DjfixError(f"{rel}: {what}; djfix will not rewrite it") from exc
        return _OnDisk(_ENDING.sub("\n", text), _newline_of(raw), bom, _endings_of(text), encoding)

    def _disk(self, rel: str) -> tuple[str | None, str, bool]:
        disk = self._on_disk(rel)
        return disk.text, disk.newline, disk.bom

    def read(self, rel: str) -> str | None:
        """The file's text as the changes so far leave it (None if it does not exist, or cannot
        be decoded: then `unwritable` says why, and a plan's write of it is refused)."""
        change = self._changes.get(rel)
        if change is not None:
            return change.new
        try:
            return self._disk(rel)[0]
        except DjfixError:
            return None

    def exists(self, rel: str) -> bool:
        return rel in self._changes or (self.root / rel).exists()

    # -- changing ------------------------------------------------------------------------------
    def write(self, rel: str, text: str, *, item: int | None = None, tracked: bool = True) -> None:
        self._log.append((item, rel, text, tracked))
        change = self._changes.get(rel)
        if change is None:
            disk = self._on_disk(rel)
            change = FileChange(
                rel,
                disk.text,
                text,
                disk.newline,
                disk.bom,
                tracked,
                endings=disk.endings,
                encoding=disk.encoding,
                tabs=disk.text is not None and _indented_with_tabs(rel, disk.text),
            )
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

    def items_by_file(self) -> dict[str, set[int]]:
        """Per changed file, the items that change it as the hand-over commits them: a tracked
        file belongs to the items whose stages change it (the dependency file goes with the
        item that needs the package, whichever plan wrote it); an untracked one, or a changeset
        without stages, to the items that wrote it."""
        out = {c.rel: set(c.items) for c in self.changes()}
        if not self.stages:
            return out
        tracked = {c.rel for c in self.changes(tracked=True)}
        for rel in tracked:
            out[rel] = set()
        previous: dict[str, str] = {}
        for stage in self.stages:
            texts = stage.texts
            for rel in set(texts) | set(previous):
                if (
                    rel in tracked
                    and texts.get(rel) != previous.get(rel)
                    and stage.item is not None
                ):
                    out[rel].add(stage.item)
            previous = texts
        return out

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
            old_lines = change.restore(change.old or "").splitlines(keepends=True)
            new_lines = change.restore(change.new).splitlines(keepends=True)
            if change.bom:
                old_lines[:1] = ["\ufeff" + ln for ln in old_lines[:1]]
                new_lines[:1] = ["\ufeff" + ln for ln in new_lines[:1]]
            header = [f"diff --git a/{change.rel} b/{change.rel}\n"]
            if change.old is None:
                header.append("new file mode 100644\n")
            fromfile = "/dev/null" if change.old is None else f"a/{change.rel}"
            body = list(unified_diff(old_lines, new_lines, fromfile, f"b/{change.rel}", n=3))
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

    def unwritable(self, rel: str) -> str | None:
        """Why djfix must not write `rel`, or None: the file is a symbolic link (it would
        become a regular file), a folder on its way is one (the write would land elsewhere,
        maybe outside the repository, and a branch would turn the link into a folder), or
        it lies in a submodule (another repository)."""
        path = self.root
        parts = Path(rel).parts
        for depth, part in enumerate(parts):
            path = path / part
            last = depth == len(parts) - 1
            if path.is_symlink():
                what = "is a symbolic link" if last else f"is inside {path.name}/, a symbolic link"
                return f"{rel} {what}: djfix does not write through links; change it by hand"
            if not last and (path / ".git").exists():
                return (
                    f"{rel} is inside the submodule {Path(*parts[: depth + 1]).as_posix()}: "
                    "djfix does not write into another repository; change it there"
                )
            if not path.exists():
                return None
        if rel not in self._changes:
            try:
                self._on_disk(rel)
            except DjfixError as exc:
                return f"{exc}; change it by hand"
        return None

    def commit(self, keep: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Write every change to disk, all or nothing. Returns the paths written.

        The files named in `keep` (files git does not track, which djfix replaces) are kept, in
        the same transaction, as `<name>.orig` (or `.orig.1`, ... when that exists).

        Every file is first staged as a temporary sibling (`.djfix-<id>-<n>`) and every file it
        replaces kept as a hard link, under a journal (`.git/djfix-journal.json`, or
        `.djfix-journal.json` at the root outside git); then the journal says "applying" and the
        temporary files are renamed over their targets. SIGINT and SIGTERM wait until the tree
        is whole; a failed write undoes what was done; a process killed on the way leaves the
        journal, which `recover()` (the next run) completes or undoes."""
        recover(self.root)
        changes = self.changes()
        if not changes:
            return []
        self._refuse_links(changes)
        files = [
            (c.rel, c.encoded(c.new), _mode_for(c, self.root / c.rel)) for c in changes
        ] + self._originals(keep)
        journal = _Journal.create(self.root, [rel for rel, _, _ in files])
        with _signals_deferred():
            try:
                _stage(self.root, journal, files)
                journal.save("applying")
                for entry in journal.entries:
                    _replace(self.root / entry["tmp"], self.root / entry["rel"])
            except BaseException as exc:
                journal.save("rolling-back")
                _finish(self.root, journal)
                if isinstance(exc, OSError):
                    raise DjfixError(
                        f"could not write {exc.filename or 'a file'}: {exc.strerror or exc}; "
                        "no file was changed"
                    ) from exc
                raise
            _finish(self.root, journal)
        return [rel for rel, _, _ in files]

    def _originals(self, keep) -> list[tuple[str, bytes, int]]:
        out = []
        for rel in keep:
            path = self.root / rel
            if rel not in self._changes or not path.is_file() or path.is_symlink():
                continue
            name, n = f"{rel}.orig", 0
            while (self.root / name).exists() or name in self._changes:
                n += 1
                name = f"{rel}.orig.{n}"
            out.append((name, path.read_bytes(), path.stat().st_mode & 0o7777))
        return out

    def _refuse_links(self, changes: list[FileChange]) -> None:
        """The last guard: never write through a symbolic link, into a submodule, or outside
        the root (plans are stopped earlier, with the same reason, by `unwritable`)."""
        root = self.root.resolve()
        for change in changes:
            reason = self.unwritable(change.rel)
            if reason is None and not _inside(root, (self.root / change.rel).parent):
                reason = f"{change.rel} lies outside the repository"
            if reason is not None:
                raise DjfixError(f"{reason}; nothing was written")

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


# -- writing all files as one: staging, journal, recovery ------------------------------------------

JOURNAL = "djfix-journal.json"
TEMP_PREFIX = ".djfix-"


def _inside(root: Path, path: Path) -> bool:
    real = path.resolve()
    return real == root or root in real.parents


def _git_dir(root: Path) -> Path | None:
    for folder in [root.resolve(), *root.resolve().parents]:
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a linked work tree: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                found = (folder / text.split(":", 1)[1].strip()).resolve()
                return found if found.is_dir() else None
            return None
    return None


def journal_path(root: Path) -> Path:
    """Where the journal of an interrupted write lives: in the git directory when there is one
    (git never shows it), else at the root."""
    git_dir = _git_dir(root)
    if git_dir is None:
        return root / ("." + JOURNAL)
    tag = hashlib.sha1(str(root.resolve()).encode("utf-8")).hexdigest()[:10]
    return git_dir / f"{JOURNAL.removesuffix('.json')}-{tag}.json"


class _Journal:
    """What a write is doing, on disk, so that a killed process can be completed or undone."""

    def __init__(self, root: Path, data: dict) -> None:
        self.root = root
        self.data = data

    @property
    def entries(self) -> list[dict]:
        return self.data["entries"]

    @classmethod
    def create(cls, root: Path, rels: list[str]) -> _Journal:
        token = secrets.token_hex(4)
        entries = []
        for n, rel in enumerate(rels):
            folder = Path(rel).parent
            entries.append(
                {
                    "rel": rel,
                    "tmp": (folder / f"{TEMP_PREFIX}{token}-{n}").as_posix(),
                    "backup": (folder / f"{TEMP_PREFIX}{token}-{n}.orig").as_posix(),
                    "existed": (root / rel).exists(),
                }
            )
        journal = cls(root, {"state": "staging", "entries": entries, "dirs": []})
        journal.save("staging")
        return journal

    @classmethod
    def load(cls, root: Path) -> _Journal | None:
        try:
            data = json.loads(journal_path(root).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(root, data) if isinstance(data, dict) and "entries" in data else None

    def save(self, state: str) -> None:
        self.data["state"] = state
        path = journal_path(self.root)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            # Ctrl-C or a failed write mid-way: no half-written journal copy stays behind
            tmp.unlink(missing_ok=True)
            raise

    def remove(self) -> None:
        path = journal_path(self.root)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)


def _replace(src: Path, dst: Path) -> None:
    os.replace(src, dst)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # created with its final mode: a staged .env is never readable by others, even for a moment
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    os.chmod(path, mode)


def _mode_for(change: FileChange, target: Path) -> int:
    if target.exists():
        return target.stat().st_mode & 0o7777
    name = Path(change.rel).name
    return (
        0o600
        if name == ".env" or (name.startswith(".env.") and not name.endswith("example"))
        else 0o644
    )


def _stage(root: Path, journal: _Journal, files: list[tuple[str, bytes, int]]) -> None:
    """Write every file next to its target, keep what it replaces; nothing visible changes."""
    by_rel = {rel: (data, mode) for rel, data, mode in files}
    for entry in journal.entries:
        data, mode = by_rel[entry["rel"]]
        target = root / entry["rel"]
        missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            journal.data["dirs"].append(folder.relative_to(root).as_posix())
            journal.save("staging")
            folder.mkdir()
        _write_new(root / entry["tmp"], data, mode)
        if entry["existed"]:
            backup = root / entry["backup"]
            try:
                os.link(target, backup)
            except OSError:
                _write_new(backup, target.read_bytes(), target.stat().st_mode & 0o7777)


def _finish(root: Path, journal: _Journal) -> None:
    """Bring an interrupted write to an end: "applying" is completed (every staged file is
    renamed into place), "staging" and "rolling-back" are undone (every replaced file is put
    back, every new one and every folder made for it removed). Then no temporary file and no
    journal remain."""
    state = journal.data.get("state")
    entries = journal.entries
    if state == "applying":
        for entry in entries:
            tmp = root / entry["tmp"]
            if tmp.exists():
                _replace(tmp, root / entry["rel"])
    else:
        for entry in entries:
            tmp, target, backup = (root / entry[k] for k in ("tmp", "rel", "backup"))
            if entry["existed"]:
                if backup.exists():
                    os.replace(backup, target)
            elif not tmp.exists() and target.exists() and state == "rolling-back":
                target.unlink()
            tmp.unlink(missing_ok=True)
        for rel in reversed(journal.data.get("dirs", [])):
            with contextlib.suppress(OSError):
                (root / rel).rmdir()  # only when empty: never a folder that holds anything
    for entry in entries:
        (root / entry["backup"]).unlink(missing_ok=True)
        (root / entry["tmp"]).unlink(missing_ok=True)
    journal.remove()


def recover(root: Path) -> str | None:
    """Complete or undo a write a killed djfix left half done; None when there was none, else
    what was done ("completed" or "undone")."""
    journal = _Journal.load(root)
    if journal is None:
        if journal_path(root).exists():
            journal_path(root).unlink()
        return None
    done = "completed" if journal.data.get("state") == "applying" else "undone"
    _finish(root, journal)
    return done


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (then act as usual), so they never cut a
    write in half. Only the main thread can take signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in caught[:1]:
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
