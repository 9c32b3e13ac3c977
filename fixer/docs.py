"""Documentation generated from the rule registry: the README's rules table and docs/rules.md,
the page every rule's help link points at (`python -m fixer.docs` rewrites both)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fixer.checks import ITEM_TITLES, all_rules
from fixer.findings import Rule

# The project's address; pyproject.toml's [project.urls] Homepage says the same (a test holds
# them together), and the action, the pre-commit hook and SARIF's informationUri use it.
PROJECT_URL = "https://github.com/OWNER/django-deployfix"
RULES_PAGE = "docs/rules.md"

START = "<!-- rules-table:start -->"
END = "<!-- rules-table:end -->"


def rule_url(rule: Rule) -> str:
    """The rule's section of docs/rules.md on the project's main branch."""
    return f"{PROJECT_URL}/blob/main/{RULES_PAGE}#{rule.code.lower()}"


def rules_table() -> str:
    lines = [
        "| Code | Name | Item | Severity | Fix | What it reports |",
        "|---|---|---|---|---|---|",
    ]
    for r in all_rules():
        item = f"{r.item}. {ITEM_TITLES[r.item]}" if r.item is not None else "-"
        lines.append(
            f"| {r.code} | `{r.name}` | {item} | {r.severity.value} | {r.fix.value} | {r.summary} |"
        )
    return "\n".join(lines)


def update_readme(text: str) -> str:
    block = f"{START}\n{rules_table()}\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"the README has no {START} ... {END} block")
    return pattern.sub(lambda _: block, text)


def _demote(doc: str, levels: int) -> str:
    """The module docs' `## Section` headings, `levels` deeper (outside code blocks)."""
    out = []
    fenced = False
    for line in doc.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#+ ", line):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def rules_page() -> str:
    """docs/rules.md: per check module, its rules (one heading a code, the anchor rule_url names)
    and the module's documentation."""
    lines = [
        "# djfix rules",
        "",
        "<!-- generated from the rule registry by `python -m fixer.docs`: do not edit -->",
        "",
        "`djfix explain CODE` prints the same documentation; `djfix rules` lists the rules.",
    ]
    modules: dict[str, list[Rule]] = {}
    for rule in all_rules():
        modules.setdefault(rule.module, []).append(rule)
    for rules in modules.values():
        item = rules[0].item
        lines.append("")
        lines.append(
            f"## Item {item}: {ITEM_TITLES[item]}"
            if item is not None
            else "## Beyond the checklist"
        )
        for rule in rules:
            fix = rule.fix.value + (f" ({rule.fix_reason})" if rule.fix_reason else "")
            lines.extend(
                [
                    "",
                    f"### {rule.code}",
                    "",
                    f"`{rule.name}`: {rule.summary}",
                    "",
                    f"Severity: {rule.severity.value}. Fix: {fix}.",
                ]
            )
        doc = rules[0].doc
        if doc:
            lines.extend(["", _demote(doc, 2)])
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    readme = Path(argv[0] if argv else "README.md")
    readme.write_text(update_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    page = readme.parent / RULES_PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(rules_page(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
