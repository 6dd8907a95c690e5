"""What the tests of the TFDS builders of the embedded data share: prepare a
builder from fake data without the network, and read its splits."""

import tensorflow_datasets as tfds

from pipeline.data.splits import SPLITS

# GCS is disabled by default in TFDS 4.9.10; say so anyway, so that no build
# ever looks for a pre-built copy on the network.
DOWNLOAD_CONFIG = tfds.download.DownloadConfig(try_download_gcs=False)


def prepare(builder):
    builder.download_and_prepare(download_config=DOWNLOAD_CONFIG)
    return builder


def read_splits(builder):
    """`{split: [example, ...]}`, every example a dict of NumPy values."""
    return {
        split: list(builder.as_dataset(split=split, shuffle_files=False).as_numpy_iterator())
        for split in SPLITS
    }


def num_examples(builder):
    return {split: builder.info.splits[split].num_examples for split in SPLITS}


def text(value):
    return value.decode("utf-8")
