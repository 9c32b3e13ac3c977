import os
import signal
import sys


def _interrupted(signum, frame):
    # until the command line is loaded: Ctrl-C is one line, never a traceback. Nothing has
    # been written yet, so the process ends here: an exception raised from this handler can
    # meet a class being made by an import (ipaddress' cached_property), where Python 3.11
    # turns it into "RuntimeError: Error calling __set_name__" and prints its traceback
    sys.stderr.write("djfix: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted)

from fixer.cli import main  # noqa: E402 - after the handler, so an early Ctrl-C is one line

if __name__ == "__main__":  # not when a pool process imports the module that started the run
    main()
