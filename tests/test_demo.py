"""The README's first set-up command, run as a newcomer runs it: `bash examples/demo.sh`
installs djfix into a fresh virtualenv and does the whole job on the example legacy project
(check, apply with verification, verify), leaving the repository unchanged."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_demo_does_the_whole_job(tmp_path):
    before = subprocess.run(
        ["git", "status", "--porcelain", "--", "examples"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    env = {**os.environ, "DJFIX_VENV": str(tmp_path / "venv"), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "demo.sh")],
        capture_output=True,
        text=True,
        timeout=1500,
        env=env,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "== djfix check" in out and "== djfix verify" in out
    assert "Branch djfix/deploy-ready created" in out, out[-4000:]
    # every item apply changed ran: none is "fixed" without verification, none broke a step
    assert "left out" not in out and re.search(r"fixed and verified", out), out[-4000:]
    assert re.search(r"\n(\d+) of \1 steps that ran passed", out), out[-2000:]
    after = subprocess.run(
        ["git", "status", "--porcelain", "--", "examples"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert after == before
