"""`djfix apply --repos FILE`: many repositories at once.

FILE lists clone URLs or local paths, one a line (`#` starts a comment; relative paths are read
from FILE's folder). Each repository is cloned afresh into a work folder, so a local repository's
own work tree is never touched, and a worker (the apply pipeline, passed in by the caller) runs in
the clone. A bounded pool works through the list: processes for the CLI (the pipeline is
CPU-bound Python, which threads would run one at a time), threads for a worker that cannot be
sent to another process. One repository's failure, whatever it is, is recorded in its row of the
final table and never stops the others; Ctrl-C stops every worker and the clones they run.

git never waits for a person or a silent server: no prompt for a password or a host key, no
credential helper, only the transports a clone URL names (https, http, ssh, git, local paths),
and a time limit on each clone that ends git and every process it started.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fixer.errors import EXIT_CLEAN, EXIT_FAILED, DjfixError, UsageError
from fixer.redaction import mask_text

MAX_JOBS = 32
CLONE_TIMEOUT = 900  # seconds for one `git clone`
#: the transports a repositories file may name; `ext::` (runs a command) and the rest are refused
_PROTOCOLS = ("https", "http", "ssh", "git", "file")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^(?:[^@/\s]+@)?[^:/\s]{2,}:(?!/)\S+$")  # git@host:owner/repo.git


@dataclass(frozen=True)
class Source:
    """One line of the repositories file."""

    text: str  # as written (credentials masked)
    line: int
    location: str  # what git clones: a URL or an absolute local path
    local: bool

    @property
    def name(self) -> str:
        """A short name for the table: owner/repo of a URL, the path as written otherwise."""
        if self.local:
            return self.text
        path = (
            re.sub(r"^[^:]+://[^/]*", "", self.location)
            if "://" in self.location
            else (self.location.split(":", 1)[1])
        )
        path = path.strip("/")
        path = path[: -len(".git")] if path.endswith(".git") else path
        return "/".join(path.split("/")[-2:]) or self.text


@dataclass(frozen=True)
class Checkout:
    """A fresh clone of `source` at `path`, for the worker to change, commit and push."""

    source: Source
    path: Path


@dataclass
class RepoResult:
    """What a worker reports for one repository."""

    status: str  # e.g. "fixed", "nothing to do", "findings open"
    items_fixed: int = 0
    pr_url: str | None = None
    exit_code: int = EXIT_CLEAN  # the exit status `djfix apply` would give for this repository


@dataclass
class Outcome:
    source: Source
    status: str
    items_fixed: int = 0
    pr_url: str | None = None
    error: str | None = None
    exit_code: int = EXIT_CLEAN

    @property
    def ok(self) -> bool:
        return self.error is None


Worker = Callable[[Checkout], RepoResult]


def read_sources(file: Path) -> list[Source]:
    """The repositories listed in `file`, in order."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--repos {file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--repos {file}: cannot read it ({exc})") from None
    sources: list[Source] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        path = Path(line).expanduser()
        if not path.is_absolute():
            path = file.resolve().parent / path
        if _URL.match(line) or (_SCP.match(line) and not path.exists()):
            sources.append(Source(mask_text(line), number, line, local=False))
        else:
            sources.append(Source(line, number, str(path), local=True))
    if not sources:
        raise UsageError(f"--repos {file}: no repository listed (one URL or path a line)")
    return sources


def _git_environment() -> dict[str, str]:
    env = dict(os.environ)
    # a pool of clones must never stop to ask for a password, a passphrase or a host key
    env["GIT_TERMINAL_PROMPT"] = "0"
    for name in ("GIT_ASKPASS", "SSH_ASKPASS"):
        env.pop(name, None)
    env["GIT_SSH_COMMAND"] = env.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=30")
    env["GIT_ALLOW_PROTOCOL"] = ":".join(_PROTOCOLS)
    return env


def _git_config() -> list[str]:
    out = ["-c", "protocol.allow=never", "-c", "credential.helper=", "-c", "core.askPass="]
    for name in _PROTOCOLS:
        out += ["-c", f"protocol.{name}.allow=always"]
    # a server that stops sending: http gives up after 60 s below 1 KB/s
    out += ["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60"]
    return out


def clone(source: Source, dest: Path, timeout: float = CLONE_TIMEOUT) -> None:
    """`git clone` the source into dest; a DjfixError says why it could not. git runs in a
    session of its own, so the time limit ends its helpers (ssh, remote-https) too; a pool
    process that is stopped ends it first (`_stop_pool_process`)."""
    if source.location.startswith("-"):
        raise DjfixError(f"{source.text}: not a repository URL or path")
    if source.local and not Path(source.location).is_dir():
        raise DjfixError(f"{source.text}: no such directory")
    try:
        proc = subprocess.Popen(
            [
                "git",
                *_git_config(),
                "clone",
                "--quiet",
                "--",
                source.location,
                str(dest),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_git_environment(),
            start_new_session=True,
        )
    except OSError as exc:
        raise DjfixError(f"cannot run git: {exc}") from None
    _CLONES[proc.pid] = proc
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise DjfixError(
            f"git clone gave no result within {timeout:g} s (a server that does not answer?)"
        ) from None
    except BaseException:
        _kill_group(proc)  # Ctrl-C or a stopped worker: no git left behind
        raise
    finally:
        _CLONES.pop(proc.pid, None)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {proc.returncode}"
        raise DjfixError(f"git clone failed: {mask_text(reason)}")


#: the git clones running in this process, by pid (a pool process's SIGTERM handler ends them)
_CLONES: dict[int, subprocess.Popen] = {}


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError, OSError):
        proc.communicate(timeout=10)


def _run_one(source: Source, dest: Path, worker: Worker, clone_timeout: float) -> Outcome:
    try:
        clone(source, dest, clone_timeout)
        result = worker(Checkout(source, dest))
    except DjfixError as exc:
        return Outcome(source, "failed", error=_said(str(exc), dest, source), exit_code=EXIT_FAILED)
    except Exception as exc:  # one repository's bug must not stop the others
        return Outcome(
            source,
            "failed",
            error=_said(f"internal error: {type(exc).__name__}: {exc}", dest, source),
            exit_code=EXIT_FAILED,
        )
    return Outcome(
        source, result.status, result.items_fixed, result.pr_url, exit_code=result.exit_code
    )


def _said(message: str, dest: Path, source: Source) -> str:
    """An error as the user can place it: the clone's temporary path is the source's name."""
    return mask_text(message.replace(str(dest), source.name))


class _Progress:
    """A bar on a terminal; one line per finished repository otherwise (CI logs)."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self._bar = None
        if stream.isatty():
            # lazy: typer's styling loads only when a terminal shows the table
            import typer

            self._bar = typer.progressbar(length=total, label="repositories", file=stream)
            self._bar.__enter__()

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        what = outcome.status if outcome.ok else f"failed: {outcome.error}"
        print(f"djfix: [{self.done}/{self.total}] {outcome.source.name}: {what}", file=self.stream)
        self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def run_many(
    file: Path,
    worker: Worker,
    jobs: int,
    *,
    workdir: Path | None = None,
    stream: IO[str] | None = None,
    processes: bool = False,
    preload: Callable[[], object] | None = None,
    clone_timeout: float = CLONE_TIMEOUT,
) -> list[Outcome]:
    """Clone every repository listed in `file` and run `worker` in each clone, `jobs` at a time.

    With `processes`, each repository is worked on in a process of the pool (`worker` must then
    be picklable: a module-level function, or a partial of one); otherwise in a thread. Where the
    pool processes are forked from this one, `preload` runs here first, once: what it loads
    (modules, templates) each process then has from its first repository on. The outcomes come
    back in the file's order. Clones go to a temporary folder removed at the end,
    or to `workdir` (kept) when given."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: at least 1")
    sources = read_sources(file)
    stream = stream if stream is not None else sys.stderr
    root = workdir if workdir is not None else Path(tempfile.mkdtemp(prefix="djfix-repos-"))
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[int, Outcome] = {}
    first_line: dict[str, int] = {}
    progress = _Progress(len(sources), stream)
    todo: dict[int, Path] = {}
    for index, source in enumerate(sources):
        seen = first_line.setdefault(source.location, source.line)
        if seen != source.line:
            outcomes[index] = Outcome(source, f"skipped: listed already on line {seen}")
            progress.advance(outcomes[index])
            continue
        todo[index] = root / f"{index + 1:03d}-{_folder_name(source)}"
    workers = min(jobs, len(sources), MAX_JOBS)
    if 1 < workers < len(todo):
        todo = {index: todo[index] for index in largest_first(list(todo), sources)}
    run = _Run(sources, worker, clone_timeout, outcomes, progress, processes, preload)
    try:
        crashed = run.pool(todo, workers)
        # a pool process that dies (killed, out of memory) breaks the pool, and the work of the
        # other processes with it: each of those repositories runs again in a process of its
        # own, so that only the one that dies again is a failure
        for index in crashed:
            shutil.rmtree(todo[index], ignore_errors=True)
            if run.pool({index: todo[index]}, 1):
                run.record(
                    index,
                    Outcome(
                        sources[index],
                        "failed",
                        error="internal error: the worker process stopped (killed or out of "
                        "memory?)",
                        exit_code=EXIT_FAILED,
                    ),
                )
    finally:
        progress.close()
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return [outcomes[i] for i in range(len(sources))]


@dataclass
class _Run:
    sources: list[Source]
    worker: Worker
    clone_timeout: float
    outcomes: dict[int, Outcome]
    progress: _Progress
    processes: bool
    preload: Callable[[], object] | None  # run once, before the first fork

    def record(self, index: int, outcome: Outcome) -> None:
        self.outcomes[index] = outcome
        self.progress.advance(outcome)

    def _ready_to_fork(self) -> None:
        """This process as the pool processes will begin: loaded and frozen. (multiprocessing
        flushes stdout and stderr before it forks, so nothing waiting there is written twice.)"""
        if self.preload is not None:
            preload, self.preload = self.preload, None
            preload()
        # what is alive now (the modules, above all) lives until the end: the collector leaves
        # it alone from here on, so a collection in a pool process does not write to (and so
        # copy) every page of it, and neither that process nor this one walks it again, at exit
        # either
        gc.freeze()

    def pool(self, todo: dict[int, Path], workers: int) -> list[int]:
        """Work through `todo` ({index: clone folder}); the indexes whose process died."""
        pool: Executor
        processes = self.processes
        if processes:
            # decided for each pool: a thread may have started since the last one
            context = _process_context()
            if context.get_start_method() == "fork":
                self._ready_to_fork()
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_worker_process_start,
            )
        else:
            pool = ThreadPoolExecutor(max_workers=workers)
        crashed: list[int] = []
        interrupted = False
        leaders: list[int] = []  # the pool processes, each leading a process group
        try:
            futures: dict[Future[Outcome], int] = {
                pool.submit(_run_one, self.sources[i], dest, self.worker, self.clone_timeout): i
                for i, dest in todo.items()
            }
            leaders = list(getattr(pool, "_processes", None) or {})
            for future in as_completed(futures):
                index = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    crashed.append(index)
                    continue
                except Exception as exc:  # the result could not come back (not picklable)
                    outcome = Outcome(
                        self.sources[index],
                        "failed",
                        error=f"internal error: {type(exc).__name__}: {exc}",
                        exit_code=EXIT_FAILED,
                    )
                self.record(index, outcome)
        except BaseException:
            interrupted = True
            raise
        finally:
            if interrupted and isinstance(pool, ProcessPoolExecutor):
                _stop_processes(pool)
            # threads: drop what has not started; the running clones end on their own
            pool.shutdown(wait=not (interrupted and processes), cancel_futures=True)
            if crashed:
                # the broken pool ended its processes, not what they had started: a git or a
                # Django run would go on writing in the folder a repository is cloned to again
                _end_groups(leaders)
        return sorted(crashed)


def _process_context() -> multiprocessing.context.BaseContext:
    """How pool processes start. On Linux, forked from this process when it runs one thread:
    a pool process then begins with every module the parent has loaded (the whole pipeline,
    about 1-2 s of imports) instead of starting an interpreter and importing it all again, once
    per process, before its first repository. Elsewhere, and beside other threads (a fork copies
    a lock another thread may hold), a fresh interpreter: fork is unsafe on macOS."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _worker_process_start() -> None:
    """A pool process leads a process group of its own (its Django runs and git commands join
    it): the terminal's Ctrl-C reaches only the parent, which then ends each group whole."""
    os.setpgrp()
    signal.signal(signal.SIGTERM, _stop_pool_process)


def _stop_pool_process(signum: int, frame: object) -> None:
    """SIGTERM in a pool process (Ctrl-C in the parent, or a pool another process broke): a
    clone's git leads a session of its own, out of reach of a signal to this process's group,
    so it is killed here, and waited for (it writes in the folder a retry clones to again);
    then this process ends at once, as the default action would end it."""
    for pid in list(_CLONES):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
    os._exit(128 + signum)


def _stop_processes(pool: ProcessPoolExecutor) -> None:
    running = getattr(pool, "_processes", None) or {}
    for pid in list(running):
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            continue
    for process in list(running.values()):
        process.join(timeout=10)
        if process.is_alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.join(timeout=5)


def _end_groups(leaders: list[int], wait: float = 5.0) -> None:
    """Kill the process groups these (ended) pool processes led, and wait, within `wait`
    seconds, until no process of them runs."""
    for pid in leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    for pid in leaders:
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.01)


def largest_first(indexes: list[int], sources: list[Source]) -> list[int]:
    """The order in which a pool of several workers takes `indexes` (into `sources`): the
    repositories whose size is unknown (clone URLs) first, in the file's order, then the local
    ones, the largest first (ties in the file's order). A free worker takes the next one, so
    the small ones fill in at the end; in the file's order, a large repository that came last
    would run alone while the other workers had nothing left to do."""

    def size(index: int) -> tuple[int, int]:
        known = _tracked_size(sources[index])
        return (0, 0) if known is None else (1, -known)

    return sorted(indexes, key=size)


def _tracked_size(source: Source) -> int | None:
    """A local repository's size, cheaply: the bytes of its git index, which grow with the
    number of files it tracks (an entry a file, about 70 bytes with its path); None for a
    clone URL, or where there is no index to read (a bare repository)."""
    if not source.local:
        return None
    try:
        return (Path(source.location) / ".git" / "index").stat().st_size
    except OSError:
        return None


def _folder_name(source: Source) -> str:
    name = Path(source.location).name if source.local else source.name.replace("/", "-")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:60] or "repo"


def render_table(outcomes: list[Outcome]) -> str:
    """The final table: repository, status, items fixed, pull request URL or error."""
    rows = [("repository", "status", "items fixed", "pull request / error")]
    for o in outcomes:
        last = o.error if o.error is not None else (o.pr_url or "")
        rows.append((o.source.name, o.status, str(o.items_fixed) if o.ok else "-", last))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip()
        for r in rows
    ]
    failed = sum(1 for o in outcomes if not o.ok)
    lines.append(
        f"{len(outcomes)} repositor{'ies' if len(outcomes) != 1 else 'y'}, "
        f"{len(outcomes) - failed} done, {failed} failed"
    )
    return "\n".join(lines) + "\n"


def exit_code(outcomes: list[Outcome]) -> int:
    """3 when any repository failed, else the highest of the repositories' own statuses."""
    if any(o.status == "failed" for o in outcomes):
        return EXIT_FAILED
    return max((o.exit_code for o in outcomes), default=EXIT_CLEAN)
