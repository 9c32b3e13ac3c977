"""The output conventions of `djfix check`: paths from the repository root in every format, SARIF
that validates against the official 2.1.0 schema, one problem per line, colour switches, --quiet,
--exit-zero, --statistics, --files and help texts that wrap."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from fixer import report
from fixer.checks import all_rules
from fixer.cli import app
from fixer.docs import PROJECT_URL
from tests import schemas
from tests.conftest import PROJECTS
from tests.test_cli import runner


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), catch_exceptions=False, env=env)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A git repository whose Django project sits in backend/."""
    root = tmp_path / "mono"
    shutil.copytree(PROJECTS / "asgi_channels", root / "backend")
    (root / "frontend").mkdir()
    (root / "frontend" / "index.js").write_text("console.log('hi')\n")
    git(root, "init", "-q", "-b", "main")
    return root


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """The same project outside any git work tree."""
    return Path(shutil.copytree(PROJECTS / "asgi_channels", tmp_path / "plain"))


# -- paths ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_paths_from_the_repository_root_in_every_format(monorepo):
    backend = str(monorepo / "backend")
    text = run("check", backend).stdout
    assert "  backend/chat/settings.py:9" in text
    data = json.loads(run("check", backend, "--format", "json").stdout)
    paths = {f["path"] for f in data["findings"] if f["path"]}
    assert "backend/chat/settings.py" in paths
    assert all(p.startswith("backend/") for p in paths)
    assert data["repository_prefix"] == "backend/"
    sarif = json.loads(run("check", backend, "--format", "sarif").stdout)
    run_ = sarif["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == monorepo.resolve().as_uri() + "/"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]
    }
    assert "backend/chat/settings.py" in uris
    assert all(u.startswith("backend/") for u in uris)
    github = run("check", backend, "--format", "github").stdout
    assert "file=backend/chat/settings.py,line=9" in github
    assert "file=chat/" not in github


def test_paths_outside_git_are_from_the_project_folder(plain):
    data = json.loads(run("check", str(plain), "--format", "json").stdout)
    assert data["repository_prefix"] == ""
    assert "chat/settings.py" in {f["path"] for f in data["findings"]}


# -- SARIF ----------------------------------------------------------------------------------------


def _validate(sarif: dict) -> None:
    schema = schemas.load(schemas.SARIF)
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(sarif), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize(
    "name",
    [pytest.param("legacy_single", marks=pytest.mark.slow), "asgi_channels", "deploy_ready"],
)
def test_sarif_is_valid_against_the_official_schema(name, tmp_path):
    shutil.copytree(PROJECTS / name, tmp_path / name)
    out = tmp_path / "djfix.sarif"
    run("check", str(tmp_path / name), "--format", "sarif", "-o", str(out))
    text = out.read_text()
    sarif = json.loads(text)
    _validate(sarif)
    # short rule help and links, not each item's whole documentation per rule (620 KB before)
    driver = sarif["runs"][0]["tool"]["driver"]
    for rule in driver["rules"]:
        assert len(json.dumps(rule)) < 1_300, rule["id"]
    assert len(json.dumps(driver)) < 80_000


def test_sarif_rules_carry_help_links_and_security_severity(plain):
    sarif = json.loads(run("check", str(plain), "--format", "sarif").stdout)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URL
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == {r.code for r in all_rules()}
    for rule in rules.values():
        assert rule["helpUri"] == f"{PROJECT_URL}/blob/main/docs/rules.md#{rule['id'].lower()}"
        assert len(rule["help"]["text"]) < 700, rule["id"]
        assert rule["helpUri"] in rule["help"]["markdown"]
    for code in ("DJ050", "DJ090", "DJ091", "DJ092", "DJ093"):
        props = rules[code]["properties"]
        assert "security" in props["tags"], code
        assert float(props["security-severity"]) > 0, code
    assert rules["DJ050"]["properties"]["security-severity"] == "7.5"  # error: high
    assert rules["DJ093"]["properties"]["security-severity"] == "5.0"  # warning: medium
    for code in ("DJ010", "DJ110", "DJ130"):
        assert "security-severity" not in rules[code]["properties"], code
        assert "security" not in rules[code]["properties"]["tags"], code


@pytest.mark.slow
def test_sarif_fingerprints_are_unique_and_survive_moved_lines(plain):
    def fingerprints() -> dict[str, tuple[str, int]]:
        results = json.loads(run("check", str(plain), "--format", "sarif").stdout)["runs"][0][
            "results"
        ]
        return {
            r["partialFingerprints"]["djfixFindingHash/v1"]: (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        }

    first = fingerprints()
    assert len(first) == len(
        json.loads(run("check", str(plain), "--format", "sarif").stdout)["runs"][0]["results"]
    )
    settings = plain / "chat" / "settings.py"
    settings.write_text("# a comment that moves every line down\n" + settings.read_text())
    moved = fingerprints()
    secret = next(k for k, (code, _) in first.items() if code == "DJ050")
    assert moved[secret] == ("DJ050", first[secret][1] + 1)


# -- one problem per line -------------------------------------------------------------------------


@pytest.mark.slow
def test_secret_in_the_file_and_weak_is_one_problem_with_two_reasons(plain):
    data = json.loads(run("check", str(plain), "--format", "json").stdout)
    at_line_9 = [f for f in data["findings"] if (f["path"], f["line"]) == ("chat/settings.py", 9)]
    assert [(f["code"], [a["code"] for a in f["also"]]) for f in at_line_9] == [
        ("DJ050", ["DJ091"])
    ]
    # DEBUG on in production (error) leads; DEBUG hard-coded (warning) is the second reason
    at_line_11 = [f for f in data["findings"] if (f["path"], f["line"]) == ("chat/settings.py", 11)]
    assert [(f["code"], [a["code"] for a in f["also"]]) for f in at_line_11] == [
        ("DJ090", ["DJ051"])
    ]
    text = run("check", str(plain)).stdout
    line = next(x for x in text.splitlines() if x.startswith("  chat/settings.py:9"))
    assert " DJ050 error " in line
    following = text.splitlines()[text.splitlines().index(line) + 1]
    assert following.startswith("      also DJ091 secret-key-weak: SECRET_KEY in chat/settings.py")
    assert "DJ091" not in "".join(x for x in text.splitlines() if x.startswith("  chat/"))
    sarif = json.loads(run("check", str(plain), "--format", "sarif").stdout)
    results = [
        r
        for r in sarif["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "chat/settings.py"
    ]
    assert [(r["ruleId"], r["properties"]["also"]) for r in results] == [("DJ050", ["DJ091"])]
    assert "Also DJ091 secret-key-weak: " in results[0]["message"]["text"]


def test_different_problems_on_one_line_stay_apart(plain):
    data = json.loads(run("check", str(plain), "--format", "json").stdout)
    # DJ070 and DJ071 (two missing health routes) and DJ110/DJ111 are separate problems
    codes = {f["code"] for f in data["findings"]}
    assert {"DJ070", "DJ071", "DJ110", "DJ111"} <= codes


def test_problems_unit():
    from fixer.findings import Finding, Rule, Severity

    weak = Rule("DJ091", "secret-key-weak", 9, Severity.ERROR, "s")
    written = Rule("DJ050", "literal-secret", 5, Severity.ERROR, "s")
    other = Rule("DJ110", "conn-max-age-missing", 11, Severity.WARNING, "s")
    found = report.problems(
        [
            Finding(weak, "weak", "s.py", 3),
            Finding(other, "conn", "s.py", 3),
            Finding(written, "written", "s.py", 3),
            Finding(written, "written elsewhere", "s.py", 4),
        ],
        "app/",
    )
    assert [(p.finding.code, p.codes, p.path) for p in found] == [
        ("DJ050", ["DJ050", "DJ091"], "app/s.py"),
        ("DJ110", ["DJ110"], "app/s.py"),
        ("DJ050", ["DJ050"], "app/s.py"),
    ]
    assert found[0].message == "written Also DJ091 secret-key-weak: weak"


# -- colour ---------------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, True, True),
        ({"FORCE_COLOR": "0"}, False, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
    ],
)
def test_use_color(monkeypatch, env, tty, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert report.use_color(Tty() if tty else io.StringIO()) is expected


def test_force_color_colours_a_pipe_and_no_color_wins(plain):
    assert "\x1b[" in run("check", str(plain), env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run("check", str(plain), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run("check", str(plain)).stdout


# -- quiet, exit-zero, statistics -----------------------------------------------------------------


def test_quiet_prints_the_findings_and_nothing_else(plain):
    result = run("check", str(plain), "-q")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    data = json.loads(run("check", str(plain), "--format", "json").stdout)
    heads = [x for x in lines if not x.startswith("    also ")]
    assert len(heads) == len(data["findings"])
    for line, finding in zip(heads, data["findings"], strict=True):
        where = finding["path"] or "(project)"
        assert line.startswith(where), line
        assert f" {finding['code']} " in line
    assert "Checklist" not in result.stdout and "djfix " not in result.stdout


def test_quiet_on_a_clean_project_prints_nothing(tmp_path):
    shutil.copytree(PROJECTS / "deploy_ready", tmp_path / "p")
    result = run("check", str(tmp_path / "p"), "--quiet")
    assert (result.exit_code, result.stdout) == (0, "")


def test_exit_zero(plain):
    assert run("check", str(plain)).exit_code == 1
    assert run("check", str(plain), "--exit-zero").exit_code == 0


def test_statistics(plain):
    result = run("check", str(plain), "--statistics")
    assert result.exit_code == 1
    data = json.loads(run("check", str(plain), "--format", "json").stdout)
    counts: dict[str, int] = {}
    for f in data["findings"]:
        for code in [f["code"], *(a["code"] for a in f["also"])]:
            counts[code] = counts.get(code, 0) + 1
    rows = [line.split() for line in result.stdout.splitlines()]
    assert {row[1]: int(row[0]) for row in rows} == counts
    assert [int(row[0]) for row in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    stats = json.loads(run("check", str(plain), "--statistics", "--format", "json").stdout)
    assert {s["code"]: s["count"] for s in stats} == counts
    assert run("check", str(plain), "--statistics", "--format", "sarif").exit_code == 2


# -- --files --------------------------------------------------------------------------------------


def test_files_shows_only_the_findings_in_the_files_given(monorepo, monkeypatch):
    monkeypatch.chdir(monorepo)
    result = run(
        "check", "--files", "backend/chat/urls.py", "frontend/index.js", "--format", "json"
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["findings"]
    assert {f["path"] for f in data["findings"]} == {"backend/chat/urls.py"}
    # from a subfolder, paths are taken from there, and reported from the repository root
    monkeypatch.chdir(monorepo / "backend")
    result = run("check", "--files", "chat/urls.py", "-q")
    assert result.exit_code == 1
    assert all(
        line.startswith(("backend/chat/urls.py:", "    also"))
        for line in result.stdout.splitlines()
    )


def test_files_without_findings_pass(monorepo, monkeypatch):
    monkeypatch.chdir(monorepo)
    result = run("check", "--files", "frontend/index.js")
    assert result.exit_code == 0, result.stdout
    assert "No findings in the files given" in result.stdout
    assert run("check", "--files").exit_code == 0


def test_two_paths_without_files_is_a_usage_error(plain):
    result = run("check", str(plain), str(plain))
    assert result.exit_code == 2
    assert "give one PATH, or --files FILE..." in result.stderr


# -- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["check"], ["rules"], ["explain"], ["apply"]])
def test_help_wraps_and_shows_no_bool_metavars(command):
    result = run(*command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = result.stdout
    assert "<bool>" not in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    # a paragraph of a docstring is one paragraph in the help, not the source's line breaks
    assert "\n  per checklist item" not in text


# -- SARIF fixes ----------------------------------------------------------------------------------


def apply_replacements(text: str, replacements: list[dict]) -> str:
    """A SARIF consumer: regions are 1-based lines and columns, endColumn exclusive; a missing
    endLine is startLine, a missing startColumn is 1, a missing endColumn is the line's end."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int | None) -> int:
        if line > len(lines):
            return len(text)
        if column is None:
            return starts[line - 1] + len(lines[line - 1].rstrip("\r\n"))
        return starts[line - 1] + column - 1

    spans = []
    for r in replacements:
        region = r["deletedRegion"]
        start = offset(region["startLine"], region.get("startColumn", 1))
        end = offset(region.get("endLine", region["startLine"]), region.get("endColumn"))
        spans.append((start, end, r["insertedContent"]["text"]))
    for start, end, inserted in sorted(spans, reverse=True):
        text = text[:start] + inserted + text[end:]
    return text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\nb\nc\n", "a\nx\nb\nc\n"),  # insertion in the middle
        ("a\nb\nc\n", "x\na\nb\nc\n"),  # at the start
        ("a\nb\nc\n", "a\nb\nc\nd\ne\n"),  # appended
        ("a\nb\nc", "a\nb\nc\nd\n"),  # appended to a file without a final line end
        ("a\nb\nc\n", "a\nB\nc\n"),  # one line replaced
        ("a\nb\nc\n", "a\nb\nC\nD\n"),  # the end replaced
        ("a\nb\nc\n", "a\n"),  # the end removed
        ("a\nb\nc\n", "b\nc\n"),  # the start removed
        ("a\nb\nc\nd\n", "a\nX\nc\nY\nZ\n"),  # two runs
        ("", "new file\n"),
        (None, "created\nfile\n"),
    ],
)
def test_sarif_replacements_reproduce_the_new_text(old, new):
    replacements = report._replacements(old, new)
    assert apply_replacements(old or "", replacements) == new
    for r in replacements:
        region = r["deletedRegion"]
        assert region["startLine"] >= 1 and region.get("startColumn", 1) >= 1


@pytest.mark.slow
def test_sarif_fixes_are_the_planned_changes(tmp_path):
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import Config, effective_options
    from fixer.discovery import discover

    project_dir = Path(shutil.copytree(PROJECTS / "legacy_single", tmp_path / "p"))
    sarif = json.loads(run("check", str(project_dir), "--format", "sarif").stdout)
    _validate(sarif)
    results = sarif["runs"][0]["results"]
    fixed = [r for r in results if r.get("fixes")]
    assert fixed
    planned = {
        c.rel: c.new
        for c in plan(
            discover(project_dir), Selection(), effective_options(Config())
        ).changeset.changes()
    }
    for result in fixed:
        for change in result["fixes"][0]["artifactChanges"]:
            rel = change["artifactLocation"]["uri"]
            path = project_dir / rel
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            assert apply_replacements(old, change["replacements"]) == planned[rel], rel
