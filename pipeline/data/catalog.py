"""`--data tfds:NAME`: a TensorFlow Datasets catalog entry as a tf.data.Dataset.

docs/architecture.md section 3: besides a file, `--data` can name a TFDS catalog entry
(`tfds:imdb_reviews`, `tfds:tiny_shakespeare`) "when it can be reached".
Reaching one usually means a network, which a run must never hang on, so the
loader is conservative:

* By default it reads only data already prepared under `data_dir` (or the
  TFDS default, `$TFDS_DATA_DIR` or `~/tensorflow_datasets`) and never opens
  a connection. Prepare the data once on a connected machine with
  `tfds build NAME --data_dir DIR` and pass `--data-dir DIR`.
* With `download=True` it first probes each host the dataset downloads from
  (the URLs TFDS registers for it) with a short connection timeout, and only
  if all answer runs `download_and_prepare`, with a socket timeout so that a
  stalled transfer fails rather than hangs.

Every failure (a malformed or unknown name, a missing split, data that is not
prepared and cannot be downloaded) raises `pipeline.core.errors.UsageError` with a
one-line message that names the flag and says what to do.
"""

import contextlib
import difflib
import os
import socket
import urllib.parse

import tensorflow_datasets as tfds

from pipeline.core.errors import UsageError

PREFIX = "tfds:"
PROBE_TIMEOUT = 3.0  # seconds to open a connection to a download host
SOCKET_TIMEOUT = 60.0  # seconds a download may stall before it fails
CATALOG_URL = "https://www.tensorflow.org/datasets/catalog"


def parse_data_flag(value):
    """Reads a `--data` value: `("tfds", name)` or `("file", path)`.

    `tfds:NAME` names a TFDS catalog entry (NAME may carry a config and a
    version, `imdb_reviews/plain_text:1.0.0`); anything else is a file path,
    returned as given.

    >>> parse_data_flag("tfds:imdb_reviews")
    ('tfds', 'imdb_reviews')
    >>> parse_data_flag("words.tsv")
    ('file', 'words.tsv')

    Raises:
        UsageError: for an empty value or `tfds:` without a name.
    """
    value = str(value)
    if value.startswith(PREFIX):
        name = value[len(PREFIX):].strip()
        if not name:
            raise UsageError(
                f"--data {value}: give a dataset name after `{PREFIX}`, "
                f"e.g. --data {PREFIX}imdb_reviews"
            )
        return "tfds", name
    if not value.strip():
        raise UsageError(f"--data: empty value; give a file path or {PREFIX}NAME")
    return "file", value


def load_catalog(name, split, data_dir=None, *, download=False):
    """`tfds.load(name, split=split, data_dir=data_dir)` that fails fast.

    Args:
        name: TFDS name, `dataset[/config][:version]`, e.g. `imdb_reviews`.
        split: TFDS split string (`"train"`, `"test[:10%]"`, ...), or None
            for a dict of all splits.
        data_dir: Root folder of prepared TFDS data; None for the TFDS
            default (`$TFDS_DATA_DIR` or `~/tensorflow_datasets`).
        download: If False (the default), only prepared data is read and no
            connection is ever opened. If True, data that is not prepared is
            downloaded and prepared into `data_dir`, after a quick probe of
            the download hosts.

    Returns:
        The `tf.data.Dataset` (or dict of them) that `tfds.load` returns.

    Raises:
        UsageError: one line naming `--data tfds:NAME`, for a malformed or
            unknown name, an unknown split or config, or data that is not
            prepared and was not (or could not be) downloaded.
    """
    flag = f"--data {PREFIX}{name}"
    build_name = _catalog_name(name, flag)
    try:
        return _load(name, split, data_dir, flag)
    except _NotPrepared as missing:
        if not download:
            raise UsageError(
                _not_prepared(flag, build_name, missing.where,
                              "downloading is off (it needs a network)")
            ) from None
        _download(name, data_dir, flag, build_name, missing.where)
    try:
        return _load(name, split, data_dir, flag)
    except _NotPrepared as missing:  # prepared elsewhere than tfds.load looks
        raise UsageError(_not_prepared(flag, build_name, missing.where,
                                       "was not found there after downloading")) from None


class _NotPrepared(Exception):
    """`tfds.load` found no prepared data; `where` is the data_dir it searched."""

    def __init__(self, where):
        super().__init__(where)
        self.where = where


def _one_line(error):
    """The first line of an exception message, whitespace squeezed."""
    text = str(error).strip().splitlines()
    return " ".join(text[0].split()) if text else type(error).__name__


def _default_data_dir(data_dir):
    return os.fspath(data_dir) if data_dir else tfds.core.constants.get_default_data_dir()


def _catalog_name(name, flag):
    """Checks `name` against the TFDS catalog without touching the network;
    returns the `dataset[/config]` part for `tfds build`."""
    try:
        parsed, kwargs = tfds.core.naming.parse_builder_name_kwargs(name)
    except ValueError:
        raise UsageError(
            f"{flag}: not a TFDS name; expected dataset[/config][:version], "
            "e.g. imdb_reviews or imdb_reviews/plain_text:1.0.0"
        ) from None
    if parsed.namespace:
        raise UsageError(
            f"{flag}: community datasets (`{parsed.namespace}:...`) are not supported; "
            f"use a name from the TFDS catalog, {CATALOG_URL}"
        )
    known = sorted(set(tfds.list_builders(with_community_datasets=False)))
    if parsed.name not in known:
        close = difflib.get_close_matches(parsed.name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(
            f"{flag}: '{parsed.name}' is not in the TFDS catalog{hint}; "
            f"see {CATALOG_URL}"
        )
    config = kwargs.get("config")
    if config is None:
        return parsed.name
    try:
        configs = sorted(tfds.builder_cls(parsed.name).builder_configs)
    except Exception:  # a builder whose module needs extra packages: tfds.load says
        return f"{parsed.name}/{config}"
    if config not in configs:
        listed = ", ".join(configs[:10]) + (", ..." if len(configs) > 10 else "")
        raise UsageError(
            f"{flag}: '{parsed.name}' has no config '{config}'"
            + (f"; its configs: {listed}" if configs else "; it has no configs")
        )
    return f"{parsed.name}/{config}"


def _load(name, split, data_dir, flag):
    """`tfds.load` of prepared data only; `_NotPrepared` when there is none."""
    try:
        return tfds.load(name, split=split, data_dir=data_dir, download=False)
    except AssertionError as error:
        if "could not find data" in str(error):
            raise _NotPrepared(_default_data_dir(data_dir)) from None
        raise UsageError(f"{flag}: {_one_line(error)}") from error
    except Exception as error:  # unknown split or config, unreadable files, ...
        raise UsageError(f"{flag}: {_one_line(error)}") from error


def _not_prepared(flag, build_name, where, reason):
    return (
        f"{flag}: the dataset is not prepared in {where} and {reason}; prepare it with "
        f"`tfds build {build_name} --data_dir DIR` on a connected machine, "
        "then pass --data-dir DIR"
    )


def _download(name, data_dir, flag, build_name, where):
    """Downloads and prepares `name` into `data_dir`, or raises UsageError."""
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:
        raise UsageError(f"{flag}: {_one_line(error)}") from error
    for host, port in _download_hosts(builder):
        if not _reachable(host, port):
            raise UsageError(_not_prepared(
                flag, build_name, where,
                f"could not be downloaded (needs a network; {host} cannot be reached)"))
    config = tfds.download.DownloadConfig(try_download_gcs=False)
    try:
        with _socket_timeout(SOCKET_TIMEOUT):
            builder.download_and_prepare(download_config=config)
    except Exception as error:
        raise UsageError(_not_prepared(
            flag, build_name, where,
            f"could not be downloaded (needs a network): {_one_line(error)}")) from error


def _download_hosts(builder):
    """`(host, port)` of every URL TFDS registers for the builder's downloads."""
    hosts = set()
    for url in builder.url_infos or {}:
        parts = urllib.parse.urlparse(url)
        if parts.hostname and parts.scheme in ("http", "https", "ftp"):
            default = {"http": 80, "https": 443, "ftp": 21}[parts.scheme]
            hosts.add((parts.hostname, parts.port or default))
    return sorted(hosts)


def _reachable(host, port, timeout=PROBE_TIMEOUT):
    """Whether a TCP connection to `host` opens within `timeout` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _socket_timeout(seconds):
    """Sets the default socket timeout for the duration of the block."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
