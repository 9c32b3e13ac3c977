"""The README's rules table, generated from the registry (`python -m fixer.docs README.md`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fixer.checks import ITEM_TITLES, all_rules

START = "<!-- rules-table:start -->"
END = "<!-- rules-table:end -->"


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


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(update_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
