"""Messages say what is wrong: an open finding after apply says it in its own words, Ctrl-C
is one line, item 6 says "not verified" when Django did not run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability.conftest import SETTINGS, build, invoke

CSRF = '    "django.middleware.csrf.CsrfViewMiddleware",\n'


def test_missing_csrf_middleware_says_so_in_check_and_apply(tmp_path):
    repo = build(tmp_path / "repo", {"mysite/settings.py": SETTINGS.replace(CSRF, "")})
    checked = invoke("check", str(repo), "--select", "9")
    assert "does not include django.middleware.csrf.CsrfViewMiddleware" in checked.output
    applied = invoke("apply", str(repo), "--dry-run", "--python", "none")
    after = applied.output.split("Checklist after apply", 1)[1]
    if "DJ096" in after:  # still open after apply: the summary says why in the same words
        line = next(ln for ln in after.splitlines() if "DJ096" in ln)
        assert "does not include django.middleware.csrf.CsrfViewMiddleware" in line, line
    else:  # or the fix added it
        assert '+    "django.middleware.csrf.CsrfViewMiddleware",' in applied.output


#: the line of fixer/__main__.py that installs djfix's first Ctrl-C handler
_HANDLER_LINE = next(
    number
    for number, text in enumerate(
        (Path(__file__).parents[2] / "fixer" / "__main__.py").read_text().splitlines(), 1
    )
    if text.startswith("signal.signal(")
)


def _before_djfix_ran(returncode: int, stderr: str) -> bool:
    """A Ctrl-C that comes while the interpreter itself starts (before `python -m fixer` has run
    a line of djfix) is Python's to report; from the first line of fixer/__main__.py on, djfix
    answers it in one line. So a traceback is djfix's only when one of its frames is djfix's,
    past the line of fixer/__main__.py that installs the handler (a signal during that module's
    first lines, `import signal`, is still Python's to report).
    Python's own reports vary with the moment: a traceback, "Could not import runpy module"
    first, or, before Python has set its own handler, a silent end by the signal."""
    frames = re.findall(r'File "([^"]+)", line (\d+)', stderr)
    ours = [(path, int(line)) for path, line in frames if "fixer" + os.sep in path]
    if ours:
        # the one frame of djfix's before its handler: fixer/__main__.py's first lines
        return all(
            path.endswith(os.path.join("fixer", "__main__.py")) and line <= _HANDLER_LINE
            for path, line in ours
        ) and stderr.rstrip().endswith("KeyboardInterrupt")
    if returncode == -signal.SIGINT and not stderr:
        return True
    return stderr.rstrip().endswith("KeyboardInterrupt")


def _interrupt(args: list[str], cwd: Path, delay: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_ctrl_c_prints_one_line_not_a_traceback(tmp_path):
    repo = build(tmp_path / "repo")
    root = Path(__file__).parents[2]
    for delay in (0.05, 0.4, 1.0):
        done = _interrupt(["check", str(repo), "--python", sys.executable], root, delay)
        if _before_djfix_ran(done.returncode, done.stderr):
            continue  # the signal met the interpreter starting up: nothing of djfix ran yet
        if done.returncode == 130:
            assert done.stderr == "djfix: interrupted\n", done.stderr
        else:  # finished before the signal came
            assert done.returncode in (0, 1) and "Traceback" not in done.stderr


def test_item_6_not_verified_in_apply_when_django_does_not_run(tmp_path):
    repo = build(tmp_path / "repo", repo=False)
    done = invoke("apply", str(repo), "--dry-run", "--python", "none")
    line = next(ln for ln in done.output.splitlines() if "Valid migrations" in ln)
    assert "not verified" in line and "pass" not in line
