"""What a `.dockerignore` lets into the build context, so into an image that runs `COPY . .`."""

from __future__ import annotations

#: what a .dockerignore must exclude, with the patterns that do exclude it
PRIVATE_PATHS: dict[str, frozenset[str]] = {
    ".env": frozenset({".env", "/.env", ".env*", "/.env*", "*.env", "**/.env", ".*", "*"}),
    ".git": frozenset({".git", "/.git", ".git/", "/.git/", ".git*", "**/.git", ".*", "*"}),
}


def dockerignore_lets_in(text: str) -> list[str]:
    """The private paths (.env, .git) a .dockerignore does not exclude, in PRIVATE_PATHS order.
    The last matching line wins, as in Docker: `!.env` after `.env*` lets it back in."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    missing: list[str] = []
    for path, patterns in PRIVATE_PATHS.items():
        excluded = False
        for line in lines:
            negated = line.startswith("!")
            pattern = line[1:].strip() if negated else line
            if pattern in patterns or pattern.rstrip("/") == path:
                excluded = not negated
        if not excluded:
            missing.append(path)
    return missing
