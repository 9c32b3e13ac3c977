from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from fixer import __version__
from fixer.checks import ITEM_TITLES, all_rules
from fixer.cli import app
from tests.conftest import MINIMAL_MANAGE, PROJECTS, write_tree


def _runner() -> CliRunner:
    # click < 8.2 (what typer's lowest supported release runs on) mixes stderr into stdout unless
    # told not to; click 8.2 separates them and has no such argument
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


runner = _runner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"djfix {__version__}"


def test_rules_text_lists_every_rule():
    result = run("rules")
    assert result.exit_code == 0
    for r in all_rules():
        assert r.code in result.stdout and r.name in result.stdout


def test_rules_json():
    data = json.loads(run("rules", "--format", "json").stdout)
    assert {d["code"] for d in data} == {r.code for r in all_rules()}
    assert set(data[0]) == {"code", "name", "item", "severity", "fix", "summary"}


def test_rule_codes_are_unique_and_match_their_item():
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes))
    names = [r.name for r in all_rules()]
    assert len(names) == len(set(names))
    for r in all_rules():
        if r.item is None:
            assert r.code.startswith("DJ9")
        else:
            assert r.code == f"DJ{r.item:02d}{r.code[-1]}"
    assert {r.item for r in all_rules()} - {None} == set(ITEM_TITLES)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_is_documented(rule):
    doc = rule.doc
    sections = [
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## Fix safety",
        "## Options",
    ]
    positions = [doc.find(s) for s in sections]
    assert all(p >= 0 for p in positions), f"{rule.module} lacks a section"
    assert positions == sorted(positions)
    assert "```diff" in doc


def test_explain_prints_docs():
    result = run("explain", "DJ110")
    assert result.exit_code == 0
    assert "conn-max-age-missing" in result.stdout
    assert "## Why it matters" in result.stdout


def test_explain_by_name_and_unknown():
    assert run("explain", "conn-max-age-missing").exit_code == 0
    result = run("explain", "DJ999")
    assert result.exit_code == 2
    assert "no rule 'DJ999'" in result.stderr


def test_check_deploy_ready_project_is_clean():
    result = run("check", str(PROJECTS / "deploy_ready"))
    assert result.exit_code == 0, result.stdout
    assert "No findings" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal


def test_check_legacy_project_fails_every_applicable_item():
    result = run("check", str(PROJECTS / "legacy_single"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["djfix"] == __version__
    assert data["project"]["settings"]["module"] == "legacy.settings"
    for finding in data["findings"]:
        assert set(finding) == {
            "code",
            "name",
            "item",
            "severity",
            "path",
            "line",
            "column",
            "message",
            "fix",
            "also",
        }
    failing = {k for k, v in data["items"].items() if v == "fail"}
    assert {"2", "3", "4", "5", "7", "8", "9", "10", "11", "12", "13"} <= failing


def test_text_output_groups_by_item_and_ends_with_table():
    result = run("check", str(PROJECTS / "legacy_single"))
    out = result.stdout
    assert out.index("5. Configuration from the environment") < out.index("Checklist")
    table = out[out.index("Checklist") :]
    for title in ITEM_TITLES.values():
        assert title in table
    assert "fixable with `djfix apply`" in out


def test_select_and_ignore_by_item_and_code():
    result = run("check", str(PROJECTS / "legacy_single"), "--select", "11", "--format", "json")
    data = json.loads(result.stdout)
    assert {f["item"] for f in data["findings"]} == {11}
    assert data["items"]["5"] == "skipped"
    result = run(
        "check",
        str(PROJECTS / "legacy_single"),
        "--select",
        "11",
        "--ignore",
        "DJ111",
        "--format",
        "json",
    )
    assert {f["code"] for f in json.loads(result.stdout)["findings"]} == {"DJ110"}


def test_unknown_select_is_a_usage_error():
    result = run("check", str(PROJECTS / "legacy_single"), "--select", "DJ999")
    assert result.exit_code == 2
    assert "DJ999" in result.stderr


@pytest.mark.slow
def test_sarif_output(tmp_path):
    out = tmp_path / "djfix.sarif"
    result = run("check", str(PROJECTS / "legacy_single"), "--format", "sarif", "-o", str(out))
    assert result.exit_code == 1
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "djfix"
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    for res in run_["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert res["level"] in ("error", "warning", "note")


def test_github_annotations(tmp_path):
    shutil.copytree(PROJECTS / "legacy_single", tmp_path / "p")  # outside any git work tree
    result = run("check", str(tmp_path / "p"), "--format", "github")
    lines = result.stdout.splitlines()
    assert lines
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert any("file=legacy/settings.py,line=" in line for line in lines)


def test_config_in_pyproject(tmp_path):
    shutil.copytree(PROJECTS / "legacy_single", tmp_path / "p")
    (tmp_path / "p" / "pyproject.toml").write_text(
        "[tool.djfix]\nselect = [11]\n\n[tool.djfix.options]\nconn-max-age = 120\n"
    )
    data = json.loads(run("check", str(tmp_path / "p"), "--format", "json").stdout)
    assert {f["item"] for f in data["findings"]} == {11}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.djfix]\nselekt = [1]\n", "unknown key 'selekt'"),
        ("[tool.djfix.options]\nnope = 1\n", "unknown option 'nope'"),
        ("[tool.djfix.options]\nconn-max-age = 'x'\n", "must be a int"),
        ("[tool.djfix\n", "pyproject.toml cannot be read"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path, toml, message):
    shutil.copytree(PROJECTS / "deploy_ready", tmp_path / "p")
    (tmp_path / "p" / "pyproject.toml").write_text(toml)
    result = run("check", str(tmp_path / "p"))
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_path():
    result = run("check", "/nonexistent/repo")
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_empty_directory(tmp_path):
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert "is empty" in result.stderr


def test_not_a_django_project(tmp_path):
    write_tree(tmp_path, {"setup.py": "print('hi')\n", "pkg/__init__.py": ""})
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert "is not a Django project" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_manage_py(tmp_path):
    write_tree(tmp_path, {"one/manage.py": MINIMAL_MANAGE, "two/manage.py": MINIMAL_MANAGE})
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert "one/manage.py" in result.stderr and "--manage" in result.stderr


def test_bad_files_do_not_stop_the_run(tmp_path):
    shutil.copytree(PROJECTS / "legacy_single", tmp_path / "p")
    shop = tmp_path / "p" / "shop"
    (shop / "py2.py").write_text('print "old"\n')
    (shop / "latin.py").write_bytes(b"X = 1\nNAME = '\xe9'\n")
    (shop / "views.py").write_bytes((shop / "views.py").read_bytes().replace(b"\n", b"\r\n"))
    (shop / "loop").symlink_to(shop / "loop")
    # an app module with a query forces djfix to read the files of the app
    (shop / "py2.py").write_text('print "old"\nX = Product.objects.count()\n')
    (shop / "latin.py").write_bytes(b"X = Product.objects.count()\nNAME = '\xe9'\n")
    result = run("check", str(tmp_path / "p"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    by_code = {}
    for f in data["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    assert any(f["path"] == "shop/py2.py" and "Python 2" in f["message"] for f in by_code["DJ900"])
    assert any(f["path"] == "shop/latin.py" for f in by_code["DJ901"])
    # the rest of the run still happened
    assert "DJ050" in by_code and "DJ110" in by_code


def test_debug_shows_traceback_only_when_asked(tmp_path, monkeypatch):
    import fixer.checks.item11_db_connections as item11

    def boom(project, options):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(item11, "check", boom)
    result = run("check", str(PROJECTS / "legacy_single"))
    assert result.exit_code == 3
    assert "kaboom" in result.stderr and "Traceback" not in result.stderr
    assert "item11_db_connections" in result.stderr


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "fixer", "check", str(PROJECTS / "deploy_ready")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_rules_table_is_current():
    from pathlib import Path

    from fixer.docs import update_readme

    readme = Path(__file__).parent.parent / "README.md"
    text = readme.read_text()
    assert update_readme(text) == text, "run `python -m fixer.docs`"


def test_rules_page_is_current_and_has_every_rule_anchor():
    from pathlib import Path

    from fixer.docs import RULES_PAGE, rule_url, rules_page

    page = Path(__file__).parent.parent / RULES_PAGE
    assert page.read_text(encoding="utf-8") == rules_page(), "run `python -m fixer.docs`"
    headings = {line[4:] for line in rules_page().splitlines() if line.startswith("### ")}
    for rule in all_rules():
        assert rule.code in headings
        assert rule_url(rule).endswith(f"{RULES_PAGE}#{rule.code.lower()}")
