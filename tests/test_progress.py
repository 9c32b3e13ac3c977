"""The progress display: a spinner naming the phase on a terminal's stderr, nothing elsewhere."""

from __future__ import annotations

import io

import pytest

from fixer import progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_nothing_when_not_a_terminal():
    stream = io.StringIO()
    with progress.phase("planning the fixes", stream=stream):
        pass
    assert stream.getvalue() == ""
    assert progress.enabled(stream) is False


def test_nothing_on_a_dumb_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    stream = Tty()
    with progress.phase("planning the fixes", stream=stream):
        pass
    assert stream.getvalue() == ""


def test_spinner_names_the_phase_on_a_terminal():
    stream = Tty()
    ran = []
    with progress.phase("planning the fixes", stream=stream):
        ran.append(True)
    assert ran == [True]
    shown = stream.getvalue()
    assert "djfix: planning the fixes" in shown
    # the status line is cleared when the phase ends: the cursor is back at the line start
    assert shown.rstrip(" ").endswith(("\r", "\x1b[2K", "\x1b[?25h"))


def test_an_error_inside_a_phase_propagates_and_clears_the_line():
    stream = Tty()
    with pytest.raises(ValueError, match="boom"), progress.phase("checking .", stream=stream):
        raise ValueError("boom")
    assert "djfix: checking ." in stream.getvalue()


def test_check_shows_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    import shutil

    from fixer.cli import app
    from tests.conftest import PROJECTS
    from tests.test_cli import runner

    shutil.copytree(PROJECTS / "deploy_ready", tmp_path / "p")
    result = runner.invoke(app, ["check", str(tmp_path / "p")], catch_exceptions=False)
    assert result.exit_code == 0
    assert "djfix: checking" not in result.stdout
    assert "djfix: checking" not in (result.stderr or "")


def test_status_follows_the_steps_on_a_terminal():
    stream = Tty()
    with progress.status("verifying .", stream=stream) as show:
        show("verify step 3: boot on empty database")
    assert "djfix: verifying ." in stream.getvalue() or "verify step 3" in stream.getvalue()


def test_status_is_silent_off_a_terminal():
    stream = io.StringIO()
    with progress.status("verifying .", stream=stream) as show:
        show("verify step 1: check --deploy")
    assert stream.getvalue() == ""
