def short(text, length=40):
    return text if len(text) <= length else text[: length - 1] + "\u2026"
