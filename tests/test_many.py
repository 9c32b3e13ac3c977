"""`djfix apply --repos FILE`: clones, a bounded worker pool, progress, the final table."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from subprocess import DEVNULL

import pytest

from fixer import many
from fixer.errors import DjfixError, UsageError
from fixer.many import Checkout, Outcome, RepoResult, Source, read_sources, render_table, run_many


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def make_repo(path: Path, marker: str) -> Path:
    path.mkdir(parents=True)
    (path / "README.md").write_text(f"{marker}\n")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    return path


def committing_worker(checkout: Checkout) -> RepoResult:
    """Stands in for the apply pipeline: changes a file in the clone and commits it."""
    readme = checkout.path / "README.md"
    if "broken" in readme.read_text():
        raise DjfixError("settings module mysite.settings not found")
    readme.write_text(readme.read_text() + "fixed\n")
    git(
        checkout.path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qam",
        "djfix: fix",
    )
    fixed = len(readme.read_text().splitlines())
    return RepoResult("fixed", fixed, f"https://example.test/{checkout.source.name}/pull/1", 1)


@pytest.fixture
def three(tmp_path: Path) -> tuple[Path, list[Path]]:
    """Three local repositories, the second of which the worker cannot fix."""
    repos = [
        make_repo(tmp_path / "repos" / "alpha", "alpha"),
        make_repo(tmp_path / "repos" / "broken", "broken"),
        make_repo(tmp_path / "repos" / "gamma.git", "gamma"),
    ]
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "# repositories djfix works on\n"
        "\n"
        "repos/alpha   # relative to this file\n"
        f"{repos[1]}\n"
        f"file://{repos[2]}\n"
    )
    return listing, repos


# -- reading the file ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match=r"--repos .*nothing\.txt: no such file"):
        read_sources(tmp_path / "nothing.txt")


def test_only_comments(tmp_path):
    listing = tmp_path / "repos.txt"
    listing.write_text("# none yet\n\n   # indented comment\n")
    with pytest.raises(UsageError, match="no repository listed"):
        read_sources(listing)


def test_read_sources_forms(tmp_path):
    listing = tmp_path / "list" / "repos.txt"
    listing.parent.mkdir()
    listing.write_text(
        "https://github.com/acme/shop.git\n"
        "git@gitlab.example.com:group/sub/api.git  # scp-like\n"
        "https://x-access-token:s3cret@github.com/acme/private.git\n"
        "../checkouts/blog\n"
        "/srv/repos/wiki\n"
        "file:///srv/repos/mirror.git#not-a-comment\n"
    )
    sources = read_sources(listing)
    assert [(s.text, s.line, s.location, s.local, s.name) for s in sources] == [
        (
            "https://github.com/acme/shop.git",
            1,
            "https://github.com/acme/shop.git",
            False,
            "acme/shop",
        ),
        (
            "git@gitlab.example.com:group/sub/api.git",
            2,
            "git@gitlab.example.com:group/sub/api.git",
            False,
            "sub/api",
        ),
        (
            "https://***@github.com/acme/private.git",
            3,
            "https://x-access-token:s3cret@github.com/acme/private.git",
            False,
            "acme/private",
        ),
        (
            "../checkouts/blog",
            4,
            str(tmp_path / "list" / ".." / "checkouts" / "blog"),
            True,
            "../checkouts/blog",
        ),
        ("/srv/repos/wiki", 5, "/srv/repos/wiki", True, "/srv/repos/wiki"),
        (
            "file:///srv/repos/mirror.git#not-a-comment",
            6,
            "file:///srv/repos/mirror.git#not-a-comment",
            False,
            "repos/mirror.git#not-a-comment",
        ),
    ]


def test_jobs_must_be_positive(three):
    listing, _ = three
    with pytest.raises(UsageError, match="--jobs 0: at least 1"):
        run_many(listing, committing_worker, 0, stream=io.StringIO())


# -- the run ------------------------------------------------------------------------------------


def test_one_failure_does_not_stop_the_others(three):
    listing, repos = three
    heads = [git(r, "rev-parse", "HEAD") for r in repos]
    stream = io.StringIO()
    seen_paths: list[Path] = []

    def worker(checkout: Checkout) -> RepoResult:
        seen_paths.append(checkout.path)
        return committing_worker(checkout)

    outcomes = run_many(listing, worker, 2, stream=stream)

    assert [
        (o.source.name, o.status, o.items_fixed, o.pr_url, o.error, o.exit_code) for o in outcomes
    ] == [
        ("repos/alpha", "fixed", 2, "https://example.test/repos/alpha/pull/1", None, 1),
        (str(repos[1]), "failed", 0, None, "settings module mysite.settings not found", 3),
        ("repos/gamma", "fixed", 2, "https://example.test/repos/gamma/pull/1", None, 1),
    ]
    assert many.exit_code(outcomes) == 3
    # the clones were made apart from the user's repositories, which are untouched, and are gone
    for repo, head in zip(repos, heads, strict=True):
        assert git(repo, "rev-parse", "HEAD") == head
        assert git(repo, "status", "--porcelain") == ""
    assert len(seen_paths) == 3
    assert all(not p.exists() for p in seen_paths)
    assert all(repo not in p.parents and p != repo for p in seen_paths for repo in repos)
    # one line per repository when stderr is not a terminal
    lines = sorted(stream.getvalue().splitlines())
    assert len(lines) == 3
    assert lines[0].startswith("djfix: [1/3] ")
    assert {line.split("] ", 1)[1] for line in lines} == {
        "repos/alpha: fixed",
        f"{repos[1]}: failed: settings module mysite.settings not found",
        "repos/gamma: fixed",
    }


def test_final_table(three):
    listing, repos = three
    outcomes = run_many(listing, committing_worker, 3, stream=io.StringIO())
    width = len(str(repos[1]))
    assert render_table(outcomes) == (
        f"{'repository':<{width}}  status  items fixed  pull request / error\n"
        f"{'repos/alpha':<{width}}  fixed             2  https://example.test/repos/alpha/pull/1\n"
        f"{repos[1]!s:<{width}}  failed            -  "
        "settings module mysite.settings not found\n"
        f"{'repos/gamma':<{width}}  fixed             2  "
        "https://example.test/repos/gamma/pull/1\n"
        "3 repositories, 2 done, 1 failed\n"
    )


def test_clone_failures_are_rows_too(tmp_path):
    good = make_repo(tmp_path / "good", "good")
    plain = tmp_path / "plain"
    plain.mkdir()
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{tmp_path / 'missing'}\n{plain}\n{good}\nfile://{tmp_path}/nowhere.git\n")

    outcomes = run_many(listing, committing_worker, 4, stream=io.StringIO())

    assert [o.status for o in outcomes] == ["failed", "failed", "fixed", "failed"]
    assert outcomes[0].error == f"{tmp_path / 'missing'}: no such directory"
    assert outcomes[1].error.startswith("git clone failed: ")
    assert outcomes[3].error.startswith("git clone failed: ")


def test_a_worker_bug_is_an_internal_error_of_that_repository_only(three):
    listing, _ = three

    def worker(checkout: Checkout) -> RepoResult:
        if checkout.source.name == "repos/alpha":
            # errors name the repository, not the temporary clone
            raise KeyError(str(checkout.path))
        return RepoResult("nothing to do")

    outcomes = run_many(listing, worker, 2, stream=io.StringIO())
    assert [(o.status, o.error) for o in outcomes] == [
        ("failed", "internal error: KeyError: 'repos/alpha'"),
        ("nothing to do", None),
        ("nothing to do", None),
    ]


def test_listed_twice_is_done_once(three):
    listing, repos = three
    listing.write_text(listing.read_text() + "repos/alpha\n")
    calls: list[str] = []
    lock = threading.Lock()

    def worker(checkout: Checkout) -> RepoResult:
        with lock:
            calls.append(checkout.source.name)
        return RepoResult("nothing to do")

    outcomes = run_many(listing, worker, 2, stream=io.StringIO())
    assert sorted(calls) == sorted(["repos/alpha", str(repos[1]), "repos/gamma"])
    assert (outcomes[3].status, outcomes[3].error) == ("skipped: listed already on line 3", None)
    assert many.exit_code(outcomes) == 0


def test_workers_run_in_parallel_within_the_bound(three):
    listing, _ = three
    # two workers must meet: a serial run would break the barrier and fail both
    barrier = threading.Barrier(2, timeout=10)
    lock = threading.Lock()
    running = 0
    peak = 0

    def worker(checkout: Checkout) -> RepoResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            if checkout.source.name != "repos/gamma":
                barrier.wait()
            return RepoResult("nothing to do")
        finally:
            with lock:
                running -= 1

    outcomes = run_many(listing, worker, 2, stream=io.StringIO())
    assert [o.error for o in outcomes] == [None, None, None]
    assert peak == 2


def test_one_job_runs_one_at_a_time(three):
    listing, _ = three
    lock = threading.Lock()
    running = 0
    peak = 0

    def worker(checkout: Checkout) -> RepoResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        with lock:
            running -= 1
        return RepoResult("nothing to do")

    run_many(listing, worker, 1, stream=io.StringIO())
    assert peak == 1


def make_sized_repo(path: Path, files: int) -> Path:
    make_repo(path, path.name)
    for n in range(files):
        (path / f"module_{n}.py").write_text(f"VALUE = {n}\n")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "more")
    return path


def test_one_worker_takes_the_file_order(tmp_path):
    small = make_sized_repo(tmp_path / "small", 1)
    large = make_sized_repo(tmp_path / "large", 20)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{small}\n{large}\n")
    stream = io.StringIO()
    run_many(listing, lambda c: RepoResult("nothing to do"), 1, stream=stream)
    assert stream.getvalue() == (
        f"djfix: [1/2] {small}: nothing to do\ndjfix: [2/2] {large}: nothing to do\n"
    )


def test_the_largest_local_repositories_are_handed_out_first(tmp_path):
    one = make_sized_repo(tmp_path / "one", 1)
    nine = make_sized_repo(tmp_path / "nine", 9)
    five = make_sized_repo(tmp_path / "five", 5)
    bare = tmp_path / "bare.git"  # no index: its size is unknown
    git(tmp_path, "clone", "-q", "--bare", str(five), str(bare))
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{one}\n{nine}\nfile://{five}\n{bare}\n{five}\n")
    sources = read_sources(listing)
    # unknown sizes first (a clone URL, a bare repository) in the file's order, then by size
    assert many.largest_first([0, 1, 2, 3, 4], sources) == [2, 3, 1, 4, 0]


def test_workdir_is_kept(three, tmp_path):
    listing, _ = three
    workdir = tmp_path / "work"
    outcomes = run_many(listing, committing_worker, 2, workdir=workdir, stream=io.StringIO())
    assert [o.status for o in outcomes] == ["fixed", "failed", "fixed"]
    assert sorted(p.name for p in workdir.iterdir()) == [
        "001-alpha",
        "002-broken",
        "003-repos-gamma",
    ]
    assert git(workdir / "001-alpha", "log", "-1", "--format=%s").strip() == "djfix: fix"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(three):
    listing, _ = three
    stream = _Terminal()
    run_many(listing, lambda c: RepoResult("nothing to do"), 2, stream=stream)
    text = stream.getvalue()
    assert "repositories" in text
    assert "djfix: [" not in text


def test_exit_code():
    source = Source("a", 1, "/a", True)
    assert many.exit_code([Outcome(source, "nothing to do")]) == 0
    assert (
        many.exit_code([Outcome(source, "fixed", exit_code=1), Outcome(source, "nothing to do")])
        == 1
    )
    assert (
        many.exit_code(
            [
                Outcome(source, "failed", error="x", exit_code=3),
                Outcome(source, "fixed", exit_code=1),
            ]
        )
        == 3
    )


# -- processes ----------------------------------------------------------------------------------


def pid_worker(checkout: Checkout) -> RepoResult:
    """A module-level worker (a pool process imports it): says which process ran it."""
    committing_worker(checkout)
    return RepoResult(f"fixed in {os.getpid()}", 1)


def test_processes_run_each_repository_in_a_pool_process(three):
    listing, _ = three
    stream = io.StringIO()
    outcomes = run_many(listing, pid_worker, 2, stream=stream, processes=True)
    assert [o.error for o in outcomes] == [
        None,
        "settings module mysite.settings not found",
        None,
    ]
    pids = {int(o.status.rsplit(" ", 1)[1]) for o in outcomes if o.ok}
    assert os.getpid() not in pids
    assert all(p > 0 for p in pids)
    assert many.exit_code(outcomes) == 3
    # the progress lines name the repositories in the same words as with threads
    assert stream.getvalue().count("djfix: [") == 3


preloaded_by: list[int] = []  # the processes that ran `preload_marker`


def preload_marker() -> None:
    preloaded_by.append(os.getpid())


def preload_worker(checkout: Checkout) -> RepoResult:
    """Says which processes had preloaded, as this process sees it."""
    committing_worker(checkout)
    return RepoResult(f"preloaded by {preloaded_by}", 1)


LINUX = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="pool processes are forked on Linux only"
)


@LINUX
def test_pool_processes_start_with_what_the_parent_preloaded(three):
    listing, _ = three
    preloaded_by.clear()
    outcomes = run_many(
        listing, preload_worker, 2, stream=io.StringIO(), processes=True, preload=preload_marker
    )
    # loaded once, here, before the fork: each pool process has it without loading it again
    assert preloaded_by == [os.getpid()]
    assert [o.status for o in outcomes] == [
        f"preloaded by [{os.getpid()}]",
        "failed",
        f"preloaded by [{os.getpid()}]",
    ]
    assert outcomes[1].error == "settings module mysite.settings not found"


def test_threads_preload_nothing(three):
    listing, _ = three
    preloaded_by.clear()
    outcomes = run_many(listing, preload_worker, 2, stream=io.StringIO(), preload=preload_marker)
    assert preloaded_by == []
    assert [o.status for o in outcomes] == ["preloaded by []", "failed", "preloaded by []"]


@LINUX
def test_no_fork_beside_another_thread(three):
    """A fork copies the locks other threads hold: with one running, pool processes start fresh
    (spawn), and the preload that would serve only a fork is not run."""
    listing, _ = three
    preloaded_by.clear()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        outcomes = run_many(
            listing, preload_worker, 2, stream=io.StringIO(), processes=True, preload=preload_marker
        )
    finally:
        stop.set()
        other.join()
    assert preloaded_by == []
    assert [o.status for o in outcomes] == ["preloaded by []", "failed", "preloaded by []"]


@LINUX
def test_output_waiting_in_the_parent_is_written_once(three, tmp_path):
    """A forked process flushes the stdout buffer it copied when it ends: text the parent
    printed before the pool is written once, not once more per process."""
    listing, _ = three
    script = (
        "import io, sys\n"
        "from pathlib import Path\n"
        "from fixer.many import run_many\n"
        "from tests.test_many import pid_worker\n"
        "print('before the pool', end=' ')\n"  # a pipe: block-buffered, still waiting
        f"run_many(Path({str(listing)!r}), pid_worker, 2, stream=io.StringIO(), processes=True)\n"
        "print('after')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "before the pool after\n"


# -- git never waits for ever -------------------------------------------------------------------


@pytest.fixture
def silent_server():
    """A loopback TCP server that accepts connections and never sends a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["git", "http"])
def test_a_server_that_never_answers_fails_within_the_time_limit(tmp_path, silent_server, scheme):
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{scheme}://127.0.0.1:{silent_server}/team/shop.git\n")
    start = time.monotonic()
    outcomes = run_many(listing, committing_worker, 1, stream=io.StringIO(), clone_timeout=1.5)
    assert time.monotonic() - start < 15
    assert [(o.source.name, o.status) for o in outcomes] == [("team/shop", "failed")]
    assert outcomes[0].error == (
        "git clone gave no result within 1.5 s (a server that does not answer?)"
    )


def test_a_transport_that_runs_a_command_is_refused(tmp_path):
    listing = tmp_path / "repos.txt"
    listing.write_text("ext::false\nfd::3\n")
    outcomes = run_many(listing, committing_worker, 2, stream=io.StringIO(), clone_timeout=30)
    assert [o.error for o in outcomes] == [
        "git clone failed: fatal: transport 'ext' not allowed",
        "git clone failed: fatal: transport 'fd' not allowed",
    ]


def test_git_is_told_never_to_prompt():
    env = many._git_environment()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert "GIT_ASKPASS" not in env and "SSH_ASKPASS" not in env
    assert env["GIT_ALLOW_PROTOCOL"] == "https:http:ssh:git:file"
    assert "BatchMode=yes" in env["GIT_SSH_COMMAND"]
    config = many._git_config()
    assert config[:2] == ["-c", "protocol.allow=never"]
    assert "credential.helper=" in config


# -- Ctrl-C -------------------------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _marked(marker: str) -> list[int]:
    """Every live process whose environment holds `marker`: all that a run started, whatever
    became of their parents."""
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def sleeping_worker(checkout: Checkout) -> RepoResult:
    """Starts a child of its own (as git or a Django run would), says so, and waits."""
    subprocess.Popen(["sleep", "300"], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    (checkout.path.parent / f"busy-{os.getpid()}").touch()
    time.sleep(300)
    return RepoResult("fixed", 1)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_sigint_to_the_parent_stops_every_pool_process_and_what_it_started(three, tmp_path):
    listing, _ = three
    workdir = tmp_path / "clones"
    name, value = "DJFIX_TEST_RUN", f"{os.getpid()}-{time.monotonic_ns()}"
    marker = f"{name}={value}"
    script = (
        "import io, signal, sys\n"
        # Ctrl-C as a terminal delivers it: a shell's background job (a CI step's) starts with
        # SIGINT ignored, and Python then installs no handler (djfix's command line sets one)
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from pathlib import Path\n"
        "from fixer.many import run_many\n"
        "from tests.test_many import sleeping_worker\n"
        "try:\n"
        f"    run_many(Path({str(listing)!r}), sleeping_worker, 2, workdir=Path({str(workdir)!r}),"
        " stream=io.StringIO(), processes=True)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, name: value},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # both pool processes are in a repository, each with a child of its own
        while time.monotonic() < deadline and len(list(workdir.glob("busy-*"))) < 2:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert len(list(workdir.glob("busy-*"))) == 2
        assert len(_marked(marker)) >= 5  # the parent, two pool processes, their two sleeps
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _marked(marker):
            time.sleep(0.1)
        assert _marked(marker) == []
    finally:
        _end_run(proc, marker)


def _end_run(proc: subprocess.Popen[str], marker: str) -> None:
    """A failed run leaves nothing behind for the next test, and never hangs the suite: what the
    run started (its pool processes, which hold the parent's output pipes, and their children)
    is killed before the parent's output is read."""
    if proc.poll() is None:
        proc.kill()
    for pid in _marked(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=30)


def _command(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_sigint_during_clones_ends_them_too(tmp_path, silent_server):
    """A clone runs git in a session of its own (its time limit ends git's helpers too), out of
    reach of a signal to the pool process's group: stopping the pool process ends it first."""
    listing = tmp_path / "repos.txt"
    listing.write_text(
        f"http://127.0.0.1:{silent_server}/team/shop.git\n"
        f"http://127.0.0.1:{silent_server}/team/blog.git\n"
    )
    name, value = "DJFIX_TEST_RUN", f"{os.getpid()}-{time.monotonic_ns()}"
    marker = f"{name}={value}"
    script = (
        "import io, signal, sys\n"
        # Ctrl-C as a terminal delivers it: a shell's background job (a CI step's) starts with
        # SIGINT ignored, and Python then installs no handler (djfix's command line sets one)
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from pathlib import Path\n"
        "from fixer.many import run_many\n"
        "from tests.test_many import committing_worker\n"
        "try:\n"
        f"    run_many(Path({str(listing)!r}), committing_worker, 2, stream=io.StringIO(),"
        " processes=True)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, name: value},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        clones: list[int] = []
        while time.monotonic() < deadline and len(clones) < 2:
            assert proc.poll() is None, proc.communicate()
            clones = [p for p in _marked(marker) if " clone " in _command(p)]
            time.sleep(0.05)
        # both pool processes wait on a server that never answers (a sample may also catch a
        # clone's own short-lived helper process, so at least two)
        assert len(clones) >= 2
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _marked(marker):
            time.sleep(0.1)
        assert [_command(p) for p in _marked(marker)] == []
    finally:
        _end_run(proc, marker)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_ctrl_c_stops_every_worker(tmp_path):
    from tests.conftest import PROJECTS

    fleet = []
    for n in range(6):
        repo = tmp_path / "fleet" / f"shop{n}"
        shutil.copytree(PROJECTS / "legacy_single", repo)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "i")
        fleet.append(repo)
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"{p}\n" for p in fleet))
    workdir = tmp_path / "clones"
    name, value = "DJFIX_TEST_RUN", f"{os.getpid()}-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "fixer", "apply", "--repos", str(listing), "-j", "2"),
            *("--workdir", str(workdir), "--python", "none"),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, name: value},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        # wait until both pool processes work on a clone
        while time.monotonic() < deadline:
            if workdir.is_dir() and len(list(workdir.iterdir())) >= 2:
                workers = _descendants(proc.pid)
                if len(workers) >= 2:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert len(workers) >= 2
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    # the final table is not printed for an interrupted run, and no worker is left running
    assert "repositories," not in out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)]
    # nor anything the run started (git, a Django run), whichever process started it
    assert _marked(f"{name}={value}") == []


def crashing_worker(checkout: Checkout) -> RepoResult:
    """Dies the way a process killed for memory does, for the repository marked broken."""
    if "broken" in (checkout.path / "README.md").read_text():
        os._exit(9)
    return pid_worker(checkout)


def writing_worker(checkout: Checkout) -> RepoResult:
    """For the repository marked broken: dies once another pool process is busy with a child
    writing in its clone (as a git or a Django run would be), or done. For the others: that
    child, for 2 s, then a commit."""
    if "broken" in (checkout.path / "README.md").read_text():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            (clone / mark).exists()
            for clone in checkout.path.parent.iterdir()
            for mark in ("writing", "done")
        ):
            time.sleep(0.01)
        os._exit(9)
    script = "touch writing; while [ $SECONDS -lt 2 ]; do mkdir -p out/$RANDOM; done"
    subprocess.run(["bash", "-c", script], cwd=checkout.path, check=True, timeout=30)
    shutil.rmtree(checkout.path / "out")
    (checkout.path / "writing").rename(checkout.path / "done")
    return pid_worker(checkout)


def test_what_a_dying_pool_took_down_runs_again_in_a_clean_clone(three, tmp_path):
    """The pool process that dies takes the others down, but not what they started: that is
    ended too before their repositories are cloned again, or it would still write in the folder
    the new clone goes to."""
    listing, _ = three
    outcomes = run_many(listing, writing_worker, 2, stream=io.StringIO(), processes=True)
    assert [(o.status.split(" in ")[0], o.error) for o in outcomes] == [
        ("fixed", None),
        ("failed", "internal error: the worker process stopped (killed or out of memory?)"),
        ("fixed", None),
    ]


def test_a_worker_process_that_dies_fails_its_repository_only(three):
    listing, _ = three
    outcomes = run_many(listing, crashing_worker, 2, stream=io.StringIO(), processes=True)
    assert [o.status.split(" in ")[0] for o in outcomes] == ["fixed", "failed", "fixed"], [
        o.error for o in outcomes
    ]
    assert outcomes[1].error == (
        "internal error: the worker process stopped (killed or out of memory?)"
    )
    assert [o.error for o in (outcomes[0], outcomes[2])] == [None, None]
