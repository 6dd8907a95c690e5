"""G2P input pipeline: words and pronunciations to padded id batches.

Training sees one example per (word, pronunciation) pair, with teacher
forcing (Roger Grosse and Jimmy Ba, "CSC421/2516 Lecture 13: Recurrent
Neural Networks", slide 19): the decoder reads `<s> p_1 ... p_n` and is
trained to emit `p_1 ... p_n </s>`. Batches are bucketed by length and
padded with id 0.
"""

import tensorflow as tf

from pipeline.data import transforms
from pipeline.data import vocab as vocab_lib
from pipeline.tasks.g2p.scoring import strip_stress

START, END = "<s>", "</s>"
#: Word-length bucket boundaries of the batches.
BOUNDARIES = (6, 8, 10, 12, 16)


def graphemes(words):
    """`[...]` strings -> ragged characters."""
    return tf.strings.unicode_split(words, "UTF-8")


def phonemes(pronunciations):
    """`[...]` space-separated ARPAbet strings -> ragged tokens."""
    return tf.strings.split(pronunciations)


def build_vocabularies(entries):
    """Character and phoneme vocabularies from `{word: [pronunciation]}`
    (the training split only)."""
    chars = vocab_lib.count_tokens(list(word) for word in entries)
    phones = vocab_lib.count_tokens(p.split() for prons in entries.values() for p in prons)
    return {
        "graphemes": vocab_lib.build_vocabulary(chars),
        "phonemes": vocab_lib.build_vocabulary(phones, reserved=(START, END)),
    }


def without_stress(entries):
    """`{word: [pronunciation]}` with the stress digits stripped from every
    vowel (`AH0` -> `AH`) and the pronunciations that become equal merged,
    in their first order."""
    return {word: list(dict.fromkeys(" ".join(strip_stress(p.split())) for p in prons))
            for word, prons in entries.items()}


def reversed_phonemes(entries):
    """`{word: [pronunciation]}` with every pronunciation's phonemes in
    reverse order (`K AE1 T` -> `T AE1 K`): the targets of a right-to-left
    decoder."""
    return {word: [" ".join(reversed(p.split())) for p in prons]
            for word, prons in entries.items()}


def as_dataset(entries):
    """`{word: [pronunciation]}` -> a dataset of `{"word", "phonemes": [P]}`
    examples, what `batches` reads."""
    words = list(entries)
    return tf.data.Dataset.from_tensor_slices(
        {"word": words, "phonemes": tf.ragged.constant([entries[w] for w in words])})


def pairs(dataset):
    """`{"word", "phonemes": [P]}` examples -> `(word, pronunciation)` pairs."""
    return dataset.flat_map(
        lambda ex: tf.data.Dataset.from_tensor_slices(ex["phonemes"]).map(
            lambda pron: (ex["word"], pron)
        )
    )


def make_encoder(vocabularies):
    """A function `(word, pronunciation) -> (features, targets)` of id tensors."""
    char_ids = vocab_lib.lookup(vocabularies["graphemes"])
    phone_ids = vocab_lib.lookup(vocabularies["phonemes"])

    def encode(word, pronunciation):
        source = char_ids(graphemes(word))  # [S]
        tokens = phonemes(pronunciation)  # [T]
        decoder_inputs = phone_ids(tf.concat([[START], tokens], 0))  # [T + 1]
        targets = phone_ids(tf.concat([tokens, [END]], 0))  # [T + 1]
        return {"graphemes": source, "decoder_inputs": decoder_inputs}, targets

    return encode


def batches(dataset, vocabularies, *, batch_size=64, training=False, seed=0,
            boundaries=BOUNDARIES):
    """Padded batches `({"graphemes" [B, S], "decoder_inputs" [B, T]},
    targets [B, T])`, int64, bucketed by word length.

    Args:
        dataset: `{"word", "phonemes"}` examples of one split.
        vocabularies: from `build_vocabularies`, token lists or file paths.
        batch_size: examples per batch.
        training: shuffle (seeded) and reshuffle each epoch.
        boundaries: word-length bucket boundaries.
    """
    dataset = transforms.encode(pairs(dataset), make_encoder(vocabularies))
    dataset = transforms.bucket_by_length(
        dataset,
        length_fn=lambda features, targets: tf.shape(features["graphemes"])[0],
        batch_size=batch_size,
        boundaries=boundaries,
        shuffle=training,
        seed=seed,
    )
    return transforms.finish(dataset)
