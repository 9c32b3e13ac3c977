import signal
import sys


def _interrupted(signum, frame):
    # until the command line is loaded: Ctrl-C is one line, never a traceback
    sys.stderr.write("djfix: interrupted\n")
    raise SystemExit(130)


signal.signal(signal.SIGINT, _interrupted)

from fixer.cli import main  # noqa: E402 - after the handler, so an early Ctrl-C is one line

if __name__ == "__main__":  # not when a pool process imports the module that started the run
    main()
