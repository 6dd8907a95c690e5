"""Keeps what means nothing to a user off the terminal of a command.

TensorFlow's C++ runtime writes its start-up lines (`WARNING: All log
messages before absl::InitializeLog() ...`, `oneDNN custom operations are
on`, `Could not find cuda drivers`) straight to file descriptor 2 when it is
loaded, whatever `TF_CPP_MIN_LOG_LEVEL` says, so a command's one-line error
would be the seventh line a user sees. `silence()` points descriptor 2 at
`/dev/null` and keeps Python's `sys.stderr` on the terminal, so everything
the project itself reports (errors, tracebacks of internal errors, progress
bars on stderr) still shows, and drops the Python warnings of `NOISE`.

`--verbose` on any command, or `RNNLAB_VERBOSE=1`, leaves everything as it
was, for debugging. Only the commands' `__main__` calls this
(`pipeline.core.cli.run_command`); importing the project changes nothing.
"""

import logging
import os
import sys
import warnings

VERBOSE_FLAG = "--verbose"
VERBOSE_ENVIRONMENT = "RNNLAB_VERBOSE"

#: Messages of Python warnings that a command's user cannot act on: Keras
#: (3.15) warns when a finite tf.data epoch ends before `steps_per_epoch`,
#: and that `shuffle=True` does nothing for a tf.data input.
NOISE = (
    r"Your input ran out of data",
    r"`shuffle=True` was passed, but will be ignored",
)


def verbose(argv=None):
    """Whether the command was asked to show everything (`--verbose` in
    `argv`, default `sys.argv`, or `RNNLAB_VERBOSE` set to anything but 0)."""
    argv = sys.argv[1:] if argv is None else argv
    return VERBOSE_FLAG in argv or os.environ.get(VERBOSE_ENVIRONMENT, "0") not in ("", "0")


def silence():
    """Sends what native code writes to descriptor 2 to /dev/null, keeps
    `sys.stderr` (a copy of the original descriptor) for Python, and filters
    `NOISE` and TensorFlow's Python-side INFO and WARNING log records."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    kept = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.stderr = os.fdopen(kept, "w", buffering=1, encoding=sys.stderr.encoding,
                           errors="backslashreplace")
    for message in NOISE:
        warnings.filterwarnings("ignore", message=message)
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
