import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent.parent
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles")
