"""Room for deep trees: code as nested as Python accepts must not end in a RecursionError.

LibCST (and the AST walkers) visit a tree by recursion, a few Python frames for every level of
nesting: a long chain of `+`, of `elif` or of nested brackets in a settings module passes
Python's default limit of 1,000 frames long before the file stops being valid Python.
`call_deep` runs a function in a thread with a large stack and a recursion limit to match, so
the depth of the tree, not the interpreter's default, bounds the work.

The same work builds and drops trees of a million nodes (LibCST's, of a long settings module):
while it runs, the cyclic garbage collector runs less often (`YOUNG_COLLECTION`), as each of
its full collections walks every live node. The trees hold no reference cycles; reference
counting frees them as before. `collector_paused` goes further, for one whole run.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

STACK_BYTES = 512 * 1024 * 1024  # reserved address space; only the pages used are memory
RECURSION_LIMIT = 100_000  # about 5 KB of stack a frame, far more than a frame takes
YOUNG_COLLECTION = 50_000  # allocations between two young collections (Python's default: 700)
_deep = threading.local()


def call_deep(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """`fn(*args, **kwargs)`, run where deep recursion has room; its result or its exception.
    Nested calls run in place. Where no such thread can be made, `fn` runs here."""
    if getattr(_deep, "active", False):
        return fn(*args, **kwargs)
    outcome: dict[str, Any] = {}
    # the caller's context variables (the files a plan creates) hold in the thread too
    context = contextvars.copy_context()

    def target() -> None:
        _deep.active = True
        try:
            outcome["value"] = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread as it is
            outcome["error"] = exc

    try:
        previous = threading.stack_size(STACK_BYTES)
    except (ValueError, RuntimeError):
        return fn(*args, **kwargs)
    try:
        # a daemon: Ctrl-C in the waiting thread ends the run, it does not wait for the work
        thread = threading.Thread(target=target, name="djfix-deep-stack", daemon=True)
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        try:
            thread.start()
        except RuntimeError:  # no memory for the stack: run with the default one
            sys.setrecursionlimit(old_limit)
            return fn(*args, **kwargs)
    finally:
        threading.stack_size(previous)
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION), *thresholds[1:])
    try:
        thread.join()
    finally:
        gc.set_threshold(*thresholds)
        sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection inside the block: one project's whole run.

    Such a run builds and drops a few large trees and makes little cyclic garbage (what the
    standard library's `ast.literal_eval` made is now made by none, see `fixer.literals`); each
    collection it still made walked every object alive, the start-up's modules included, for
    next to nothing found. What the block starts with is frozen (no later collection walks it),
    and the collector is as before when the block ends, whatever ends it."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
