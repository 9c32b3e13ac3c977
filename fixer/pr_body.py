"""The body of the pull (merge) request djfix opens: the checklist before and after, the commits,
what verification proved, the secrets to set and what is left to do, rendered from
templates/pr_body.md.jinja."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from fixer.checks import ITEM_TITLES
from fixer.settings_values import EnvRef
from fixer.templating import render

MAX_OPEN_LISTED = 60  # findings listed one by one in the body; the rest are counted


def project_test_command(project) -> str:
    """How the project runs its tests: pytest when it is configured for it, else Django's."""
    root: Path = project.root
    names = set(getattr(project, "packages", {}) or {})
    uses_pytest = bool(names & {"pytest", "pytest-django"}) or any(
        (root / name).is_file() for name in ("pytest.ini", "conftest.py")
    )
    if not uses_pytest:
        for name, marker in (
            ("pyproject.toml", "[tool.pytest"),
            ("setup.cfg", "[tool:pytest]"),
            ("tox.ini", "[pytest]"),
        ):
            try:
                if marker in (root / name).read_text(encoding="utf-8", errors="replace"):
                    uses_pytest = True
                    break
            except OSError:
                continue
    if uses_pytest:
        return "python -m pytest"
    manage = project.manage_py or "manage.py"
    return f"python {manage} test"


def _variable_of(project, setting: str) -> str:
    """The environment variable a setting is read from; the setting's own name when the
    settings hold a literal (djfix's rewrite then reads that name)."""
    settings = getattr(project, "settings", None)
    value = settings.get(setting) if settings is not None else None
    if isinstance(value, EnvRef) and value.var:
        return value.var
    return setting


def _deploy_check_command(result) -> str:
    project = result.project
    ctx = result.context
    env: dict[str, str] = {
        "DJANGO_SETTINGS_MODULE": shlex.quote(project.production_module),
        # each under the name the settings read (DJANGO_SECRET_KEY stays DJANGO_SECRET_KEY)
        _variable_of(project, "SECRET_KEY"): (
            "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\""
        ),
        _variable_of(project, "DEBUG"): "False",
        _variable_of(project, "ALLOWED_HOSTS"): "example.com",
    }
    for var in ctx.env_vars.values():
        if var.required and var.name not in env:
            env[var.name] = shlex.quote(var.example) if var.example else f"'<{var.name}>'"
    assignments = " \\\n  ".join(f"{name}={value}" for name, value in env.items())
    manage = project.manage_py or "manage.py"
    return f"{assignments} \\\n  python {manage} check --deploy"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _status(status: str, count: int) -> str:
    if status == "fail":
        return f"fail ({count} finding{'s' if count != 1 else ''})"
    return status


_CHANGE = {
    "fixed and verified": "fixed and verified",
    "partly fixed and verified": "partly fixed and verified",
    "fixed": "fixed",
    "partly fixed": "partly fixed",
    "open": "to do by hand",
    "pass": "already done",
    "n/a": "does not apply",
    "skipped": "not selected",
}


def _commits(result, delivery) -> list[dict[str, Any]]:
    """What each commit of the branch did: its subject, files and the findings it fixed."""
    summaries = {s.item: s for s in result.items}
    out = []
    made = getattr(delivery, "commits", None) or getattr(delivery, "on_branch", None) or []
    for commit in made:
        summary = summaries.get(commit.item)
        codes = sorted({f.code for f in summary.fixed}) if summary is not None else []
        out.append(
            {
                "sha": commit.sha[:7],
                "subject": _cell(commit.subject),
                "files": commit.files,
                "fixes": codes,
            }
        )
    return out


def _secrets(ctx) -> list[dict[str, str]]:
    places = getattr(ctx, "secret_places", None) or []
    out = []
    seen: set[tuple[str, str]] = set()
    if places:
        for p in places:
            if (p.setting, p.rel) not in seen:
                seen.add((p.setting, p.rel))
                out.append(
                    {
                        "name": p.setting,
                        "where": f"{p.rel}:{p.line}" if p.line else p.rel,
                        "variable": p.variable if p.variable != p.setting else "",
                    }
                )
        return out
    for name, rel, line in ctx.secrets:
        if (name, "") not in seen:
            seen.add((name, ""))
            out.append({"name": name, "where": f"{rel}:{line}" if line else rel, "variable": ""})
    return out


def _verification(result) -> dict[str, Any] | None:
    verification = getattr(result, "verification", None)
    if verification is None:
        return None
    return {
        "ran": verification.ran,
        "not_run": verification.not_run,
        "rows": [
            {
                **r,
                "name": _cell(r["name"]),
                "reason": _cell(r["reason"]),
                "before_reason": _cell(r["before_reason"]),
            }
            for r in verification.rows()
        ],
        "summary": verification.summary(),
        "commands": verification.commands(),
        "runs": verification.runs,
    }


def body_context(result, *, test_cmd: str | None = None, delivery=None) -> dict[str, Any]:
    """What the pull request body shows, from an ApplyResult: plain values for the template."""

    def count(check_result, item: int) -> int:
        return sum(1 for f in check_result.findings if f.item == item)

    rows = []
    todo = []
    for summary in result.items:
        item = summary.item
        before = result.before.items.get(item, "n/a")
        after = result.after.items.get(item, before)
        rows.append(
            {
                "item": item,
                "title": _cell(ITEM_TITLES.get(item, str(item))),
                "before": _status(before, count(result.before, item)),
                "after": _status(after, count(result.after, item)),
                "change": _CHANGE.get(summary.label, summary.label),
            }
        )
        for finding, reason in summary.open:
            where = finding.path or ""
            if where and finding.line:
                where += f":{finding.line}"
            message = finding.message.strip().replace("\n", " ")
            if reason.startswith(finding.message):
                # the terminal's reason carries the finding's words; the body shows them already
                reason = reason[len(finding.message) :].strip().removeprefix("(").removesuffix(")")
            todo.append(
                {
                    "item": item,
                    "code": finding.code,
                    "name": finding.rule.name,
                    "where": where,
                    "message": message,
                    "reason": None
                    if reason.startswith("no automatic fix") or not reason
                    else reason,
                }
            )
    secrets = _secrets(result.context)
    changes = result.changeset.changes()
    return {
        "rows": rows,
        "fixed": sum(1 for s in result.items if s.status == "fixed" and not s.left_out),
        "partly": sum(1 for s in result.items if s.status == "partly fixed" and not s.left_out),
        "commits": _commits(result, delivery),
        "verification": _verification(result),
        "left_out": [
            {
                "item": s.item,
                "title": _cell(ITEM_TITLES.get(s.item, str(s.item))),
                "why": s.left_out,
            }
            for s in result.items
            if s.left_out
        ],
        "files": [
            {"rel": c.rel, "added": c.old is None} for c in changes if getattr(c, "tracked", True)
        ],
        "todo": todo[:MAX_OPEN_LISTED],
        "todo_more": max(0, len(todo) - MAX_OPEN_LISTED),
        "check_command": "djfix check .",
        "deploy_command": _deploy_check_command(result),
        "test_command": test_cmd or project_test_command(result.project),
        "secrets": secrets,
        "notes": [n.replace("\n", " ") for n in result.context.notes],
        "bugs": [f"{f.code} at {f.path}:{f.line}: {f.message}" for f in result.bugs],
    }


def render_body(result, *, test_cmd: str | None = None, delivery=None) -> str:
    """The pull/merge request body for an ApplyResult (and the branch `delivery` made), from
    templates/pr_body.md.jinja."""
    return render("pr_body.md.jinja", **body_context(result, test_cmd=test_cmd, delivery=delivery))
