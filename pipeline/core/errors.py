"""Errors a user can fix, and the command-line wrapper that reports them.

Bad input (a malformed line, an empty file, an unknown flag value) raises
`DataError` or `UsageError`. `run_cli` turns them into one line on stderr
naming the file and line or the flag, and exit code 2, with no traceback
(docs/architecture.md section 2). A file system error on a named path (a directory that
cannot be made, no permission, a full disk) is one line too, naming the
path, with exit code 1. Anything else is an internal error: a traceback
and exit code 1.
"""

import sys


class UsageError(Exception):
    """A flag or option value that cannot work; the message names the flag."""


class DataError(Exception):
    """Input data that cannot be read.

    Args:
        path: The file at fault.
        message: What is wrong and, where it helps, what to do.
        line: 1-based line number, when one line is at fault.
    """

    def __init__(self, path, message, line=None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")


def run_cli(main, argv=None):
    """Runs `main(argv)` as a command: exit 0 on success, 2 on bad input or
    usage (one line on stderr), 1 on a file system error (one line) or an
    internal error."""
    try:
        code = main(argv)
    except (DataError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.filename is None:
            raise
        print(f"error: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0 if code is None else code
