"""The body of the pull (merge) request djfix opens: the checklist before and after, the commits,
what verification proved, the secrets to set and what is left to do, rendered from
templates/pr_body.md.jinja."""

from __future__ import annotations

import posixpath
import re
import shlex
from pathlib import Path
from typing import Any

from fixer.analysis.required_settings import required_variables
from fixer.checks import ITEM_TITLES
from fixer.project import database_url_reads
from fixer.settings_values import EnvRef
from fixer.templating import render

TEMPLATE = "pr_body.md.jinja"

MAX_OPEN_LISTED = 60  # findings listed one by one in the body; the rest are counted


def project_test_command(project) -> str:
    """How the project runs its tests: pytest when it is configured for it (at the root, or
    beside manage.py in a subfolder, where the command runs from), else Django's."""
    root: Path = project.root
    names = set(getattr(project, "packages", {}) or {})
    manage_dir = posixpath.dirname(project.manage_py or "")
    for folder in dict.fromkeys(["", manage_dir]):
        if _configures_pytest(root / folder):
            return f"cd {shlex.quote(folder)} && python -m pytest" if folder else "python -m pytest"
    if names & {"pytest", "pytest-django"}:
        return "python -m pytest"
    manage = project.manage_py or "manage.py"
    return f"python {manage} test"


def _configures_pytest(folder: Path) -> bool:
    if any((folder / name).is_file() for name in ("pytest.ini", "conftest.py")):
        return True
    for name, marker in (
        ("pyproject.toml", "[tool.pytest"),
        ("setup.cfg", "[tool:pytest]"),
        ("tox.ini", "[pytest]"),
    ):
        try:
            if marker in (folder / name).read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


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
    # read with an empty default, and still required: the settings or an app's code raise
    # without it once DEBUG is off (saleor's ALLOWED_CLIENT_HOSTS, RSA_PRIVATE_KEY)
    # (a result made by hand, as a forge's tests make one, may carry no discovered settings)
    discovered = getattr(project, "settings_modules", None) is not None
    for name in required_variables(project) if discovered else []:
        if name in env:
            continue
        if re.search(r"(^|_)PRIVATE_KEY$", name, re.I):
            env[name] = '"$(openssl genpkey -algorithm RSA 2>/dev/null)"'
        else:
            env[name] = f"'<{name}>'"
    # a database chosen by a URL variable when it is set (`if env("PRIMARY_DB_URI"): ... else:
    # {"ENGINE": env("DB_ENGINE"), ...}`): set it, or the other branch wants its own variables;
    # the check connects to no database, so a file that is never made does
    urls = database_url_reads(project) if discovered else []
    if urls and not any(name in env for name in urls):
        env[urls[0]] = "sqlite:////tmp/check-deploy.sqlite3"
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
    # n/a before: the change made the project use what the item is about
    "pass, applies now": "applies after this change, and passes",
    "open, applies now": "applies after this change: to do by hand",
}


def _made(delivery) -> list[Any]:
    return getattr(delivery, "commits", None) or getattr(delivery, "on_branch", None) or []


def _codes(findings) -> str:
    return ", ".join(sorted({f.code for f in findings}))


def _commits(result, delivery) -> list[dict[str, Any]]:
    """What each commit of the branch did: its subject, files, the findings it fixed, those of
    its item still open (a partly fixed item), and the items it holds that have no commit of
    their own."""
    summaries = {s.item: s for s in result.items}
    out = []
    for commit in _made(delivery):
        summary = summaries.get(commit.item)
        codes = sorted({f.code for f in summary.fixed}) if summary is not None else []
        still = (
            _codes(f for f, _ in summary.open)
            if summary is not None and summary.status == "partly fixed"
            else ""
        )
        also = []
        for item in getattr(commit, "also", None) or []:
            other = summaries.get(item)
            fixed = _codes(other.fixed) if other is not None else ""
            also.append({"item": item, "fixes": fixed})
        out.append(
            {
                "sha": commit.sha[:7],
                "subject": _cell(commit.subject),
                "files": commit.files,
                "fixes": codes,
                "still_open": still,
                "also": also,
            }
        )
    return out


def _items_phrase(items: list[int]) -> str:
    """ "item 13", "items 2 and 3", "items 2, 3 and 4"."""
    if len(items) == 1:
        return f"item {items[0]}"
    return "items " + ", ".join(str(i) for i in items[:-1]) + f" and {items[-1]}"


def _their(items: list[int]) -> str:
    return "its" if len(items) == 1 else "their"


def _no_commit(items: list[int]) -> str:
    """ "Item 13 has no commit of its own", "Items 2 and 3 have no commit of their own"."""
    verb = "has" if len(items) == 1 else "have"
    phrase = _items_phrase(items)
    return f"{phrase[0].upper()}{phrase[1:]} {verb} no commit of {_their(items)} own"


def placement(result, delivery) -> str:
    """Where the changes of the items with no commit of their own are: a sentence for each
    commit that holds some ("" when every changed item has its own)."""
    made = _made(delivery)
    if not made:
        return ""
    own = {c.item for c in made}
    changed = [
        s.item
        for s in result.items
        if s.status in ("fixed", "partly fixed") and not s.left_out and s.item not in own
    ]
    sentences = []
    placed: set[int] = set()
    for commit in made:
        riders = [i for i in getattr(commit, "also", None) or [] if i in changed]
        if riders:
            placed.update(riders)
            title = ITEM_TITLES.get(commit.item, commit.subject) if commit.item else commit.subject
            sentences.append(
                f"{_no_commit(riders)}: {_their(riders)} changes are in `{commit.sha[:7]}` "
                f"({_cell(title)})."
            )
    rest = [i for i in changed if i not in placed]
    if rest:
        them = "it" if len(rest) == 1 else "them"
        sentences.append(f"{_no_commit(rest)}: the other items' changes fixed {them}.")
    return " ".join(sentences)


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


#: a skip reason longer than this is written once in the verification table
_SAID_ONCE = 60


def _verification(result) -> dict[str, Any] | None:
    verification = getattr(result, "verification", None)
    if verification is None:
        return None
    rows = []
    said: dict[str, str] = {}  # a long reason -> the step whose row gave it first
    for r in verification.rows():
        # a long reason once: a database verify cannot use skips steps 3-5 before and after,
        # and the table repeated its paragraph six times
        before, after = _cell(r["before_reason"]), _cell(r["reason"])
        shown_before, shown_after = before, after
        if len(before) > _SAID_ONCE:
            first = said.setdefault(before, r["number"])
            shown_before = before if first == r["number"] else f"as step {first}"
        if len(after) > _SAID_ONCE and after == before:
            shown_after = "the same as before"
        elif len(after) > _SAID_ONCE:
            first = said.setdefault(after, r["number"])
            shown_after = after if first == r["number"] else f"as step {first}"
        rows.append(
            {**r, "name": _cell(r["name"]), "before_reason": shown_before, "reason": shown_after}
        )
    return {
        "ran": verification.ran,
        "not_run": verification.not_run,
        "rows": rows,
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
            shown = None if reason.startswith("no automatic fix") or not reason else reason
            previous = todo[-1] if todo else None
            if (
                shown is not None
                and previous is not None
                and (previous["code"], previous["path"], previous["full_reason"])
                == (finding.code, finding.path, shown)
            ):
                shown = "the same as above"  # a long reason once for one file's findings
            todo.append(
                {
                    "item": item,
                    "code": finding.code,
                    "name": finding.rule.name,
                    "where": where,
                    "path": finding.path,
                    "message": message,
                    "reason": shown,
                    "full_reason": reason,
                }
            )
    secrets = _secrets(result.context)
    changes = result.changeset.changes()
    return {
        "rows": rows,
        "fixed": sum(1 for s in result.items if s.status == "fixed" and not s.left_out),
        "partly": sum(1 for s in result.items if s.status == "partly fixed" and not s.left_out),
        "commits": _commits(result, delivery),
        "placement": placement(result, delivery),
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
    return render(TEMPLATE, **body_context(result, test_cmd=test_cmd, delivery=delivery))
