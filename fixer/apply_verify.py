"""`apply` proves its change before it hands anything over: it runs the project (`fixer.verify`)
on a temporary copy of the original and on a temporary copy with the planned change, and leaves
out the changes of an item that makes a step worse.

- Both runs happen in temporary copies of the project (the files git tracks or would track,
  never a developer's `.env`, virtualenvs or caches), before any file, branch or commit is
  written; even the question whether the interpreter imports Django is asked in the copy. A
  step that already failed on the original is not blamed on the change.
- A step is worse when it passed before and does not pass after, and step 1 is worse when the
  settings loaded before (check --deploy failed on its warnings) and raise after (verify runs
  steps 2-6 only when they load). djfix finds the item that causes it by planning again
  without one item at a time (the plans read each other's output, so a re-plan, not a
  subtracted diff) and running only those steps on that plan. Suspects come in order: the
  items that wrote the lines a traceback points at, those whose added lines hold a name the
  error quotes, those whose files the output names, those that changed Python files.
- At most `budget` re-verifications run (default `DEFAULT_BUDGET`, 4; `--verify-budget`): each
  trial runs only the steps concerned, and the plan left after an item is taken out is
  verified again in full (that run counts too; the last run of the budget is kept for it).
  Every run is bounded by verify's own timeouts, so apply's time is bounded too.
- An item whose absence makes the step pass is left out, with the reason "broke step N: <step
  name>"; its findings stay open with it (items 1-4 share the container files: one of them
  left out leaves out all four, `fixer.apply.with_shared`). When no single item explains a
  step made worse within the budget, every item whose plan changed a file is left out, again
  until the re-plan changes nothing: nothing that makes the project worse is handed over (no
  branch; apply exits 1). A step that could not run on the original and fails with the change
  is traced the same way, but when no item explains it the change is kept and the step is
  reported (apply exits 1: `Verification.leaves_work`).
- Every run has a database of its own: with `--database-url` naming a server, a new, empty one
  on it, dropped at the end of the run (`fixer.verify_database`); when none can be created the
  runs share the given one, and the summary says so.
- The checklist then says per item: fixed and verified (changed, and every step that ran passes
  after), fixed (changed, not verified: no interpreter, `--no-verify`, or a step that fails
  with and without the change), left out (broke step N), open, pass, n/a. Items 1, 2 and 4
  (the Dockerfile, its stages, the static image) say "image not built" whenever step 8 (the
  image, `--image`) did not pass, whatever the other steps did.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer import rule_codes
from fixer.analysis.local_config import local_modules
from fixer.apply import ApplyResult, plan
from fixer.apply import item_files as changed_by_item
from fixer.apply_packages import added_requirements, install_added, install_hint
from fixer.checks import ITEM_TITLES, Selection
from fixer.deep_stack import call_deep
from fixer.django_runner import find_python
from fixer.errors import DjfixError, UsageError
from fixer.project import ProjectModel
from fixer.sources import COPY_SKIP_DIRS

#: re-verifications one apply may run after the first two runs (the original and the change)
DEFAULT_BUDGET = 4
#: environment files that may be copied: they hold placeholders, not a developer's values
SAFE_ENV_FILES = frozenset({".env.example", ".env.sample", ".env.template", ".env.dist"})

Progress = Callable[[str], None]
Verifier = Callable[..., Any]  # fixer.verify.verify_project


@dataclass
class Verification:
    """What running the project said about the change apply hands over."""

    python: str | None = None
    before: Any = None  # fixer.verify.VerifyReport of the original
    after: Any = None  # ... of the change handed over
    left_out: dict[int, str] = field(default_factory=dict)  # item -> "broke step N: name"
    runs: int = 0  # re-verifications after the first two runs
    budget: int = DEFAULT_BUDGET
    not_run: str | None = None  # why the project was not run
    unresolved: str | None = None  # set when every changed item was left out, and why
    seconds: float = 0.0
    installed: str = ""  # the packages the change adds, installed aside for its runs
    #: the modules git ignores that the runs copied (the settings read them, see local_files)
    local: list[str] = field(default_factory=list)
    #: ... and those the run of the change went without (`stood_in`)
    stood_in: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return self.before is not None and self.after is not None

    def failing_after(self) -> list[Any]:
        """The steps that fail on the change handed over (they failed before too)."""
        if self.after is None:
            return []
        return [s for s in self.after.steps if s.status == "fail"]

    def leaves_work(self) -> bool:
        """The runs leave something to do: no change is handed over (`unresolved`), or a step
        fails on what is handed over. `djfix apply` then exits 1, never 0."""
        return bool(self.unresolved) or bool(self.failing_after())

    def passes(self) -> bool:
        """Every step that ran on the change handed over passes."""
        return self.ran and not self.failing_after()

    def rows(self) -> list[dict[str, str]]:
        """Per step: number, name, status before and after (and why, when skipped)."""
        if not self.ran:
            return []
        numbers = sorted(
            {s.number for s in self.before.steps} | {s.number for s in self.after.steps}
        )
        rows = []
        for number in numbers:
            old = self.before.step(number)
            new = self.after.step(number)
            name = (new or old).name
            rows.append(
                {
                    "number": str(number),
                    "name": name,
                    "before": old.status if old else "-",
                    "after": new.status if new else "-",
                    "reason": (new.reason if new and new.status == "skipped" else "") or "",
                    "before_reason": (old.reason if old and old.status == "skipped" else "") or "",
                }
            )
        return rows

    def skip_reasons(self) -> list[str]:
        """Why steps were skipped, a line a run and reason: "before, steps 3-6: <reason>"."""
        out = []
        for run, key in (("before", "before_reason"), ("after", "reason")):
            grouped: dict[str, list[str]] = {}
            for r in self.rows():
                if r[key]:
                    grouped.setdefault(r[key], []).append(r["number"])
            for reason, numbers in grouped.items():
                steps = f"step {numbers[0]}" if len(numbers) == 1 else f"steps {', '.join(numbers)}"
                out.append(f"{run}, {steps} skipped: {reason}")
        return out

    def failures(self) -> list[str]:
        """Why each step that fails on the change handed over fails, as far as the runs say."""
        out = []
        for step in self.failing_after():
            old = self.before.step(step.number) if self.before is not None else None
            if old is not None and old.status == "fail":
                why = "fails before and after the change: not caused by it"
            else:
                why = (
                    "fails with the change and could not run before; leaving out single items "
                    "did not make it pass, so the change is kept with it failing"
                )
            out.append(f"step {step.number} ({step.name}) {why}")
        return out

    def summary(self) -> str:
        """What the runs showed, in a sentence or two."""
        if not self.ran:
            return f"Not verified by running the project: {self.not_run or 'it did not run'}."
        if self.unresolved:
            return self.unresolved
        parts = []
        if self.passes():
            parts.append("Every step that ran passes with the change.")
        else:
            # each failure a sentence of its own, capitalised, with what the run said: "fails
            # before and after" alone left the reader to guess (the settings did not load)
            for step, f in zip(self.failing_after(), self.failures(), strict=True):
                why = f" ({step.reason.rstrip('.')})" if step.reason else ""
                parts.append(f[0].upper() + f[1:] + why + ".")
        for item, reason in sorted(self.left_out.items()):
            parts.append(f"Left out: item {item} ({ITEM_TITLES.get(item, item)}), it {reason}.")
        stand_in = getattr(self.after, "stand_in", "")
        if stand_in and self.failing_after():
            # steps failing before and after on SQLite may be SQLite's, not the project's
            parts.append(stand_in[0].upper() + stand_in[1:] + ".")
        if self.installed:
            parts.append(self.installed[0].upper() + self.installed[1:] + ".")
        if self.local:
            parts.append(
                f"The runs used {', '.join(self.local)}, which git ignores: the settings read "
                "it (see DJ057)."
            )
        if self.stood_in:
            parts.append(
                f"The run of the original used {', '.join(self.stood_in)}, which git ignores; "
                "the run of the change went without it: its settings read the environment in "
                "its place, as a clone's do."
            )
        parts.append(self.database_reused())
        return " ".join(p for p in parts if p)

    def database_reused(self) -> str:
        """The sentence saying the runs shared the --database-url database ("" when each had
        a new one, or used SQLite): the run of the change then starts on what the run of the
        original left in it."""
        why = next(
            (w for r in (self.before, self.after) if (w := getattr(r, "database_reused", ""))),
            "",
        )
        if not why:
            return ""
        return (
            "The runs used the --database-url database as it is, one after the other: djfix "
            f"could not create a scratch database there ({why}), so the run of the change "
            "started on what the run of the original left in it."
        )

    def table(self) -> str:
        """The before / after table as plain text (commit bodies, the terminal)."""
        rows = self.rows()
        if not rows:
            return ""
        width = max(len(f"{r['number']} {r['name']}") for r in rows)
        # with nothing handed over, "after" would read as the tree's new state: it is the run
        # of the change that was tried and then left out
        after = "the change (not handed over)" if self.unresolved else "after"
        lines = [f"  {'step':<{width}}  {'before':<8}{after}"]
        for r in rows:
            label = f"{r['number']} {r['name']}"
            lines.append(f"  {label:<{width}}  {r['before']:<8}{r['after']}")
        lines.extend(f"  ({reason})" for reason in self.skip_reasons())
        return "\n".join(lines)

    def commit_text(self) -> str:
        """The paragraph every commit body carries."""
        if not self.ran:
            return self.summary()
        # no interpreter path: it is the reviewer's machine, not the project, that has it
        return (
            "Verified by running the project (djfix verify) on the original and on the whole "
            f"change:\n{self.table()}\n{self.summary()}"
        )

    def commands(self) -> list[str]:
        """The commands the verification of the change ran, as a person can run them."""
        return list(self.after.commands) if self.after is not None else []


# -- copies of the project -------------------------------------------------------------------------


def _listed(root: Path) -> list[str] | None:
    """The files git tracks or would track under `root` (None outside git)."""
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted(dict.fromkeys(n for n in names if n))


def _walked(root: Path) -> list[str]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in COPY_SKIP_DIRS and not (Path(folder) / d / "pyvenv.cfg").exists()
        )
        base = Path(folder).relative_to(root)
        out.extend((base / f).as_posix() for f in sorted(files))
    return out


def _private(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".env") and name not in SAFE_ENV_FILES


def local_files(project: ProjectModel) -> list[str]:
    """The modules git ignores that the settings read, each installation writing its own from a
    committed template (item 5's DJ057), that are on disk: the runs copy them, as `djfix verify`
    does, or the settings load in neither copy."""
    return [m.rel for m in local_modules(project) if (project.root / m.rel).is_file()]


def copy_project(root: Path, dest: Path, local: list[str] | None = None) -> Path:
    """Copy the project's files (what git tracks or would track; everything but virtualenvs and
    caches outside git, plus the `local` modules git ignores) to `dest`, leaving out `.env`
    files: a verification never reads a developer's environment files."""
    files = _listed(root)
    if files is None:
        files = _walked(root)
    files = [*files, *(rel for rel in local or [] if rel not in files)]
    # virtualenvs and caches git does not ignore stay behind too
    venvs = {rel.rsplit("/", 1)[0] + "/" for rel in files if rel.endswith("/pyvenv.cfg")}
    dest.mkdir(parents=True, exist_ok=True)
    for rel in files:
        parts = rel.split("/")
        if _private(rel) or COPY_SKIP_DIRS.intersection(parts[:-1]):
            continue
        if any(rel.startswith(v) for v in venvs):
            continue
        src = root / rel
        target = dest / rel
        if src.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(src), target)
        elif src.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def stood_in(result: ApplyResult) -> set[str]:
    """The git-ignored modules the planned change makes the settings start without (item 5's
    DJ057 fix: a committed stand-in reads the environment): the run of the change goes without
    them, as a clone or a container does."""
    code = rule_codes.SETTINGS_FROM_LOCAL_FILE
    before = {f.subject for f in result.before.findings if f.code == code and f.subject}
    after = {f.subject for f in result.after.findings if f.code == code}
    return before - after


def materialise(result: ApplyResult, dest: Path) -> Path:
    """A copy of the project with the planned (tracked) files written into it."""
    gone = stood_in(result)
    local = [rel for rel in local_files(result.project) if rel not in gone]
    copy_project(result.project.root, dest, local)
    result.changeset.write_to(dest)
    for rel in gone:
        # a plan may have rewritten the installation's own file too: the run still goes
        # without it
        (dest / rel).unlink(missing_ok=True)
    return dest


# -- which item broke it ---------------------------------------------------------------------------


def _loads(report: Any) -> bool | None:
    """Whether the settings load in a run: step 1 passes, or step 2 ran (verify runs steps 2-6
    only when they load); None when the run did not say."""
    check, migrations = report.step(1), report.step(2)
    if check is not None and check.status == "pass":
        return True
    if migrations is None:
        return None
    return migrations.status != "skipped"


def regressions(before: Any, after: Any) -> list[int]:
    """Steps the change made worse: passed on the original and do not pass with the change
    (failing, or no longer able to run), and step 1 when the settings loaded before and no
    longer load (check --deploy failed before on its warnings, after on an exception)."""
    out = []
    for step in after.steps:
        old = before.step(step.number)
        if old is not None and old.status == "pass" and step.status != "pass":
            out.append(step.number)
    if 1 not in out and _loads(before) is True and _loads(after) is False:
        out.append(1)
    return sorted(out)


def new_failures(before: Any, after: Any) -> list[int]:
    """Steps that could not run on the original (skipped) and fail with the change: not proof
    the change is worse, but worth finding the item that causes them."""
    out = []
    for step in after.steps:
        old = before.step(step.number)
        if step.status == "fail" and (old is None or old.status == "skipped"):
            out.append(step.number)
    return out


def _cured(report: Any, number: int) -> bool:
    step = report.step(number)
    if step is not None and step.status == "pass":
        return True
    return number == 1 and _loads(report) is True and step is not None


def item_files(result: ApplyResult) -> dict[int, set[str]]:
    """The files each item's plan changed (the stages as the plans wrote them)."""
    return changed_by_item(result.changeset)


def suspects(result: ApplyResult, after: Any, regressed: list[int], exclude: set[int]) -> list[int]:
    """The items to try leaving out, most suspect first: the items that wrote the lines a
    traceback in the failing steps' output points at, then those whose added lines hold a
    name the error quotes (`No module named 'environ'`), then those whose changed files the
    output names (by path, module or file name), then those that changed Python files, then
    the rest, each group in plan order."""
    text = "\n".join(
        f"{s.command}\n{s.output}" for n in regressed if (s := after.step(n)) is not None
    )
    order = {item: i for i, item in enumerate(_stage_order(result))}
    blamed = _blamed_lines(result, text)
    quoted = set(re.findall(r"['\"]([A-Za-z_][\w.]{2,})['\"]", _error_lines(text)))
    added = _added_lines(result)
    scored = []
    for item, files in item_files(result).items():
        if item in exclude:
            continue
        hits = sum(1 for line in added.get(item, []) for name in quoted if name in line)
        named = sum(1 for rel in files if _named(rel, text))
        python = sum(1 for rel in files if rel.endswith(".py"))
        scored.append(
            (-blamed.get(item, 0), -hits, -named, -min(python, 1), order.get(item, 99), item)
        )
    return [item for *_, item in sorted(scored)]


_TRACE = re.compile(r'File "([^"]+)", line (\d+)')


def _error_lines(text: str) -> str:
    return "\n".join(
        ln for ln in text.splitlines() if re.search(r"(Error|Exception|Improperly\w*)\b", ln)
    )


def _blamed_lines(result: ApplyResult, text: str) -> dict[int, int]:
    """Per item, how many traceback lines point at a line its plan wrote: the final text of the
    line the traceback names, traced back to the first stage whose text holds it."""
    stages = result.changeset.staged()
    final = result.changeset.state()
    original = {c.rel: (c.old or "").split("\n") for c in result.changeset.changes(tracked=True)}
    out: dict[int, int] = {}
    for path, number in _TRACE.findall(text):
        rel = next((r for r in final if path == r or path.endswith("/" + r)), None)
        if rel is None:
            continue
        lines = final[rel].split("\n")
        index = int(number) - 1
        if not 0 <= index < len(lines) or not lines[index].strip():
            continue
        wanted = lines[index]
        if wanted in original.get(rel, []):
            continue  # the author's own line
        for stage in stages:
            held = stage.raw.get(rel)
            if held is not None and wanted in held.split("\n"):
                if stage.item is not None:
                    out[stage.item] = out.get(stage.item, 0) + 1
                break
    return out


def _added_lines(result: ApplyResult) -> dict[int, list[str]]:
    """Per item, the lines its plan added to the files (against the stage before)."""
    out: dict[int, list[str]] = {}
    previous: dict[str, str] = {}
    for stage in result.changeset.staged():
        for rel, text in stage.raw.items():
            before = set((previous.get(rel) or "").split("\n"))
            new = [ln for ln in text.split("\n") if ln not in before]
            if stage.item is not None and new:
                out.setdefault(stage.item, []).extend(new)
        previous = stage.raw
    return out


def _stage_order(result: ApplyResult) -> list[int]:
    return list(dict.fromkeys(s.item for s in result.changeset.staged() if s.item is not None))


def _named(rel: str, text: str) -> bool:
    if rel in text:
        return True
    if rel.endswith(".py"):
        dotted = rel[:-3].replace("/", ".")
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
        if dotted and dotted in text:
            return True
    name = rel.rsplit("/", 1)[-1]
    return f"/{name}" in text or f'"{name}"' in text


# -- the whole run ---------------------------------------------------------------------------------


def _real_verifier() -> Verifier:
    # lazy: the runner's modules load only when a project is run
    from fixer.verify import verify_project

    return verify_project


def _no_interpreter(result: ApplyResult, why: str, verify: bool | None) -> ApplyResult:
    if verify:
        raise UsageError(f"--verify needs an interpreter that can import Django: {why}")
    return annotate(result, Verification(not_run=f"no interpreter ({why})"))


def _moved(project: ProjectModel, root: Path) -> ProjectModel:
    """The project model with its folders moved to a copy at `root`."""
    try:
        source = root / project.source_root.relative_to(project.root)
    except ValueError:
        source = root
    return dataclasses.replace(project, root=root, source_root=source)


def resolve_python(project: ProjectModel, python: str | None) -> tuple[str | None, str]:
    """The interpreter verification runs with (check's resolution: `--python`, else the
    `python` on PATH that imports Django), or None and why not."""
    if python is not None and os.sep in python and Path(python).exists():
        python = os.path.abspath(python)  # it runs from the project's folder; not resolve():
        # a virtualenv's python is a symlink
    found, why = find_python(project, python)
    return found, why


def plan_verified(
    project: ProjectModel,
    selection: Selection,
    options: dict[str, Any],
    *,
    python: str | None = None,
    verify: bool | None = None,
    database_url: str | None = None,
    budget: int = DEFAULT_BUDGET,
    verifier: Verifier | None = None,
    progress: Progress | None = None,
) -> ApplyResult:
    """Plan every fix, then (when an interpreter is known and `verify` is not False) run the
    project before and after, leave out what breaks a step, and say per item what held.

    `verify=True` makes a missing interpreter a usage error; None verifies when one is found."""
    say = progress or (lambda _message: None)
    # deep trees (a long `+` chain, hundreds of `elif`) need more than the default stack
    result = call_deep(plan, project, selection, options)
    if verify is False:
        return annotate(result, Verification(not_run="--no-verify"))
    if python is not None and python.lower() == "none":
        return _no_interpreter(result, "--python none", verify)
    if not result.changeset.changes(tracked=True):
        return annotate(result, Verification(not_run="nothing to verify: no file changes"))
    run = verifier or _real_verifier()
    started = time.monotonic()
    planned = result
    try:
        with tempfile.TemporaryDirectory(prefix="djfix-verify-") as tmp:
            local = local_files(project)
            original = copy_project(project.root, Path(tmp) / "original", local)
            # asked in the copy: even `import django` runs from the project's folder, and a
            # django.py of the repository must not run in the user's tree
            interpreter, why = resolve_python(_moved(project, original), python)
            if interpreter is None:
                return _no_interpreter(result, why, verify)
            session = _Session(
                project,
                selection,
                options,
                interpreter,
                database_url,
                run,
                Path(tmp),
                say,
                budget,
                install=verifier is None,
            )
            result, verification = session.run(result, original)
    except UsageError:
        raise
    except DjfixError as exc:
        if verify:
            raise
        # the plan stands as it was planned, and says it was not verified
        return annotate(planned, Verification(not_run=f"verify could not run: {exc}"))
    verification.seconds = time.monotonic() - started
    gone = stood_in(result)
    verification.local = [rel for rel in local if rel not in gone]
    verification.stood_in = [rel for rel in local if rel in gone]
    return annotate(result, verification)


@dataclass
class _Session:
    project: ProjectModel
    selection: Selection
    options: dict[str, Any]
    python: str
    database_url: str | None
    verifier: Verifier
    tmp: Path
    say: Progress
    budget: int
    install: bool = False  # install the packages the change adds (the real verifier only)
    extra_path: Path | None = None
    _count: int = 0

    def _verify(self, root: Path, only: set[int] | None = None, *, planned: bool = True) -> Any:
        self._count += 1
        work = self.tmp / f"work-{self._count}"
        work.mkdir()
        given = self.project.settings_origin == "given"
        extra = {"extra_path": self.extra_path} if planned and self.extra_path else {}
        return self.verifier(
            root,
            python=self.python,
            database_url=self.database_url,
            only=only,
            work=work,
            settings=self.project.production_module if given else None,
            manage=self.project.manage_py,
            **extra,
        )

    def _copy(self, result: ApplyResult) -> Path:
        self._count += 1
        return materialise(result, self.tmp / f"tree-{self._count}")

    def _replan(self, left: dict[int, str], before: Any) -> ApplyResult:
        return call_deep(
            plan, self.project, self.selection, self.options, leave_out=left, before=before
        )

    def run(self, result: ApplyResult, original: Path) -> tuple[ApplyResult, Verification]:
        """Verify the copy of the `original` and the change; leave out what makes it worse."""
        verification = Verification(self.python, budget=self.budget)
        self.say("verifying the original…")
        before = self._verify(original, planned=False)
        if self.install:
            # the image installs what the change adds to the dependency files (django-environ,
            # the app server): the interpreter may not have them yet
            specs = added_requirements(result)
            self.extra_path, verification.installed = install_added(
                self.python, specs, self.tmp / "added-packages"
            )
            hint = install_hint(result, specs) if self.extra_path is not None else ""
            if hint:
                verification.installed += f". {hint[0].upper()}{hint[1:]}"
            if verification.installed:
                self.say(verification.installed)
        self.say("verifying the planned change…")
        after = self._verify(self._copy(result))
        verification.before = before
        left: dict[int, str] = {}
        given_up: set[int] = set()  # new failures no single item explains: kept, reported
        while True:
            worse = regressions(before, after)
            targets = worse or [n for n in new_failures(before, after) if n not in given_up]
            if not targets:
                break
            culprit = self._find(result, after, targets, left, verification)
            if culprit is None:
                if worse:
                    result, after = self._hand_over_nothing(result, before, after, worse, left)
                    verification.unresolved = self._unresolved(after, worse, verification)
                    # `after` stays the run of the change that was tried: the table shows the
                    # step failing that the sentence names, under a header saying it was not
                    # handed over
                    break
                given_up.update(targets)
                continue
            item, step = culprit
            left[item] = f"broke step {step}: {_name(after, before, step)}"
            result = self._replan(left, result.before)
            # _find keeps one run of the budget for this: the change without the item, in full
            self.say(f"verifying the change without item {_items(result.left_out or left)}…")
            verification.runs += 1
            after = self._verify(self._copy(result))
        verification.after = after
        # with what went with them (the container items share their files)
        verification.left_out = {**result.left_out, **left}
        return result, verification

    def _hand_over_nothing(
        self, result: ApplyResult, before: Any, after: Any, worse: list[int], left: dict[int, str]
    ) -> tuple[ApplyResult, Any]:
        """Nothing that makes the project worse is handed over: without a culprit, every item
        that changed a file is left out, and the original is what stays."""
        name = _name(after, before, worse[0])
        reason = f"step {worse[0]} broke: {name}; not isolated"
        # a re-plan without the items that changed files can let another item write what it
        # wrote (a shared plan): leave out those too, until the plan changes nothing
        for _ in range(len(ITEM_TITLES) + 1):
            changed = _changed_items(result) - set(left)
            if not changed:
                break
            for item in changed:
                left[item] = reason
            result = self._replan(left, result.before)
        if result.changeset.changes():
            # what is still written names no item: every item with a finding goes, so that
            # "no change is handed over" holds
            for finding in result.before.findings:
                if finding.item is not None:
                    left.setdefault(finding.item, reason)
            result = self._replan(left, result.before)
        return result, after

    def _unresolved(self, after: Any, worse: list[int], verification: Verification) -> str:
        cause = (
            f"the {verification.runs} re-verifications allowed (--verify-budget)"
            if verification.runs >= self.budget - 1
            else "leaving out one item at a time"
        )
        said = []
        for n in worse:
            if n == 1:
                # step 1 failed before too, on its warnings: what got worse is that the
                # settings no longer load
                said.append("step 1 (check --deploy) loaded the settings before and not with it")
            else:
                said.append(f"step {n} ({_name(after, None, n)}) passed before and not with it")
        if len(said) == 1 and worse[0] != 1:
            head = (
                f"Step {worse[0]} ({_name(after, None, worse[0])}) passed before and does not "
                "with the change"
            )
        else:
            head = "With the change, " + "; ".join(said)
        return f"{head}, and {cause} did not show which item causes it: no change is handed over."

    def _find(
        self,
        result: ApplyResult,
        after: Any,
        targets: list[int],
        left: dict[int, str],
        verification: Verification,
    ) -> tuple[int, int] | None:
        """The first suspect whose absence makes a target step pass: (item, step)."""
        # a step 1 that no longer loads the settings shows in step 2 running again
        only = set(targets) | ({2} if 1 in targets else set())
        for item in suspects(result, after, targets, set(left)):
            if verification.runs >= self.budget - 1:
                return None  # the last run is kept for verifying the change without it
            title = ITEM_TITLES.get(item, str(item))
            self.say(f"re-verifying without item {item} ({title}), steps {_steps(targets)}…")
            trial = self._replan({**left, item: "a trial"}, result.before)
            verification.runs += 1
            report = self._verify(self._copy(trial), only=only)
            for number in targets:
                if _cured(report, number):
                    return item, number
        return None


def _name(after: Any, before: Any, number: int) -> str:
    step = after.step(number) or (before.step(number) if before is not None else None)
    return step.name if step is not None else f"step {number}"


def _changed_items(result: ApplyResult) -> set[int]:
    items = set(item_files(result))
    for change in result.changeset.changes(tracked=True):
        items.update(change.items)
    return items


def _items(left: dict[int, str]) -> str:
    return ", ".join(str(i) for i in sorted(left))


def _steps(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


#: the items whose change only a built image proves: the Dockerfile, its stages and size, the
#: static image (item 3's server command is run by the steps that serve)
IMAGE_ITEMS = (1, 2, 4)
IMAGE_STEP = 8
COLLECTSTATIC_STEP = 7  # the Dockerfile's collectstatic line, as the image build runs it


def _image_built(verification: Verification) -> bool:
    step = verification.after.step(IMAGE_STEP) if verification.after is not None else None
    return step is not None and step.status == "pass"


def _collectstatic_fails(verification: Verification) -> bool:
    step = verification.after.step(COLLECTSTATIC_STEP) if verification.after is not None else None
    return step is not None and step.status == "fail"


def annotate(result: ApplyResult, verification: Verification) -> ApplyResult:
    """Attach the verification and say per item what it showed."""
    result.verification = verification
    result.left_out = dict(verification.left_out)
    changed = set(item_files(result))
    for summary in result.items:
        reason = verification.left_out.get(summary.item)
        if reason is not None:
            summary.left_out = reason
            summary.verified = False
            summary.open = [(f, f"left out: its change {reason}") for f, _ in summary.open]
            continue
        if summary.status not in ("fixed", "partly fixed") and summary.item not in changed:
            continue
        # the runs serve the code with the Dockerfile's command, but the Dockerfile itself,
        # its stages and the static image are proved only by building them: whatever else
        # passed or failed, these items say so while step 8 did not pass
        summary.image_unbuilt = summary.item in IMAGE_ITEMS and not _image_built(verification)
        summary.build_step_fails = summary.item in IMAGE_ITEMS and _collectstatic_fails(
            verification
        )
        if verification.passes():
            if summary.image_unbuilt:
                summary.not_verified = "the image was not built (verify --image builds it)"
            else:
                summary.verified = True
        elif verification.ran:
            summary.not_verified = "; ".join(verification.failures())
        else:
            summary.not_verified = verification.not_run
    return result
