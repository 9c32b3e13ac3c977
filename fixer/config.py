"""`[tool.djfix]` in the target repository's pyproject.toml."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer.checks import all_options
from fixer.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = {
    "select": "rule codes, names or checklist item numbers to check (default: all)",
    "ignore": "rule codes, names or checklist item numbers to leave out",
    "settings": "the settings module to read, e.g. config.settings.production",
    "manage": "the path of manage.py, relative to the repository root",
    "options": "a table of per-rule options (see `djfix explain CODE`)",
}


@dataclass
class Config:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    settings: str | None = None
    manage: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    source: str | None = None


def _str_list(key: str, value: Any) -> list[str]:
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise UsageError(f"[tool.djfix] {key} must be a list of rule codes or item numbers")
    return [str(v) for v in value]


def load_config(root: Path) -> Config:
    """Read `[tool.djfix]`; an unknown key or a wrong type is a UsageError that names it."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"pyproject.toml cannot be read: {exc}") from exc
    table = data.get("tool", {}).get("djfix")
    if table is None:
        return Config()
    if not isinstance(table, dict):
        raise UsageError("[tool.djfix] in pyproject.toml must be a table")
    config = Config(source="pyproject.toml")
    for key, value in table.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise UsageError(
                f"unknown key {key!r} in [tool.djfix] of pyproject.toml; known: {known}"
            )
        if key == "select":
            config.select = _str_list(key, value)
        elif key == "ignore":
            config.ignore = _str_list(key, value)
        elif key in ("settings", "manage"):
            if not isinstance(value, str):
                raise UsageError(f"[tool.djfix] {key} must be a string")
            setattr(config, key, value)
        elif key == "options":
            if not isinstance(value, dict):
                raise UsageError("[tool.djfix.options] must be a table")
            known_options = all_options()
            for name, option_value in value.items():
                option = known_options.get(name)
                if option is None:
                    listed = ", ".join(sorted(known_options)) or "none"
                    raise UsageError(
                        f"unknown option {name!r} in [tool.djfix.options]; known: {listed}"
                    )
                config.options[name] = option.validate(name, option_value)
    return config


def effective_options(config: Config | None) -> dict[str, Any]:
    """Every option's value: its default, unless [tool.djfix.options] sets it."""
    out = {name: opt.default for name, opt in all_options().items()}
    if config is not None:
        out.update(config.options)
    return out
