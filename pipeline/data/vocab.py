"""Vocabularies as `StringLookup` state, saved next to the prepared data.

A vocabulary is a JSON list of tokens in id order after the reserved ids (0
padding, 1 out-of-vocabulary); JSON, not one token a line, because character
vocabularies hold the newline. Models build their `keras.layers.StringLookup`
from the list, so an export carries the vocabulary and clients send raw
strings.
"""

import collections
import json
import os

import keras

from pipeline.core import atomic

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
    """Writes `tokens` as a JSON list, atomically."""
    tokens = list(tokens)
    if any(not isinstance(t, str) or t in (PAD, OOV) for t in tokens):
        raise ValueError(f"vocabulary tokens must be strings other than {PAD!r} and {OOV!r}")
    atomic.write_json(path, tokens)


def load_vocabulary(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def lookup(vocabulary, invert=False):
    """`StringLookup` over the token list `vocabulary`: id 0 is padding (the
    empty string), id 1 the out-of-vocabulary token."""
    return keras.layers.StringLookup(vocabulary=vocabulary, mask_token=PAD, oov_token=OOV,
                                     invert=invert)


def save_vocabularies(vocabularies, directory):
    """Writes each `{name: tokens}` to `<directory>/vocab_<name>.json`;
    returns the `prepared.json` field `{"vocabularies": {name: size}}`."""
    for name, tokens in vocabularies.items():
        save_vocabulary(tokens, os.path.join(directory, f"vocab_{name}.json"))
    return {"vocabularies": {name: len(tokens) for name, tokens in vocabularies.items()}}
