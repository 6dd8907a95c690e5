"""Deterministic, leak-free splits (docs/architecture.md section 3).

Keyed examples (a G2P word, a classification text) are assigned by a hash of
the key, so every pronunciation of one word lands in the same split and a
re-run, or another machine, agrees. Ordered data (text, time series) is split
by position: the last 5% of a text is test and the 5% before it validation;
a time series keeps a block of forecast origins for each (`origin_bounds`).
The model is always scored on what comes after what it learnt from.
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


def origin_bounds(length, horizon, origins=30, stride=1):
    """`{split: (start, stop)}` for a time series forecast `horizon` steps
    ahead from rolling origins (docs/architecture.md section 3).

    The test block is the last stretch of the series that holds `origins`
    forecast origins `stride` steps apart, every target inside the block:
    origins `start, start + stride, ..., start + (origins - 1) * stride`, the
    last target at `stop - 1`, so the block is `(origins - 1) * stride +
    horizon` values long. The validation block is the stretch before it by
    the same rule, and everything before that is the training segment.

    >>> origin_bounds(309, 5)
    {'train': (0, 241), 'validation': (241, 275), 'test': (275, 309)}
    """
    if horizon < 1 or origins < 1 or stride < 1:
        raise ValueError(f"need horizon, origins and stride >= 1. Received: horizon={horizon}, "
                         f"origins={origins}, stride={stride}")
    block = (origins - 1) * stride + horizon
    test_start = length - block
    validation_start = test_start - block
    if validation_start < 1:
        raise ValueError(f"a series of {length} values is too short for two blocks of {origins} "
                         f"origins at horizon {horizon} ({2 * block + 1} values at least)")
    return {
        "train": (0, validation_start),
        "validation": (validation_start, test_start),
        "test": (test_start, length),
    }
