"""Text as every parser here reads it: a leading byte-order mark dropped, and `\r\n` or `\r`
line endings made `\n`, so line numbers count the same whatever editor wrote the file."""

from __future__ import annotations


def normalize_text(text: str) -> str:
    """The text without a leading BOM and with `\n` line endings."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")
