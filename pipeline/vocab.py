"""Vocabularies as `StringLookup` state, saved next to the prepared data.

A vocabulary is a text file, one token a line, in id order after the
reserved ids (0 padding, 1 out-of-vocabulary). Models build their
`keras.layers.StringLookup` from the same file, so an export carries the
vocabulary as an asset and clients send raw strings.
"""

import collections
import os
import tempfile

import keras

PAD, OOV = "", "[UNK]"


def count_tokens(token_lists):
    """Token counts over an iterable of token lists."""
    counts = collections.Counter()
    for tokens in token_lists:
        counts.update(tokens)
    return counts


def build_vocabulary(counts, reserved=(), min_count=1):
    """Tokens seen at least `min_count` times, most frequent first (ties by
    token), after the `reserved` tokens (for example sequence start and end).
    """
    tokens = sorted((t for t, c in counts.items() if c >= min_count and t not in reserved),
                    key=lambda t: (-counts[t], t))
    return list(reserved) + tokens


def save_vocabulary(tokens, path):
    """Writes `tokens` one a line, atomically (temporary file, then rename)."""
    if any("\n" in t or t == "" for t in tokens):
        raise ValueError("vocabulary tokens must be non-empty and hold no newline")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False,
                                     suffix=".tmp") as handle:
        handle.write("\n".join(tokens) + "\n")
    os.replace(handle.name, path)


def load_vocabulary(path):
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle if line.rstrip("\n")]


def lookup(vocabulary, invert=False):
    """`StringLookup` over `vocabulary` (a token list or a file path): id 0 is
    padding (the empty string), id 1 the out-of-vocabulary token."""
    return keras.layers.StringLookup(vocabulary=vocabulary, mask_token=PAD, oov_token=OOV,
                                     invert=invert)
