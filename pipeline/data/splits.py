"""Deterministic, leak-free splits (docs/architecture.md section 3).

Keyed examples (a G2P word, a classification text) are assigned by a hash of
the key, so every pronunciation of one word lands in the same split and a
re-run, or another machine, agrees. Ordered data (text, time series) is split
by position: the last 5% is test and the 5% before it validation, so the
model is always scored on what comes after what it learnt from.
"""

import zlib

SPLITS = ("train", "validation", "test")


def keyed_split(key):
    """The split of a keyed example: crc32(key) % 20 == 0 test, == 1 validation.

    >>> keyed_split("hello")
    'train'
    """
    bucket = zlib.crc32(key.encode("utf-8")) % 20
    if bucket == 0:
        return "test"
    if bucket == 1:
        return "validation"
    return "train"


def positional_bounds(length, fraction=0.05):
    """`{split: (start, stop)}` for ordered data of `length` items.

    The last `fraction` is test, the `fraction` before it validation; each
    gets at least one item once `length` >= 3.
    """
    if length < 3:
        raise ValueError(f"need at least 3 items to split, got {length}")
    held_out = max(1, round(length * fraction))
    test_start = length - held_out
    validation_start = test_start - held_out
    return {
        "train": (0, validation_start),
        "validation": (validation_start, test_start),
        "test": (test_start, length),
    }
