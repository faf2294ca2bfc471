"""The `matcalc` command and `python -m matcalc`: cli.main, then a fast exit.

Once the output is flushed, the interpreter's teardown (freeing every module, about
45 ms) does nothing a command needs, so the process ends with os._exit and the status
cli.main gave. Only the command exits this way, never the library; atexit handlers
do not run (matcalc registers none).
"""
import os
import sys

from .cli import main


def run() -> None:
    try:
        main()
        status = 0
    except SystemExit as e:
        status = _status(e.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to say
            pass
    os._exit(status)


def _status(code) -> int:
    """What the interpreter would exit with for sys.exit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    run()
