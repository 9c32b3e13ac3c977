"""Errors that end a run with a message and an exit code instead of a traceback."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILED = 3


class DjfixError(Exception):
    """djfix could not finish; the message is shown to the user as is."""

    exit_code = EXIT_FAILED


class UsageError(DjfixError):
    """The command line or the configuration asked for something impossible."""

    exit_code = EXIT_USAGE
