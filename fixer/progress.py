"""Progress for long work (checking or fixing a large repository): a spinner on stderr naming
the phase, shown only when stderr is a terminal, so that pipes, files and CI logs stay clean."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO


def enabled(stream: IO[str] | None = None) -> bool:
    """Whether progress is shown on `stream` (default stderr): a terminal that is not dumb."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def phase(label: str, *, stream: IO[str] | None = None) -> Iterator[None]:
    """Show `label` with a spinner while the block runs; the line is cleared at the end."""
    with status(label, stream=stream):
        yield


@contextlib.contextmanager
def status(label: str, *, stream: IO[str] | None = None) -> Iterator[Callable[[str], None]]:
    """Like `phase`, and yields a function that changes the label as the work goes on (verify's
    steps); a no-op where progress is not shown."""
    stream = stream if stream is not None else sys.stderr
    if not enabled(stream):
        yield lambda _label: None
        return
    # lazy: rich loads only when a terminal will show it
    from rich.console import Console

    console = Console(
        file=stream,
        force_terminal=True,
        no_color=bool(os.environ.get("NO_COLOR")),
        highlight=False,
    )
    with console.status(f"djfix: {label}", spinner="dots") as shown:
        yield lambda text: shown.update(f"djfix: {text}")
