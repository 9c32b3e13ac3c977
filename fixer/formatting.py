"""Run the project's own formatter on the Python files djfix changed, so its diff is in the house
style.

A formatter counts as the project's when the project declares it: a hook `ruff-format`, `black`
or `isort` in `.pre-commit-config.yaml`, or a `[tool.black]`, `[tool.isort]` or `[tool.ruff]`
table in `pyproject.toml` (`[tool.ruff]` alone counts only when black is not declared: many
projects lint with ruff and format with black). Declared formatters run in the order isort, black,
ruff format, each only if it is installed (on PATH or next to the running Python); a declared
one that is missing becomes a note, never an error.

Only the new text of touched `.py` files is formatted, in memory, through the formatter's stdin
(with the file's real path, so the project's configuration and excludes apply); other files are
never run through a formatter. A file that existed before is formatted only when its old text was
already formatted (the old text is a fixed point of the same formatters): otherwise formatting
would rewrite lines djfix did not write, and the file keeps djfix's text with a note. Files djfix
creates are always formatted. A formatter that fails on a file leaves that file as it was, with a
note.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fixer.changeset import Changeset

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ORDER = ("isort", "black", "ruff")
LABELS = {"isort": "isort", "black": "black", "ruff": "ruff format"}
PRE_COMMIT_HOOKS = {
    "isort": "isort",
    "black": "black",
    "black-jupyter": "black",
    "ruff-format": "ruff",
}
TIMEOUT = 60


@dataclass
class Declared:
    tool: str  # isort, black, ruff
    source: str  # the file that declares it, relative to the project root
    config_dir: Path  # where the formatter runs, so it finds the project's configuration


@dataclass
class FormatReport:
    formatted: dict[str, list[str]] = field(default_factory=dict)  # tool label -> files it changed
    notes: list[str] = field(default_factory=list)


def find_tool(name: str) -> str | None:
    """The formatter's executable: on PATH, or installed next to the running Python."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def _config_dirs(root: Path) -> list[Path]:
    """The project root and its parents up to the repository's top (a `.git` entry)."""
    dirs = []
    current = root.resolve()
    for _ in range(20):
        dirs.append(current)
        if (current / ".git").exists() or current.parent == current:
            break
        current = current.parent
    return dirs


def _pre_commit_hooks(path: Path) -> set[str]:
    # lazy: PyYAML loads only for a repository with a pre-commit configuration
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    hooks: set[str] = set()
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        entries = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in entries if isinstance(entries, list) else []:
            hook_id = hook.get("id") if isinstance(hook, dict) else None
            if hook_id in PRE_COMMIT_HOOKS:
                hooks.add(PRE_COMMIT_HOOKS[hook_id])
    return hooks


def _pyproject_tools(path: Path) -> set[str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set()
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return set()
    return {name for name in ("isort", "black", "ruff") if isinstance(tool.get(name), dict)}


def declared(root: Path) -> list[Declared]:
    """The formatters the project declares, in the order they run."""
    found: dict[str, Declared] = {}
    ruff_from_pyproject: Declared | None = None
    for directory in _config_dirs(root):
        rel = _relative(directory, root)
        pre_commit = directory / ".pre-commit-config.yaml"
        if pre_commit.is_file():
            for tool in _pre_commit_hooks(pre_commit):
                found.setdefault(tool, Declared(tool, rel + pre_commit.name, directory))
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            for tool in _pyproject_tools(pyproject):
                entry = Declared(tool, rel + f"pyproject.toml [tool.{tool}]", directory)
                if tool == "ruff":
                    ruff_from_pyproject = ruff_from_pyproject or entry
                else:
                    found.setdefault(tool, entry)
    if ruff_from_pyproject is not None and "ruff" not in found and "black" not in found:
        found["ruff"] = ruff_from_pyproject
    return [found[tool] for tool in ORDER if tool in found]


def _relative(directory: Path, root: Path) -> str:
    try:
        rel = directory.relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = directory.as_posix()
    return "" if rel == "." else rel + "/"


def _command(tool: str, exe: str, path: Path) -> list[str]:
    if tool == "ruff":
        return [exe, "format", "--quiet", "--stdin-filename", str(path), "-"]
    if tool == "black":
        return [exe, "--quiet", "--stdin-filename", str(path), "-"]
    return [exe, "--quiet", "--filename", str(path), "-"]


def _run(tool: str, exe: str, cwd: Path, path: Path, text: str) -> str:
    """The formatted text; raises RuntimeError with the formatter's message when it fails."""
    try:
        result = subprocess.run(
            _command(tool, exe, path),
            input=text.encode("utf-8"),
            capture_output=True,
            cwd=cwd,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(str(exc)) from exc
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(message[-1] if message else f"exit {result.returncode}")
    formatted = result.stdout.decode("utf-8")
    # a formatter that skips the file (an exclude) prints nothing, or the input unchanged
    return formatted if formatted or not text else text


def _version(exe: str) -> str:
    try:
        result = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"\d+\.\d+(\.\d+)?", result.stdout)
    return match.group(0) if match else ""


def format_changeset(changeset: Changeset, root: Path) -> FormatReport:
    """Format the touched `.py` files of `changeset` in place (through `changeset.write`)."""
    report = FormatReport()
    targets = [c for c in changeset.changes() if c.rel.endswith(".py")]
    if not targets:
        return report
    tools: list[tuple[Declared, str]] = []
    for entry in declared(root):
        exe = find_tool(entry.tool)
        if exe is None:
            report.notes.append(
                f"{LABELS[entry.tool]} is declared in {entry.source} but not installed: the files "
                f"djfix changed are not formatted with it "
                f"({', '.join(c.rel for c in targets)})"
            )
        else:
            tools.append((entry, exe))
    if not tools:
        return report

    def pipeline(text: str, path: Path) -> tuple[str, list[str]]:
        changed_by = []
        for entry, exe in tools:
            new = _run(entry.tool, exe, entry.config_dir, path, text)
            if new != text:
                changed_by.append(LABELS[entry.tool])
            text = new
        return text, changed_by

    unformatted_before: list[str] = []
    for change in targets:
        path = root / change.rel
        try:
            if change.old is not None and pipeline(change.old, path)[0] != change.old:
                unformatted_before.append(change.rel)
                continue
            new, changed_by = pipeline(change.new, path)
        except RuntimeError as exc:
            report.notes.append(
                f"{change.rel}: the formatter failed ({exc}); left as djfix wrote it"
            )
            continue
        except UnicodeDecodeError:
            report.notes.append(f"{change.rel}: the formatter's output is not UTF-8; left as is")
            continue
        if new != change.new:
            changeset.write(change.rel, new)
        for label in changed_by:
            report.formatted.setdefault(label, []).append(change.rel)
    names = ", ".join(
        f"{LABELS[e.tool]} {_version(exe)}".strip() + f" (from {e.source})" for e, exe in tools
    )
    if report.formatted:
        report.notes.append(
            f"formatted with {names}: "
            + "; ".join(f"{label}: {', '.join(rels)}" for label, rels in report.formatted.items())
        )
    if unformatted_before:
        report.notes.append(
            f"not formatted, because they were not formatted with {names} before djfix changed "
            f"them and formatting would rewrite lines djfix did not write: "
            + ", ".join(unformatted_before)
        )
    return report
