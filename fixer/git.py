"""The few questions djfix asks git about the target repository.

Every call runs the real `git` in the repository; a folder that is not a git work tree answers
"not a repository" rather than failing. The second half builds branches and commits for
`fixer.handover`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fixer import redaction
from fixer.errors import DjfixError


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def is_repository(root: Path) -> bool:
    try:
        result = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def dirty_paths(root: Path) -> list[str]:
    """Tracked files with uncommitted changes (staged or not), relative to the top of the work
    tree, unquoted (read with -z: a non-ASCII or odd name is seen as it is). A rename gives both
    of its paths."""
    result = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "-z", "--untracked-files=no"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    fields = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC" or entry[1] in "RC":  # the source path follows as its own field
            if i < len(fields) and fields[i]:
                paths.append(fields[i])
            i += 1
    return paths


def untracked_files(root: Path, rels: list[str]) -> list[str]:
    """Those of `rels` (relative to `root`) that exist, are not tracked, and not ignored."""
    if not rels:
        return []
    result = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--others", "--exclude-standard", "--", *rels],
        capture_output=True,
        check=False,
        timeout=60,
    )
    listed = set(result.stdout.decode("utf-8", "surrogateescape").split("\0"))
    return [rel for rel in rels if rel in listed]


def is_tracked(root: Path, rel: str) -> bool:
    return _git(root, "ls-files", "--error-unmatch", "--", rel).returncode == 0


def is_ignored(root: Path, rel: str) -> bool:
    return _git(root, "check-ignore", "-q", "--no-index", "--", rel).returncode == 0


# -- building branches and commits without touching the user's checkout ---------------------------
#
# Commits are made with git's plumbing (hash-object, a temporary index, write-tree, commit-tree,
# update-ref): the user's work tree, index and current branch are never read or written by them,
# no hook runs, and the branch moves in one atomic `update-ref` that names the value it replaces.

# git's own way to say "this ref must not exist yet" to update-ref
ZERO_SHA = "0" * 40
# who commits when git has no identity configured (a fresh CI runner, a container)
FALLBACK_NAME = "djfix"
FALLBACK_EMAIL = "djfix@localhost"


class GitError(DjfixError):
    """A git command djfix needed failed; the message says which and what git said."""


def redact(text: str) -> str:
    """Hide the user-info part of URLs (a token in a remote URL, in any position) and tokens
    of a known format in text shown to the user."""
    return redaction.mask_text(text)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal nobody watches
    env["LC_ALL"] = "C"
    env.pop("GIT_INDEX_FILE", None)
    env.update(extra or {})
    return env


def run(
    root: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run git in `root`; with `check`, a failure raises GitError with git's message."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input,
            capture_output=True,
            check=False,
            timeout=timeout,
            env=_env(env),
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"`git {args[0]}` did not finish within {timeout:.0f} seconds") from exc
    if check and result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        raise GitError(redact(f"`git {' '.join(args[:2])}` failed: {said}"))
    return result


def out(root: Path, *args: str, **kwargs) -> str:
    return run(root, *args, **kwargs).stdout.decode("utf-8", "replace").strip()


def toplevel(root: Path) -> Path:
    return Path(out(root, "rev-parse", "--show-toplevel"))


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name; None when HEAD is detached."""
    result = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if result.returncode != 0:
        return None
    return result.stdout.decode().strip()


def resolve(root: Path, rev: str) -> str | None:
    """The commit `rev` names, or None (an unborn branch, a missing ref)."""
    result = run(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return result.stdout.decode().strip() if result.returncode == 0 else None


def valid_branch_name(root: Path, branch: str) -> bool:
    return run(root, "check-ref-format", "--branch", branch, check=False).returncode == 0


def tree_of(root: Path, commit: str) -> str:
    return out(root, "rev-parse", f"{commit}^{{tree}}")


def entries(root: Path, commit: str, paths: list[str]) -> dict[str, tuple[str, str]]:
    """{path: (mode, object)} of the given repository-relative paths that exist in `commit`."""
    found: dict[str, tuple[str, str]] = {}
    if not paths:
        return found
    raw = run(root, "ls-tree", "-z", "--full-tree", commit, "--", *paths).stdout
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, _kind, sha = meta.decode().split()
        found[path.decode("utf-8", "surrogateescape")] = (mode, sha)
    return found


def hash_blob(root: Path, path: str, data: bytes) -> str:
    """Store `data` as the blob of `path`, through the path's clean filters (eol, attributes)."""
    return out(root, "hash-object", "-w", "--stdin", f"--path={path}", input=data)


@contextmanager
def temporary_index(root: Path, base: str) -> Iterator[TreeBuilder]:
    """A private index holding `base`'s tree; the user's own index is never used."""
    with tempfile.TemporaryDirectory(prefix="djfix-index-") as tmp:
        builder = TreeBuilder(root, {"GIT_INDEX_FILE": str(Path(tmp) / "index")})
        run(root, "read-tree", base, env=builder.env)
        yield builder


@dataclass
class TreeBuilder:
    root: Path
    env: dict[str, str]

    def put(self, files: list[tuple[str, str, str]]) -> None:
        """Set (mode, blob, path) entries."""
        if files:
            info = "".join(f"{mode} {sha}\t{path}\0" for mode, sha, path in files)
            run(self.root, "update-index", "-z", "--index-info", input=info.encode(), env=self.env)

    def write(self) -> str:
        return out(self.root, "write-tree", env=self.env)


def identity_env(root: Path) -> tuple[dict[str, str], bool]:
    """Environment for commit-tree: the user's identity when git has one, else djfix's.
    The flag says whether the fallback was used."""
    ok = all(
        run(root, "var", var, check=False).returncode == 0
        for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT")
    )
    if ok:
        return {}, False
    return {
        "GIT_AUTHOR_NAME": FALLBACK_NAME,
        "GIT_AUTHOR_EMAIL": FALLBACK_EMAIL,
        "GIT_COMMITTER_NAME": FALLBACK_NAME,
        "GIT_COMMITTER_EMAIL": FALLBACK_EMAIL,
    }, True


def commit_tree(root: Path, tree: str, parent: str, message: str, env: dict[str, str]) -> str:
    return out(root, "commit-tree", tree, "-p", parent, "-F", "-", input=message.encode(), env=env)


def update_ref(root: Path, branch: str, new: str, old: str | None, reason: str) -> None:
    """Move (or create, when `old` is None) the branch to `new`, only if it still is at `old`."""
    run(root, "update-ref", "-m", reason, f"refs/heads/{branch}", new, old or ZERO_SHA)


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    return (
        run(root, "merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0
    )


def commit_messages(root: Path, *revs: str, limit: int = 500) -> list[tuple[str, str]]:
    """(sha, full message) of the commits `git rev-list revs` lists, newest first, at most
    `limit` + 1 (so a caller can tell that there were more)."""
    raw = run(root, "log", f"--max-count={limit + 1}", "--format=%H%x00%B%x1e", *revs, "--").stdout
    commits = []
    for record in raw.decode("utf-8", "replace").split("\x1e"):
        record = record.strip("\n")
        if record:
            sha, _, message = record.partition("\0")
            commits.append((sha, message))
    return commits


def worktree_of(root: Path, branch: str) -> Path | None:
    """The work tree (this one or another) where `branch` is checked out, if any."""
    text = out(root, "worktree", "list", "--porcelain")
    path: Path | None = None
    for line in text.splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree ") :])
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def switch(root: Path, branch: str) -> str | None:
    """Check `branch` out (keeping local changes git can carry). None on success, else git's
    reason for refusing; a refusal changes nothing."""
    result = run(root, "checkout", "--quiet", branch, "--", check=False)
    if result.returncode == 0:
        return None
    return redact(result.stderr.decode("utf-8", "replace").strip())


def fast_forward(root: Path, commit: str) -> str | None:
    """Fast-forward the checked-out branch and its files to `commit`; None on success, else why
    git refused (nothing changed then)."""
    result = run(root, "merge", "--ff-only", "--quiet", commit, check=False)
    if result.returncode == 0:
        return None
    return redact(result.stderr.decode("utf-8", "replace").strip())


def remotes(root: Path) -> list[str]:
    return out(root, "remote").split()


def fetch_branch(root: Path, remote: str, branch: str) -> str | None:
    """Fetch the remote's `branch` into its remote-tracking ref; None when the remote has no
    such branch. Raises GitError when the remote cannot be reached."""
    listed = run(
        root, "ls-remote", "--heads", remote, f"refs/heads/{branch}", timeout=300
    ).stdout.decode()
    if not listed.strip():
        return None
    tracking = f"refs/remotes/{remote}/{branch}"
    run(
        root,
        "fetch",
        "--quiet",
        "--no-tags",
        remote,
        f"+refs/heads/{branch}:{tracking}",
        timeout=300,
    )
    return resolve(root, tracking)


def push(root: Path, remote: str, branch: str, expected: str | None) -> subprocess.CompletedProcess:
    """Push `branch` to `remote`, replacing the remote branch only if it is still at `expected`
    (None: only if the remote has no such branch)."""
    ref = f"refs/heads/{branch}"
    return run(
        root,
        "push",
        "--porcelain",
        f"--force-with-lease={ref}:{expected or ''}",
        remote,
        f"{ref}:{ref}",
        timeout=300,
        check=False,
    )
