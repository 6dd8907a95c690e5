"""Tests of `pipeline.data.catalog`: `--data tfds:NAME` without a network.

Catalog datasets are never downloaded here: `tfds.testing.mock_data` stands
in for prepared imdb_reviews / tiny_shakespeare data, a tiny builder defined
below is prepared into a temporary folder for the real read path, and the
download path is tried only with the network faked away.
"""

import socket
import time

import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from pipeline.core.errors import UsageError
from pipeline.data.catalog import load_catalog, parse_data_flag


class CatalogTestTiny(tfds.core.GeneratorBasedBuilder):
    """Four examples in two splits, registered as `catalog_test_tiny`."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({"text": tfds.features.Text(),
                                                 "label": tfds.features.ClassLabel(num_classes=2)})
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(["a", "b", "c"]),
                "test": self._generate_examples(["d"])}

    def _generate_examples(self, texts):
        for i, text in enumerate(texts):
            yield text, {"text": text, "label": i % 2}


def assert_one_line(error):
    message = str(error.value)
    assert message.startswith("--data tfds:")
    assert "\n" not in message
    return message


# ------------------------------------------------------------ parse_data_flag
@pytest.mark.parametrize(
    "value, expected",
    [
        ("tfds:imdb_reviews", ("tfds", "imdb_reviews")),
        ("tfds:imdb_reviews/plain_text:1.0.0", ("tfds", "imdb_reviews/plain_text:1.0.0")),
        ("data/words.tsv", ("file", "data/words.tsv")),
        ("notes:2024.txt", ("file", "notes:2024.txt")),
    ],
)
def test_parse_data_flag(value, expected):
    assert parse_data_flag(value) == expected


@pytest.mark.parametrize("value", ["tfds:", "tfds:  ", ""])
def test_parse_data_flag_rejects_an_empty_name(value):
    with pytest.raises(UsageError, match="--data"):
        parse_data_flag(value)


# ------------------------------------------------------- mocked catalog data
@pytest.mark.parametrize(
    "name, dtypes",
    [
        ("imdb_reviews", {"text": tf.string, "label": tf.int64}),
        ("tiny_shakespeare", {"text": tf.string}),
    ],
)
def test_load_catalog_returns_the_catalog_features(tmp_path, name, dtypes):
    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        dataset = load_catalog(name, "train", data_dir=tmp_path)
        assert isinstance(dataset, tf.data.Dataset)
        assert {key: spec.dtype for key, spec in dataset.element_spec.items()} == dtypes
        assert all(spec.shape == () for spec in dataset.element_spec.values())
        examples = list(dataset.as_numpy_iterator())
    assert len(examples) == 3
    assert all(isinstance(ex["text"], bytes) for ex in examples)


# ------------------------------------------------------------ prepared data
@pytest.fixture
def tiny_dir(tmp_path):
    CatalogTestTiny(data_dir=tmp_path).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return tmp_path


def test_load_catalog_reads_prepared_data(tiny_dir):
    dataset = load_catalog("catalog_test_tiny", "train", data_dir=tiny_dir)
    texts = sorted(ex["text"] for ex in dataset.as_numpy_iterator())
    assert texts == [b"a", b"b", b"c"]
    assert len(list(load_catalog("catalog_test_tiny", "train[:2]", data_dir=tiny_dir))) == 2
    both = load_catalog("catalog_test_tiny", None, data_dir=tiny_dir)
    assert sorted(both) == ["test", "train"]


def test_load_catalog_unknown_split(tiny_dir):
    with pytest.raises(UsageError) as error:
        load_catalog("catalog_test_tiny", "validation", data_dir=tiny_dir)
    assert "validation" in assert_one_line(error)


# ---------------------------------------------------------- missing data
def test_not_prepared_fails_fast_without_touching_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_catalog opened a connection with download=False")

    monkeypatch.setattr(socket, "create_connection", no_network)
    start = time.monotonic()
    with pytest.raises(UsageError) as error:
        load_catalog("imdb_reviews", "train", data_dir=tmp_path)
    assert time.monotonic() - start < 30
    message = assert_one_line(error)
    assert message.startswith("--data tfds:imdb_reviews: the dataset is not prepared in ")
    assert str(tmp_path) in message
    assert "network" in message
    assert "tfds build imdb_reviews --data_dir" in message
    assert "--data-dir" in message
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_download_gives_up_at_once_when_the_host_cannot_be_reached(tmp_path, monkeypatch):
    probed = []

    def unreachable(address, *args, **kwargs):
        probed.append(address)
        raise OSError("Network is unreachable")

    def must_not_download(self, *args, **kwargs):
        raise AssertionError("download_and_prepare ran after a failed probe")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", must_not_download)
    start = time.monotonic()
    with pytest.raises(UsageError) as error:
        load_catalog("imdb_reviews", "train", data_dir=tmp_path, download=True)
    assert time.monotonic() - start < 30
    assert probed == [("ai.stanford.edu", 80)]  # the host of imdb_reviews' archive
    message = assert_one_line(error)
    assert "could not be downloaded (needs a network; ai.stanford.edu" in message
    assert str(tmp_path) in message


def test_download_failure_becomes_one_usage_line(tmp_path, monkeypatch):
    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def failing_download(self, *args, **kwargs):
        raise ConnectionError("Max retries exceeded with url: /aclImdb_v1.tar.gz\n(details)")

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: Connection())
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", failing_download)
    with pytest.raises(UsageError) as error:
        load_catalog("tiny_shakespeare", "train", data_dir=tmp_path, download=True)
    message = assert_one_line(error)
    assert "could not be downloaded (needs a network): Max retries exceeded" in message
    assert "(details)" not in message
    assert socket.getdefaulttimeout() is None  # the download's timeout is undone


# -------------------------------------------------------------- bad names
@pytest.mark.parametrize(
    "name, expected",
    [
        ("imdb_reviewz", "'imdb_reviewz' is not in the TFDS catalog (did you mean imdb_reviews"),
        ("no_such_dataset_xyz", "'no_such_dataset_xyz' is not in the TFDS catalog"),
        ("imdb_reviews/nope", "'imdb_reviews' has no config 'nope'; its configs: plain_text"),
        ("huggingface:foo", "community datasets"),
        ("bad name!", "not a TFDS name"),
    ],
)
def test_bad_names_are_usage_errors(tmp_path, capsys, name, expected):
    start = time.monotonic()
    with pytest.raises(UsageError) as error:
        load_catalog(name, "train", data_dir=tmp_path)
    assert time.monotonic() - start < 30
    assert expected in assert_one_line(error)
    assert capsys.readouterr().out == ""  # e.g. no "pip install datasets" banner


def test_unknown_name_is_caught_before_any_data_is_read(tmp_path, monkeypatch):
    def must_not_load(*args, **kwargs):
        raise RuntimeError("tfds.load ran for an unknown name")

    monkeypatch.setattr(tfds, "load", must_not_load)
    with pytest.raises(UsageError, match="not in the TFDS catalog"):
        load_catalog("imdb_reviewz", "train", data_dir=tmp_path)
