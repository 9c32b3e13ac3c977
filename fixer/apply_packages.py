"""The packages a planned change adds (django-environ...), as apply's own runs need them: which
the project's interpreter lacks (asked of it, never assumed), their install into a folder aside
(the interpreter's environment is never changed), and the hint that tells the user what to
install before running the branch."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from fixer.apply import ApplyResult

#: seconds pip may take to install the packages a planned change adds
INSTALL_TIMEOUT = 300
#: the line the probe prints last: without it the probe did not finish
PROBED = "DJFIX-PROBED"
# Runs in the project's interpreter, which may be as old as Python 3.6: importlib.metadata
# (3.8+) where it exists, else pkg_resources, else an import of the package's module.
_MISSING_PROBE = """\
import importlib, sys
try:
    import importlib.metadata as metadata
except ImportError:
    metadata = None
try:
    import pkg_resources
except ImportError:
    pkg_resources = None
# the module a package djfix adds is imported as, where it is not the package's name
MODULES = {"django-environ": "environ"}
def missing(name):
    if metadata is not None:
        try:
            metadata.distribution(name)
            return False
        except metadata.PackageNotFoundError:
            return True
    if pkg_resources is not None:
        try:
            pkg_resources.get_distribution(name)
            return False
        except pkg_resources.DistributionNotFound:
            return True
    try:
        importlib.import_module(MODULES.get(name.lower(), name.replace("-", "_")))
        return False
    except ImportError:
        return True
for name in sys.argv[1:]:
    if missing(name):
        print("DJFIX-MISSING", name)
print("DJFIX-PROBED")
"""


def missing_packages(python: str, names: list[str], cwd: Path) -> tuple[set[str] | None, str]:
    """The packages of `names` the interpreter lacks, or None and why the question failed (a
    failed probe is said, never taken as "nothing missing")."""
    try:
        probe = subprocess.run(
            [python, "-c", _MISSING_PROBE, *names],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=cwd,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"could not tell which packages are missing: {exc}"
    lines = probe.stdout.splitlines()
    if probe.returncode != 0 or PROBED not in lines:
        said = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [
            f"exit {probe.returncode}"
        ]
        return None, f"could not tell which packages are missing: {python}: {said[0]}"
    return {ln.split(" ", 1)[1] for ln in lines if ln.startswith("DJFIX-MISSING ")}, ""


def added_requirements(result: ApplyResult) -> list[str]:
    """The packages the planned change adds to the dependency files, as the files pin them
    (`django-environ==0.12.0`), or by name where no pin is written (poetry, Pipfile)."""
    texts = [c.new for c in result.changeset.changes() if c.new]
    specs: list[str] = []
    for name in sorted(result.context.packages):
        pin = re.compile(
            r"^\s*" + re.escape(name) + r"\s*(\[[^\]\n]*\])?\s*((?:==|~=|>=)[^\s;#,\\]+)",
            re.I | re.M,
        )
        found = next((m for m in (pin.search(t) for t in texts) if m), None)
        specs.append(name + (found.group(1) or "") + found.group(2) if found else name)
    return specs


def install_added(python: str, specs: list[str], dest: Path) -> tuple[Path | None, str]:
    """Install, aside in `dest`, the packages of `specs` the interpreter lacks, so the planned
    change runs as its image would (with the packages it adds). (path for PYTHONPATH or None,
    what happened in words)."""
    if not specs:
        return None, ""
    names = [re.split(r"[\[=<>~!;\s]", spec, maxsplit=1)[0] for spec in specs]
    dest.parent.mkdir(parents=True, exist_ok=True)
    missing, why = missing_packages(python, names, dest.parent)
    if missing is None:
        return None, why
    wanted = [spec for spec, name in zip(specs, names, strict=True) if name in missing]
    if not wanted:
        return None, ""
    dest.mkdir(parents=True, exist_ok=True)
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    try:
        done = subprocess.run(
            [*command, "--target", str(dest), *wanted],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            cwd=dest.parent,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"installing {', '.join(wanted)} for the planned change failed: {exc}"
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"installing {', '.join(wanted)} for the planned change failed: {last[0]}"
    return dest, (
        f"installed {', '.join(wanted)} into a temporary folder, for djfix's own runs only "
        "(the interpreter's environment is unchanged)"
    )


#: a dependency file djfix may create (no dependency file was found before)
_DEPENDENCY_NAME = re.compile(
    r"(^|/)(Pipfile|pyproject\.toml|setup\.py|setup\.cfg|[^/]*requirements[^/]*\.(txt|in))$"
)


def install_command(rel: str, text: str) -> str:
    """How a user installs the dependencies of the file `rel` (its text `text`) from the
    repository root: `pip install -r requirements.txt`, `poetry install`..."""
    folder, _, name = rel.rpartition("/")
    cd = f"cd {shlex.quote(folder)} && " if folder else ""
    if name == "Pipfile":
        return f"{cd}pipenv install"
    if name == "pyproject.toml":
        if "[tool.poetry" in text:
            return f"{cd}poetry install"
        if "[tool.uv" in text:
            return f"{cd}uv sync"
        return f"{cd}pip install -e ."
    if name in ("setup.py", "setup.cfg"):
        return f"{cd}pip install -e ."
    return f"pip install -r {shlex.quote(rel)}"


def install_hint(result: ApplyResult, specs: list[str]) -> str:
    """What the user's environment needs before it runs the change: the dependency files the
    change adds the packages of `specs` to, and the command that installs the one the image
    installs (`project.install_source`) where it is among them."""
    names = [re.split(r"[\[=<>~!;\s]", spec, maxsplit=1)[0] for spec in specs]
    if not names:
        return ""
    project = result.project
    install = getattr(project, "install_source", None)
    sources = list(getattr(project, "dependency_sources", None) or [])
    if install is not None:
        sources.append(install.source)
    # a requirements file and the ones it includes (`-r base.txt` in requirements/): the change
    # adds django-environ where Django is declared, often an included file
    dependency_files = {d.rel for d in sources} | {r.rel for d in sources for r in d.packages}
    installed_by_source = (
        {install.rel} | {r.rel for r in install.source.packages} if install is not None else set()
    )
    files = []
    added: list[str] = []  # the names the files gain (one already declared is not added)
    for change in result.changeset.changes(tracked=True):
        if change.rel not in dependency_files and not _DEPENDENCY_NAME.search(change.rel):
            continue  # a README that names the package installs nothing
        for name in names:
            line = re.compile(r"(^|[\s\"'])" + re.escape(name) + r"\b", re.I | re.M)
            if change.new and line.search(change.new) and not line.search(change.old or ""):
                if change not in files:
                    files.append(change)
                if name not in added:
                    added.append(name)
    if not files:
        return ""
    names = added
    where = " and ".join(c.rel for c in files)
    if install is not None and any(c.rel in installed_by_source for c in files):
        # the file the image installs, which includes the changed one
        text = next((c.new for c in files if c.rel == install.rel), None)
        command = install_command(install.rel, text or "")
    else:
        command = install_command(files[0].rel, files[0].new or "")
    return (
        f"the change adds {' and '.join(names)} to {where}: install the changed dependencies "
        f"in your environment (`{command}`) before you "
        "run the project or `djfix verify` on this change"
    )
