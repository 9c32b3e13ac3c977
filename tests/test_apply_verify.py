"""apply verifies: the bisection, the left-out items and the words of the checklist.

The fast tests stand a small verifier in for `fixer.verify.verify_project` (it judges the copy
by its files, the way the real one judges it by running it) and run the real planner; the slow
ones at the end run the real verifier on a test project.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from fixer import apply_packages, apply_verify, handover, pr_body
from fixer.apply import plan
from fixer.apply_verify import plan_verified
from fixer.checks import Selection, resolve_selection
from fixer.cli import app
from fixer.config import effective_options
from fixer.discovery import discover
from fixer.errors import DjfixError, UsageError
from fixer.fixes import item09_deploy_check, item11_db_connections
from fixer.report import render_apply_summary
from fixer.verify import VerifyReport
from fixer.verify_run import STEP_NAMES, Step
from tests.conftest import MINIMAL_MANAGE, write_tree
from tests.test_apply import SETTINGS

SETTINGS_REL = "mysite/settings.py"
COMMANDS = ["export SECRET_KEY=placeholder", "python manage.py check --deploy"]


class FakeVerify:
    """Judges a copy by its settings file: DEBUG = True fails check --deploy (the settings
    load); a BREAK_LOAD line stops them loading (a traceback names its line); BREAK_BOOT fails
    step 3 with a traceback; BREAK_MIGRATE fails step 4 with an error quoting the name. Step 5
    cannot run on the original (no env()), and fails with the change when `pages_fail`; step 6
    fails in every run when `database_down_fails`."""

    def __init__(self, *, pages_fail: bool = False, database_down_fails: bool = False) -> None:
        self.pages_fail = pages_fail
        self.database_down_fails = database_down_fails
        self.calls: list[tuple[str, set[int] | None]] = []

    def __call__(
        self,
        root: Path,
        *,
        python: str,
        database_url=None,
        image: bool = False,
        only=None,
        work=None,
        settings=None,
        manage=None,
    ) -> VerifyReport:
        assert work is not None and work.is_dir()
        assert not (root / ".env").exists()
        text = (root / SETTINGS_REL).read_text()
        self.calls.append((text, only))
        loads = "BREAK_LOAD" not in text
        steps = []
        for number, name in STEP_NAMES.items():
            if only is not None and number not in only:
                continue
            status, output = self._step(number, root, text, loads)
            steps.append(Step(number, name, status, f"step {number}", output))
        return VerifyReport(str(root), python, steps, ["SECRET_KEY"], list(COMMANDS))

    def _step(self, number: int, root: Path, text: str, loads: bool) -> tuple[str, str]:
        if number == 1:
            if not loads:
                return "fail", _traceback(root, text, "BREAK_LOAD")
            return ("fail", "security.W018") if "DEBUG = True" in text else ("pass", "")
        if not loads and number in (2, 3, 4, 5, 6):
            return "skipped", ""
        if number == 3 and "BREAK_BOOT" in text:
            return "fail", _traceback(root, text, "BREAK_BOOT")
        if number == 4 and "BREAK_MIGRATE" in text:
            return "fail", "django.db.utils.OperationalError: no such table: 'BREAK_MIGRATE'"
        if number == 5:
            if "env(" not in text:
                return "skipped", ""
            return ("fail", "GET / answered 500") if self.pages_fail else ("pass", "")
        if number == 6 and self.database_down_fails:
            return "fail", "the start did not fail"
        if number in (7, 8):
            return "skipped", ""
        return "pass", ""


def _traceback(root: Path, text: str, marker: str) -> str:
    line = next(i for i, ln in enumerate(text.split("\n"), 1) if marker in ln)
    return (
        "Traceback (most recent call last):\n"
        f'  File "{root / SETTINGS_REL}", line {line}, in <module>\n'
        f"NameError: name {marker!r} is not defined"
    )


REAL_RESOLUTION = {
    "test_cli_prints_progress_and_the_verified_checklist",
    "test_a_planted_django_module_never_runs_in_the_users_tree",
}


@pytest.fixture(autouse=True)
def known_interpreter(monkeypatch, request):
    """The interpreter resolution runs Django in a subprocess; the bisection tests take the
    answer as given (the CLI test keeps the real resolution)."""
    if request.node.name in REAL_RESOLUTION:
        return

    def resolve(project, python):
        if python is not None and python.lower() == "none":
            return None, "--python none"
        if python is not None and not Path(python).exists():
            return None, f"--python {python}: no such interpreter"
        return sys.executable, ""

    monkeypatch.setattr(apply_verify, "resolve_python", resolve)


@pytest.fixture
def project(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            SETTINGS_REL: SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        },
    )
    return discover(tmp_path)


SELECTION = Selection(select=resolve_selection(["5", "9", "11"], "--select"))


def run(project, verifier=None, **kwargs):
    kwargs.setdefault("python", sys.executable)
    return plan_verified(project, SELECTION, effective_options(None), verifier=verifier, **kwargs)


def labels(result) -> dict[int, str]:
    return {s.item: s.label for s in result.items if s.item in (5, 9, 11)}


def breaking(monkeypatch, module, line: str, rel: str = SETTINGS_REL) -> None:
    """Make the fix plan `module` (fixer.fixes.itemNN_...) also append `line` to the settings
    (a djfix bug on purpose)."""
    original = module.fix
    item = int(module.__name__.rsplit(".", 1)[-1][4:6])

    def fix(ctx):
        original(ctx)
        text = ctx.changeset.read(rel)
        ctx.write(rel, text + line + "\n", item)

    monkeypatch.setattr(module, "fix", fix)


def planned_settings(result) -> str:
    return result.changeset.read(SETTINGS_REL)


# -- not run ---------------------------------------------------------------------------------------


def test_without_an_interpreter_the_change_is_fixed_not_verified(project):
    result = run(project, FakeVerify(), python="none")
    assert labels(result) == {5: "fixed", 9: "partly fixed", 11: "fixed"}
    assert result.verification.not_run == "no interpreter (--python none)"
    assert {s.not_verified for s in result.items if s.item in (5, 9, 11)} == {
        "no interpreter (--python none)"
    }
    summary = render_apply_summary(result, written=False, color=False)
    assert (
        "Not verified: no interpreter (--python none). 'fixed' means djfix's static re-check "
        "passes; the project was not run."
    ) in summary


def test_no_verify_runs_nothing(project):
    fake = FakeVerify()
    result = run(project, fake, verify=False)
    assert fake.calls == []
    assert result.verification.not_run == "--no-verify"
    assert labels(result)[5] == "fixed"


def test_verify_demanded_without_an_interpreter_is_a_usage_error(project, tmp_path):
    with pytest.raises(UsageError, match="--verify needs an interpreter"):
        run(project, FakeVerify(), python=str(tmp_path / "no-python"), verify=True)


def test_a_verifier_that_cannot_run_leaves_the_plan_unverified(project):
    def broken(root, **kwargs):
        raise DjfixError("the copy could not be made")

    result = run(project, broken)
    assert result.verification.not_run == "verify could not run: the copy could not be made"
    assert labels(result) == {5: "fixed", 9: "partly fixed", 11: "fixed"}
    with pytest.raises(DjfixError, match="the copy could not be made"):
        run(project, broken, verify=True)


# -- verified --------------------------------------------------------------------------------------


def test_every_step_passing_makes_fixed_and_verified(project):
    fake = FakeVerify()
    messages: list[str] = []
    result = run(project, fake, progress=messages.append)
    assert messages == ["verifying the original…", "verifying the planned change…"]
    assert [only for _, only in fake.calls] == [None, None]
    assert "DEBUG = True" in fake.calls[0][0]  # the original
    assert fake.calls[1][0] == planned_settings(result)  # the planned change, unformatted
    assert labels(result) == {
        5: "fixed and verified",
        9: "partly fixed and verified",
        11: ("fixed and verified"),
    }
    v = result.verification
    assert v.passes() and v.runs == 0 and v.left_out == {}
    assert [(r["number"], r["before"], r["after"]) for r in v.rows()] == [
        ("1", "fail", "pass"),
        ("2", "pass", "pass"),
        ("3", "pass", "pass"),
        ("4", "pass", "pass"),
        ("5", "skipped", "pass"),
        ("6", "pass", "pass"),
        ("7", "skipped", "skipped"),
        ("8", "skipped", "skipped"),
    ]


class ImageVerify(FakeVerify):
    """FakeVerify whose step 8 (the image) passes when `built`, else is skipped."""

    def __init__(self, *, built: bool) -> None:
        super().__init__()
        self.built = built

    def _step(self, number: int, root: Path, text: str, loads: bool) -> tuple[str, str]:
        if number == 8:
            return ("pass", "") if self.built else ("skipped", "not requested (--image)")
        return super()._step(number, root, text, loads)


@pytest.mark.parametrize("built", [False, True])
def test_only_a_built_image_verifies_the_dockerfile_items(project, built):
    """The runs serve the code with the Dockerfile's command, which proves item 3; the
    Dockerfile, its stages and the static image (items 1, 2, 4) are proved only by building."""
    containers = Selection(select=resolve_selection(["1", "2", "3", "4", "5"], "--select"))
    result = plan_verified(
        project,
        containers,
        effective_options(None),
        python=sys.executable,
        verifier=ImageVerify(built=built),
    )
    got = {s.item: s.label for s in result.items if s.item in (1, 2, 3, 4, 5)}
    unbuilt = "fixed and verified" if built else "fixed, image not built"
    # item 4 does not apply: the project has no static files
    assert got == {1: unbuilt, 2: unbuilt, 3: "fixed and verified", 4: "n/a", 5: got[5]}
    assert got[5].endswith("and verified")
    summary = render_apply_summary(result, written=False, color=False)
    assert re.search(rf"\s2  Multi-stage, minimal image\s+{unbuilt}", summary), summary


class CollectstaticFails(FakeVerify):
    """FakeVerify whose step 7 (the Dockerfile's collectstatic line) fails once the change
    brings a Dockerfile: the front-end build it needs is not in the generated image."""

    def _step(self, number: int, root: Path, text: str, loads: bool) -> tuple[str, str]:
        if number == 7:
            if not (root / "Dockerfile").is_file():
                return "skipped", "no Dockerfile at the root"
            return "fail", "FileNotFoundError: assets/dist"
        return super()._step(number, root, text, loads)


def test_a_failing_collectstatic_stage_is_said_on_the_dockerfile_items(project):
    # the static re-check passes items 1 and 2, but the image cannot be built as it is: the
    # checklist must not read "fixed" alone
    containers = Selection(select=resolve_selection(["1", "2", "3", "4", "5"], "--select"))
    result = plan_verified(
        project,
        containers,
        effective_options(None),
        python=sys.executable,
        verifier=CollectstaticFails(),
    )
    got = {s.item: s.label for s in result.items if s.item in (1, 2, 3)}
    fails = "fixed, its collectstatic stage fails"
    assert got == {1: fails, 2: fails, 3: got[3]}
    assert "collectstatic" not in got[3]
    summary = render_apply_summary(result, written=False, color=False)
    assert re.search(rf"\s1  Project-specific Dockerfile\s+{fails}", summary), summary


def test_the_user_installs_the_file_that_includes_the_changed_one(tmp_path):
    # requirements.txt includes requirements/production.txt, which includes base.txt, where
    # Django (and now django-environ) is declared: the hint names base.txt and installs
    # requirements.txt, the file the image installs; a package already declared is not "added"
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            SETTINGS_REL: SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "-r requirements/production.txt\n",
            "requirements/production.txt": "-r base.txt\ngunicorn==23.0.0\n",
            "requirements/base.txt": "Django==4.2.16\ndjango-redis==5.4.0\n",
        },
    )
    result = plan(discover(tmp_path), SELECTION, effective_options(None))
    specs = [*apply_packages.added_requirements(result), "django-redis==5.4.0"]
    assert apply_packages.install_hint(result, specs) == (
        "the change adds django-environ to requirements/base.txt: install the changed "
        "dependencies in your environment (`pip install -r requirements.txt`) before you run "
        "the project or `djfix verify` on this change"
    )


def test_what_was_installed_aside_and_what_the_user_installs(project):
    result = plan(project, SELECTION, effective_options(None))
    specs = apply_packages.added_requirements(result)
    assert [s.split("==")[0] for s in specs] == ["django-environ"]
    hint = apply_packages.install_hint(result, specs)
    assert hint == (
        "the change adds django-environ to requirements.txt: install the changed dependencies "
        "in your environment (`pip install -r requirements.txt`) before you run the project or "
        "`djfix verify` on this change"
    )
    # the sentence the summary, the commits and the pull request carry
    verification = apply_verify.Verification(
        before=object(),
        after=SimpleNamespace(steps=[]),
        installed=(
            "installed django-environ==0.12.1 into a temporary folder, for djfix's own runs "
            "only (the interpreter's environment is unchanged). The change adds "
            "django-environ to requirements.txt: install the changed dependencies in your "
            "environment (`pip install -r requirements.txt`) before you run the project or "
            "`djfix verify` on this change"
        ),
    )
    assert verification.summary() == (
        "Every step that ran passes with the change. Installed django-environ==0.12.1 into a "
        "temporary folder, for djfix's own runs only (the interpreter's environment is "
        "unchanged). The change adds django-environ to requirements.txt: install the changed "
        "dependencies in your environment (`pip install -r requirements.txt`) before you run "
        "the project or `djfix verify` on this change."
    )


@pytest.mark.parametrize(
    "rel, text, command",
    [
        ("requirements.txt", "", "pip install -r requirements.txt"),
        ("requirements/base.txt", "", "pip install -r requirements/base.txt"),
        ("Pipfile", "", "pipenv install"),
        ("app/pyproject.toml", "[tool.poetry]\n", "cd app && poetry install"),
        ("pyproject.toml", "[tool.uv]\n", "uv sync"),
        ("pyproject.toml", "[project]\n", "pip install -e ."),
        ("setup.py", "", "pip install -e ."),
    ],
)
def test_install_command_of_each_dependency_file(rel, text, command):
    assert apply_packages.install_command(rel, text) == command


def test_the_image_caveat_holds_while_another_step_fails_before_and_after(project):
    """Step 6 fails with and without the change: nothing is "verified", and items 1 and 2
    still say their image was not built (the caveat does not depend on the other steps)."""
    containers = Selection(select=resolve_selection(["1", "2", "3", "5"], "--select"))
    fake = ImageVerify(built=False)
    fake.database_down_fails = True
    result = plan_verified(
        project, containers, effective_options(None), python=sys.executable, verifier=fake
    )
    assert not result.verification.passes()
    got = {s.item: s.label for s in result.items if s.item in (1, 2, 3, 5)}
    assert got == {
        1: "fixed, image not built",
        2: "fixed, image not built",
        3: "fixed",
        5: "fixed",
    }


def test_the_widest_label_and_the_count_stay_apart(project):
    """The label column is as wide as its widest label: the count of fixed findings after it
    keeps two spaces, not "fixed and verified 1 fixed"."""
    selection = Selection(select=resolve_selection(["5", "11"], "--select"))
    result = plan_verified(
        project, selection, effective_options(None), python=sys.executable, verifier=FakeVerify()
    )
    summary = render_apply_summary(result, written=False, color=False)
    lines = [ln for ln in summary.splitlines() if re.match(r"\s+(5|11)  ", ln)]
    assert lines and all(re.search(r"verified  \d+ fixed$", ln) for ln in lines), lines


def test_every_failure_is_a_sentence_of_its_own(project):
    result = run(project, FakeVerify(pages_fail=True, database_down_fails=True))
    assert result.verification.summary() == (
        "Step 5 (pages) fails with the change and could not run before; "
        "leaving out single items did not make it pass, so the change is kept with it failing. "
        "Step 6 (database down) fails before "
        "and after the change: not caused by it."
    )


def test_a_step_failing_before_is_not_blamed_on_the_change(project):
    fake = FakeVerify(database_down_fails=True)
    result = run(project, fake)
    assert len(fake.calls) == 2  # nothing to look for
    assert labels(result) == {5: "fixed", 9: "partly fixed", 11: "fixed"}
    assert result.verification.left_out == {}
    assert result.items[4].not_verified == (
        "step 6 (database down) fails before and after the change: not caused by it"
    )


def test_a_failure_before_and_after_says_what_the_run_said(project):
    # "fails before and after the change" alone left the reader guessing why (the settings of
    # a project that needs a local configuration file did not load in either copy)
    result = run(project, FakeVerify(database_down_fails=True))
    result.verification.after.step(6).reason = "the start did not fail."
    assert result.verification.summary() == (
        "Step 6 (database down) fails before and after the change: not caused by it "
        "(the start did not fail)."
    )


def test_a_new_failure_no_item_explains_is_kept_and_said(project):
    fake = FakeVerify(pages_fail=True)
    result = run(project, fake)
    # each item was tried once without success, then the change is kept: step 5 never ran
    # on the original, so it is no proof the change made the project worse
    assert [only for _, only in fake.calls] == [None, None, {5}, {5}, {5}]
    assert result.verification.left_out == {}
    assert "SECURE_HSTS_SECONDS" in planned_settings(result)
    assert labels(result)[5] == "fixed"
    assert result.verification.failures() == [
        "step 5 (pages) fails with the change and could not run before; "
        "leaving out single items did not make it pass, so the change is kept with it failing"
    ]


# -- left out --------------------------------------------------------------------------------------


def test_the_item_that_breaks_a_step_is_left_out_and_the_rest_kept(project, monkeypatch):
    breaking(monkeypatch, item09_deploy_check, "BOOT_FLAG = BREAK_BOOT")
    fake = FakeVerify()
    messages: list[str] = []
    result = run(project, fake, progress=messages.append)
    # the traceback points at item 9's line: item 9 is tried first, and only step 3 runs
    trial, only = fake.calls[2]
    assert only == {3}
    assert "BREAK_BOOT" not in trial and "SECURE_HSTS_SECONDS" not in trial
    assert "CONN_MAX_AGE" in trial
    assert len(fake.calls) == 4  # original, change, one trial, the change without item 9
    assert messages[2:] == [
        "re-verifying without item 9 (check --deploy is clean), steps 3…",
        "verifying the change without item 9…",
    ]
    v = result.verification
    assert v.left_out == {9: "broke step 3: boot on empty database"}
    assert v.runs == 2 and v.passes()
    assert labels(result) == {
        5: "fixed and verified",
        9: "left out (broke step 3)",
        11: "fixed and verified",
    }
    assert "BREAK_BOOT" not in planned_settings(result)
    nine = next(s for s in result.items if s.item == 9)
    # other items' changes fix some of its findings (DEBUG from the environment); its own open
    # findings say why they stay
    assert nine.status == "partly fixed" and nine.open
    assert {reason for _, reason in nine.open} == {
        "left out: its change broke step 3: boot on empty database"
    }
    summary = render_apply_summary(result, written=False, color=False)
    assert "   9  check --deploy is clean" in summary
    assert "left out (broke step 3)" in summary
    assert "        its change broke step 3: boot on empty database: not handed over" in summary
    assert (
        "Every step that ran passes with the change. Left out: item 9 (check --deploy is "
        "clean), it broke step 3: boot on empty database."
    ) in summary


def test_settings_that_no_longer_load_are_worse_than_warnings(project, monkeypatch):
    """check --deploy failed before on its warnings; with the change the settings raise."""
    breaking(monkeypatch, item11_db_connections, "CONN = BREAK_LOAD")
    fake = FakeVerify()
    result = run(project, fake)
    trial, only = fake.calls[2]
    assert only == {1, 2, 3, 4, 6}  # the steps that no longer run, and step 2 for "loads"
    assert "BREAK_LOAD" not in trial and "CONN_MAX_AGE" not in trial
    assert result.verification.left_out == {11: "broke step 1: check --deploy"}
    assert labels(result)[11] == "left out (broke step 1)"
    assert labels(result)[5] == "fixed and verified"


def test_an_error_quoting_a_name_points_at_the_item_that_wrote_it(project, monkeypatch):
    breaking(monkeypatch, item11_db_connections, "TABLE = 'BREAK_MIGRATE'")
    fake = FakeVerify()
    result = run(project, fake)
    trial, only = fake.calls[2]
    assert only == {4}
    assert "SECURE_HSTS_SECONDS" in trial and "BREAK_MIGRATE" not in trial  # 11 out, 9 in
    assert result.verification.left_out == {11: "broke step 4: migrate"}
    assert len(fake.calls) == 4


def test_two_items_breaking_one_step_hand_over_nothing(project, monkeypatch):
    breaking(monkeypatch, item09_deploy_check, "A = BREAK_BOOT")
    breaking(monkeypatch, item11_db_connections, "B = BREAK_BOOT")
    fake = FakeVerify()
    result = run(project, fake, budget=3)
    # leaving out 9 or 11 alone still fails step 3; the budget (3) keeps its last run for a
    # confirmation that never comes, so two trials run, then nothing is handed over
    assert [only for _, only in fake.calls] == [None, None, {3}, {3}]
    v = result.verification
    assert v.unresolved == (
        "Step 3 (boot on empty database) passed before and does not with the change, and the "
        "2 re-verifications allowed (--verify-budget) did not show which item causes it: no "
        "change is handed over."
    )
    # the table shows the tried change failing the step the sentence names, and says so
    table = v.table().splitlines()
    assert table[0].rstrip().endswith("the change (not handed over)")
    assert table[3].split()[-1] == "fail" and table[3].split()[-2] == "pass"
    assert result.changeset.changes(tracked=True) == []
    assert labels(result) == {
        5: "left out (step 3 broke)",
        9: "left out (step 3 broke)",
        11: "left out (step 3 broke)",
    }
    assert not any(s.verified for s in result.items)


def test_a_container_item_left_out_leaves_out_the_container_files(project):
    """Items 1-4 share one plan: with item 1 left out, item 2's turn must not write the
    Dockerfile item 1 would have written (nor item 4 its part)."""
    whole = plan(project, Selection(), effective_options(None))
    assert "Dockerfile" in whole.changeset.state()  # the shape: the container plan runs
    result = plan(
        project,
        Selection(),
        effective_options(None),
        leave_out={1: "broke step 1: check --deploy"},
    )
    written = {c.rel for c in result.changeset.changes()}
    assert not written & {"Dockerfile", ".dockerignore", "compose.yaml", "README.md"}, written
    by_item = {s.item: s.label for s in result.items if s.item in (1, 2, 3, 4)}
    assert by_item == {
        1: "left out (broke step 1)",
        2: "left out (shares the container files with item 1)",
        3: "left out (shares the container files with item 1)",
        4: "n/a",  # nothing to plan: not "left out"
    }
    summary = render_apply_summary(result, written=False, color=False)
    assert "Dockerfile" not in summary.split("Checklist after apply")[0]


def test_the_file_list_names_the_items_whose_commits_carry_the_file(project):
    """A dependency file the environment plan writes for the container's app server belongs to
    the container's commit, and the list says so (not item 5's label on the write)."""
    result = plan(project, Selection(), effective_options(None), leave_out={5: "broke step 3: x"})
    by_file = result.changeset.items_by_file()
    staged = {}
    previous: dict[str, str] = {}
    for stage in result.changeset.stages:
        for rel in set(stage.texts) | set(previous):
            if stage.texts.get(rel) != previous.get(rel):
                staged.setdefault(rel, set()).add(stage.item)
        previous = stage.texts
    assert by_file["requirements.txt"] == staged["requirements.txt"]
    assert 5 not in by_file["requirements.txt"]


def git_repo(root: Path) -> None:
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"],
        cwd=root,
        check=True,
    )


def branches(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def test_no_change_handed_over_makes_no_branch_and_exits_1(project, monkeypatch):
    """Every item and the container: with no culprit found, the words say nothing is handed
    over, and the branch agrees (none made), and so does the exit code."""
    breaking(monkeypatch, item09_deploy_check, "A = BREAK_BOOT")
    breaking(monkeypatch, item11_db_connections, "B = BREAK_BOOT")
    git_repo(project.root)
    fake = FakeVerify()
    monkeypatch.setattr(apply_verify, "_real_verifier", lambda: fake)
    monkeypatch.setattr(apply_verify, "install_added", lambda *a: (None, ""))
    done = CliRunner().invoke(
        app,
        ["apply", str(project.root), "--python", sys.executable, "--verify-budget", "3"],
        catch_exceptions=False,
    )
    assert "no change is handed over" in done.stdout
    assert "Nothing to commit: no branch made" in done.stdout
    assert "fixed" not in done.stdout.split("Checklist after apply")[1].split("Verification")[0]
    assert branches(project.root) == ["main"]
    assert not (project.root / "Dockerfile").exists() and not (project.root / ".env").exists()
    assert done.exit_code == 1


def test_a_new_failure_kept_is_not_exit_0(project, monkeypatch):
    """Step 5 could not run before and fails with the change: the change is handed over and
    said so, and the exit code does not claim that nothing is left to do."""
    git_repo(project.root)
    fake = FakeVerify(pages_fail=True)
    monkeypatch.setattr(apply_verify, "_real_verifier", lambda: fake)
    monkeypatch.setattr(apply_verify, "install_added", lambda *a: (None, ""))
    done = CliRunner().invoke(
        app,
        ["apply", str(project.root), "--python", sys.executable, "--select", "5,11"],
        catch_exceptions=False,
    )
    assert "Step 5 (pages) fails with the change" in done.stdout
    assert "djfix/deploy-ready" in branches(project.root)
    assert "open" not in done.stdout.split("Checklist after apply")[1].split("Verification")[0]
    assert done.exit_code == 1


# -- what the hand-over says -----------------------------------------------------------------------


def test_the_pr_body_gives_a_long_skip_reason_once(project):
    # a database verify cannot use skips steps 3-5 before and after: one paragraph, not six
    result = run(project, FakeVerify())
    why = "DATABASES['default'] is the postgresql database 'app' on localhost: not the run's own"
    for report in (result.verification.before, result.verification.after):
        for number in (3, 4, 5):
            step = report.step(number)
            step.status, step.reason = "skipped", why
    body = pr_body.render_body(result)
    assert (
        f"| 3 | boot on empty database | skipped: {why} | skipped: the same as before |\n"
        "| 4 | migrate | skipped: as step 3 | skipped: the same as before |\n"
        "| 5 | pages | skipped: as step 3 | skipped: the same as before |\n"
    ) in body


def test_the_pr_body_carries_the_table_and_the_commands(project, monkeypatch):
    breaking(monkeypatch, item09_deploy_check, "BOOT_FLAG = BREAK_BOOT")
    result = run(project, FakeVerify())
    body = pr_body.render_body(result)
    assert (
        "| # | Step | Before | After |\n"
        "|---:|---|---|---|\n"
        "| 1 | check --deploy | fail | pass |\n"
        "| 2 | migrations | pass | pass |\n"
        "| 3 | boot on empty database | pass | pass |\n"
    ) in body
    assert "## Left out\n" in body
    assert (
        "- item 9 (check --deploy is clean): its change broke step 3: boot on empty database\n"
    ) in body
    how = body.split("## How to verify")[1]
    assert re.search(r"```sh\n(.*?)```", how, re.S).group(1) == "\n".join(COMMANDS) + "\n"
    assert "| 9 | check --deploy is clean | fail (" in body
    assert "| left out (broke step 3) |" in body


def test_commit_bodies_carry_the_table(project, monkeypatch):
    root = project.root
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"],
        cwd=root,
        check=True,
    )
    monkeypatch.setenv("GIT_AUTHOR_NAME", "t")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "t@e")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "t")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "t@e")
    result = run(discover(root), FakeVerify())
    handover.deliver(result, stay=True)
    body = subprocess.run(
        ["git", "log", "-1", "--format=%B", "djfix/deploy-ready"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        "  step                      before  after\n"
        "  1 check --deploy          fail    pass\n"
        "  2 migrations              pass    pass\n"
    ) in body
    assert "Every step that ran passes with the change." in body


def test_cli_prints_progress_and_the_verified_checklist(project, monkeypatch):
    fake = FakeVerify()
    monkeypatch.setattr(apply_verify, "_real_verifier", lambda: fake)
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["apply", str(project.root), "--dry-run", "--select", "5,9,11", "--python", sys.executable],
        catch_exceptions=False,
    )
    assert done.exit_code == 1
    assert "djfix: verifying the original…\ndjfix: verifying the planned change…\n" in done.stderr
    assert re.search(r"11  Persistent DB connections\s+fixed and verified", done.stderr)
    assert len(fake.calls) == 2
    skipped = runner.invoke(
        app,
        ["apply", str(project.root), "--dry-run", "--select", "5", "--no-verify"],
        catch_exceptions=False,
    )
    assert "Not verified: --no-verify." in skipped.stderr
    assert len(fake.calls) == 2


def test_a_planted_django_module_never_runs_in_the_users_tree(project, monkeypatch):
    """Asking the interpreter whether it imports Django runs `import django` from the project's
    folder: that happens in the copy, never in the user's tree."""
    (project.root / "django.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('ran-here').write_text('x')\n"
    )
    fake = FakeVerify()
    result = run(project, fake)
    assert not (project.root / "ran-here").exists()
    assert result.verification.python == sys.executable
    assert len(fake.calls) == 2


def test_copies_leave_out_the_developers_env(tmp_path):
    src = write_tree(
        tmp_path / "src",
        {
            "a.py": "A = 1\n",
            ".env": "SECRET_KEY=mine\n",
            ".env.local": "X=1\n",
            ".env.example": "SECRET_KEY=\n",
            "pkg/.venv/pyvenv.cfg": "home = /usr\n",
            "node_modules/x.js": "x\n",
        },
    )
    copy = apply_verify.copy_project(src, tmp_path / "copy")
    files = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert files == [".env.example", "a.py"]
    shutil.rmtree(copy)
    subprocess.run(["git", "init", "-q"], cwd=src, check=True)
    (src / ".gitignore").write_text("ignored.txt\n")
    (src / "ignored.txt").write_text("no\n")
    copy = apply_verify.copy_project(src, tmp_path / "copy")
    files = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert files == [".env.example", ".gitignore", "a.py"]


def test_copies_hold_the_ignored_module_the_settings_read(tmp_path):
    # configuration.py, which git ignores and each installation writes from its template: the
    # settings load in neither copy without it, where `djfix verify` (which copies it) loads them
    from tests.config_module import LOCAL_EXAMPLE, make_repo

    repo = make_repo(tmp_path)
    (repo / "inventory/configuration.py").write_text(LOCAL_EXAMPLE)
    project = discover(repo)
    assert apply_verify.local_files(project) == ["inventory/configuration.py"]
    copy = apply_verify.copy_project(repo, tmp_path / "copy", apply_verify.local_files(project))
    assert (copy / "inventory/configuration.py").read_text() == LOCAL_EXAMPLE
    (repo / "inventory/configuration.py").unlink()
    assert apply_verify.local_files(discover(repo)) == []


# -- the real verifier ---------------------------------------------------------------------------

HALF_READY = Path(__file__).parent / "projects" / "half_ready"


def half_ready_repo(tmp_path: Path) -> Path:
    root = tmp_path / "half_ready"
    shutil.copytree(HALF_READY, root)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"],
        cwd=root,
        check=True,
    )
    return root


def show(root: Path, rev: str, *args: str) -> str:
    return subprocess.run(
        ["git", "show", *args, rev], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow
def test_real_run_leaves_out_the_item_whose_settings_raise(tmp_path, monkeypatch):
    """A djfix bug on purpose: item 11's plan also writes a line naming an undefined variable
    (the NameError of split settings). The settings loaded before (check --deploy failed on
    warnings only); with the change they raise. apply finds item 11, leaves it out, and hands
    over the rest, verified."""
    root = half_ready_repo(tmp_path)
    breaking(
        monkeypatch,
        item11_db_connections,
        'DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE_SECONDS',
        rel="notes/settings.py",
    )
    done = CliRunner().invoke(
        app, ["apply", str(root), "--python", sys.executable, "--stay"], catch_exceptions=False
    )
    assert done.exit_code == 1, done.output  # item 11's findings stay open
    assert done.stderr.splitlines() == [
        "djfix: verifying the original…",
        "djfix: verifying the planned change…",
        "djfix: re-verifying without item 11 (Persistent DB connections), steps 1, 2, 4, 5…",
        "djfix: verifying the change without item 11…",
    ]
    out = done.stdout
    assert re.search(r"  11  Persistent DB connections\s+left out \(broke step 1\)", out)
    assert "        its change broke step 1: check --deploy: not handed over" in out
    for item, title in ((7, "Health endpoint"), (9, r"check --deploy is clean")):
        assert re.search(rf"\s{item}  {title}\s+fixed and verified", out), out
    assert re.search(r"1 check --deploy\s+fail\s+pass", out)
    assert re.search(r"3 boot on empty database\s+fail\s+pass", out)
    settings = show(root, "djfix/deploy-ready:notes/settings.py")
    assert "CONN_MAX_AGE" not in settings
    assert "SECURE_HSTS_SECONDS" in settings
    trailers = subprocess.run(
        ["git", "log", "--format=%(trailers:key=Djfix-Item,valueonly)", "main..djfix/deploy-ready"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "11" not in trailers and "9" in trailers
    body = show(root, "djfix/deploy-ready", "-s", "--format=%B")
    assert "Left out: item 11 (Persistent DB connections), it broke step 1: check --deploy." in body


@pytest.mark.slow
def test_the_how_to_verify_block_runs_as_written(tmp_path):
    root = half_ready_repo(tmp_path)
    result = plan_verified(
        discover(root), Selection(), effective_options(None), python=sys.executable
    )
    assert result.verification.passes(), result.verification.summary()
    delivery = handover.deliver(result, stay=True)
    body = pr_body.render_body(result, delivery=delivery)
    how = body.split("## How to verify")[1]
    block = re.search(r"```sh\n(.*?)```", how, re.S).group(1)
    assert block.splitlines() == result.verification.commands()
    assert "export SECRET_KEY=" in block and "export DATABASE_URL=" in block
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "djfix/deploy-ready", str(root), str(checkout)],
        check=True,
    )
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"status"' in done.stdout  # the health answers


def test_the_table_says_why_steps_were_skipped():
    """A reviewer reading "skipped" under "before" learns why, once per reason."""
    db = "DATABASES is written in the settings (no variable)"

    def report(statuses: dict[int, tuple[str, str]]) -> VerifyReport:
        steps = [
            Step(n, STEP_NAMES[n], status, "", "", reason)
            for n, (status, reason) in statuses.items()
        ]
        return VerifyReport("/x", "python", steps, [], [])

    before = report(
        {
            1: ("fail", ""),
            3: ("skipped", db),
            4: ("skipped", db),
            8: ("skipped", "not requested (--image)"),
        }
    )
    after = report(
        {
            1: ("pass", ""),
            3: ("pass", ""),
            4: ("pass", ""),
            8: ("skipped", "not requested (--image)"),
        }
    )
    verification = apply_verify.Verification(python="python", before=before, after=after)
    assert verification.skip_reasons() == [
        f"before, steps 3, 4 skipped: {db}",
        "before, step 8 skipped: not requested (--image)",
        "after, step 8 skipped: not requested (--image)",
    ]
    assert verification.table().endswith("  (after, step 8 skipped: not requested (--image))")


def test_settings_two_items_stop_loading_are_named_as_such(project, monkeypatch):
    # step 1 failed before on its warnings too: what got worse is that the settings no longer
    # load, and the sentence says that rather than "step 1 passed before"
    breaking(monkeypatch, item09_deploy_check, "A = BREAK_LOAD")
    breaking(monkeypatch, item11_db_connections, "B = BREAK_LOAD")
    result = run(project, FakeVerify(), budget=3)
    unresolved = result.verification.unresolved
    assert unresolved is not None
    assert unresolved.startswith(
        "With the change, step 1 (check --deploy) loaded the settings before and not with it; "
    ), unresolved
    assert "step 1 (check --deploy) passed before" not in unresolved


def test_steps_failing_on_sqlite_for_a_server_database_say_so():
    # a project made for PostgreSQL run on verify's SQLite file: steps failing before and after
    # may be SQLite's; the summary says so and how to run on the project's engine
    stand_in = "the settings are made for postgresql and this run gives them an SQLite file"

    def report(status: str, note: str) -> VerifyReport:
        steps = [Step(4, STEP_NAMES[4], status, "", "", "")]
        return VerifyReport("/x", "python", steps, [], [], stand_in=note)

    failing = apply_verify.Verification(
        before=report("fail", stand_in), after=report("fail", stand_in)
    )
    assert failing.summary() == (
        "Step 4 (migrate) fails before and after the change: not caused by it. "
        "The settings are made for postgresql and this run gives them an SQLite file."
    )
    passing = apply_verify.Verification(
        before=report("fail", stand_in), after=report("pass", stand_in)
    )
    assert stand_in not in passing.summary().lower()
