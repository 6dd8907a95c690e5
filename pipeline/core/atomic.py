"""Atomic writes: a reader sees the old content or the new, never half of it."""

import contextlib
import json
import os
import shutil
import tempfile


def _default_mode(base):
    """`base` (0o666 for files, 0o777 for directories) less the process umask:
    the mode `open` or `os.makedirs` would give. `tempfile` creates files 0600
    and directories 0700, which a server running as another user cannot read.
    """
    umask = os.umask(0)
    os.umask(umask)
    return base & ~umask


@contextlib.contextmanager
def atomic_directory(path):
    """Yields a temporary directory beside `path`, renamed onto `path` when the
    block succeeds (an existing `path` is replaced) and removed when it fails.
    """
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    os.chmod(staging, _default_mode(0o777))
    try:
        yield staging
        if os.path.exists(path):
            retired = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old.", dir=parent)
            os.replace(path, os.path.join(retired, "content"))
            os.replace(staging, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_json(path, value):
    """Writes `value` as indented JSON through a temporary file and a rename."""
    text = json.dumps(value, indent=2, sort_keys=isinstance(value, dict), default=str,
                      ensure_ascii=False)
    _write(path, text + "\n", "w", "utf-8")


def write_text(path, text):
    """Writes `text` (UTF-8) through a temporary file and a rename."""
    _write(path, text, "w", "utf-8")


def write_bytes(path, data):
    """Writes `data` (bytes) through a temporary file and a rename."""
    _write(path, data, "wb", None)


def _write(path, content, mode, encoding):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(mode, encoding=encoding, dir=directory, delete=False,
                                     suffix=".tmp") as handle:
        try:
            handle.write(content)
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.chmod(handle.name, _default_mode(0o666))
    os.replace(handle.name, path)


def save_figure(fig, path, dpi=100):
    """Saves a Matplotlib figure as `path` through a temporary file and a
    rename (creating the directory), closes it, and returns `path`."""
    import matplotlib.pyplot as plt

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    staging = f"{path}.tmp{os.path.splitext(path)[1]}"
    fig.savefig(staging, dpi=dpi)
    plt.close(fig)
    os.replace(staging, path)
    return path
