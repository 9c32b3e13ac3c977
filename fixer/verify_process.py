"""Processes of `djfix verify`: each child in its own process group, its output in a file,
every wait bounded, and only loopback HTTP (redirects are answers, never followed)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=10)
            # the leader is gone; its workers may not be: one more signal to the group
            if sig is signal.SIGTERM:
                time.sleep(0.2)
                continue
            return
        except subprocess.TimeoutExpired:
            continue


class Process:
    """A child in its own process group, its output in a file, always stopped: by `stop()`, or
    by `stop_all()` when a run ends early (an error, Ctrl-C)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            self._out.close()
            raise
        _LIVE.add(self)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> str:
        kill_group(self.proc)
        _LIVE.discard(self)
        if self._out.closed:
            return ""
        self._out.seek(0)
        text = self._out.read(2_000_000).decode("utf-8", "replace")
        self._out.close()
        return text


_LIVE: set[Process] = set()


def stop_all() -> None:
    """Stop every child still running."""
    for process in list(_LIVE):
        process.stop()


def run_command(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """(exit status or None on timeout, output) of one command."""
    try:
        process = Process(argv, cwd, env)
    except OSError as exc:
        return 127, f"{argv[0]}: {exc.strerror or exc}"
    code = process.wait(timeout)
    output = process.stop()
    if code is None:
        output += f"\n(stopped after {timeout:.0f} s)"
    return code, output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def http_get(
    port: int, path: str, timeout: float, https: bool = False, host: str = ""
) -> tuple[int | None, str]:
    """(status or None, error) of GET `path`; redirects are answers, never followed. `host`
    is the Host header to send (a name the project's ALLOWED_HOSTS accepts), "" for
    127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"X-Forwarded-Proto": "https"} if https else {}
    if host:
        headers["Host"] = host
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read(1_000_000)
        return response.status, ""
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        conn.close()


def _raised_at(lines: list[str]) -> int:
    """The index of the exception line of the last traceback in `lines` (-1: none): the first
    line at column 0 after its frames, whatever the exception's name
    (`django.core.exceptions.ImproperlyConfigured: ...` names no Error)."""
    starts = [i for i, ln in enumerate(lines) if ln.startswith("Traceback (most recent call")]
    if not starts:
        return -1
    for i in range(starts[-1] + 1, len(lines)):
        if lines[i].strip() and not lines[i][0].isspace():
            return i
    return -1


def last_error(output: str) -> str:
    lines = [ln.rstrip() for ln in output.splitlines() if ln.strip()]
    raised = _raised_at(lines)
    for i in range(len(lines) - 1, raised, -1):
        line = lines[i]
        if "Error" in line or "Exception" in line or "error:" in line.lower():
            return line.strip()[:240]
    if raised >= 0:
        return lines[raised].strip()[:240]
    return lines[-1].strip()[:240] if lines else "no output"
