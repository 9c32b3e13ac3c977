"""The portal's own apps: every package below modules/ that has an apps.py."""

from pathlib import Path

MODULES = Path(__file__).resolve().parent.parent / "modules"


def local_apps():
    return sorted(
        f"modules.{folder.name}"
        for folder in MODULES.iterdir()
        if (folder / "apps.py").is_file()
    )
