"""One writer per run directory: an exclusive `fcntl.flock` on
`<run-dir>/.lock` held by the stages that write the run (prepare, train,
evaluate, run), so a second process on the same run directory is refused in
one line (exit 2) instead of interleaving its files with the first's
(docs/architecture.md section 5).

A `flock` belongs to the open file and ends with the process, so a killed
writer never leaves a lock behind. The lock is re-entrant within a process:
`pipeline.run` holds it around prepare and train, which take it again.
"""

import contextlib
import fcntl
import os

from pipeline.core.errors import UsageError

LOCK_NAME = ".lock"

#: `{real path of a lock file: (file descriptor, depth)}` held by this process.
_held = {}


def try_flock(path):
    """Opens `path` (creating it) and takes an exclusive, non-blocking flock;
    returns the file descriptor, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def run_lock(run_dir, stage, flag="--run-dir"):
    """Holds the exclusive lock of `run_dir` for the block of `stage` (the
    command's name, for the refusal), creating the directory. The lock file
    is never written, and is removed again (with the directory, if this
    call made it) when it is all the directory holds, so a command refused
    or failed before writing leaves nothing.

    Raises:
        UsageError: another process holds the lock, naming `flag`, the
            directory and the holder.
    """
    path = os.path.realpath(os.path.join(run_dir, LOCK_NAME))
    if path in _held:
        fd, depth = _held[path]
        _held[path] = (fd, depth + 1)
        try:
            yield
        finally:
            _held[path] = (fd, depth)
        return
    created = not os.path.isdir(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    existed = os.path.exists(path)
    fd = try_flock(path)
    if fd is None:
        raise UsageError(f"{flag} {run_dir}: another process is writing this run; wait for "
                         f"it to finish or use another --run-dir ({stage} refused)")
    _held[path] = (fd, 1)
    try:
        yield
    finally:
        del _held[path]
        if not existed and os.listdir(run_dir) == [LOCK_NAME]:
            os.unlink(path)
            if created:
                os.rmdir(run_dir)
        os.close(fd)
