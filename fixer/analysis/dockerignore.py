"""What a `.dockerignore` lets into the build context, so into an image that runs `COPY . .`:
the private paths it must keep out, and the folders it must let in (a committed STATIC_ROOT)."""

from __future__ import annotations

#: what a .dockerignore must exclude, with the patterns that do exclude it
PRIVATE_PATHS: dict[str, frozenset[str]] = {
    ".env": frozenset({".env", "/.env", ".env*", "/.env*", "*.env", "**/.env", ".*", "*"}),
    ".git": frozenset({".git", "/.git", ".git/", "/.git/", ".git*", "**/.git", ".*", "*"}),
}


def dockerignore_lets_in(text: str) -> list[str]:
    """The private paths (.env, .git) a .dockerignore does not exclude, in PRIVATE_PATHS order.
    The last matching line wins, as in Docker: `!.env` after `.env*` lets it back in."""
    lines = _pattern_lines(text)
    return [
        path for path, patterns in PRIVATE_PATHS.items() if not _excluded(lines, path, patterns)
    ]


def dockerignore_excludes(text: str, folder: str) -> bool:
    """Whether a .dockerignore keeps `folder` (a path of the build context, such as a committed
    STATIC_ROOT) out: a line naming it (`static`, `/static/`, `static/**`, `**/static`), or
    everything (`*`), the last matching line winning."""
    folder = folder.strip("/")
    patterns = frozenset(
        {folder, f"/{folder}", f"{folder}/**", f"/{folder}/**", f"**/{folder}", "*", "**"}
    )
    return _excluded(_pattern_lines(text), folder, patterns)


def _pattern_lines(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _excluded(lines: list[str], path: str, patterns: frozenset[str]) -> bool:
    excluded = False
    for line in lines:
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        if pattern in patterns or pattern.rstrip("/") in patterns or pattern.rstrip("/") == path:
            excluded = not negated
    return excluded
