"""The conditional word model of the LM task (seed 000 slide 23).

A small `CharLanguageModel` reads the words of the language-identification
data ("\\nword\\n", `pipeline.inputs.lm.word_batches`) with the one-hot
vector of the word's language as a fixed condition: the initial state of
the recurrence (``h_0 = tanh(W c + b)``), an extra input at every step, or
both (`conditional.mode`). It trains after the character model of the same
run (into `<run-dir>/conditional/`), is scored by bits per character of the
test words given their language and by language identification (the
language whose condition makes a word most probable), and generates words
of a chosen language (`python -m pipeline.generate --language fr`).
"""

import json
import math
import os

import keras
import numpy as np
import tensorflow as tf

from pipeline.core import atomic, training
from pipeline.core.errors import UsageError
from pipeline.data import vocab as vocab_lib
from pipeline.inputs import lm as lm_inputs
from pipeline.tasks.classify import data as classify_data

LN2 = math.log(2.0)


def conditional_dir(run_dir):
    """Where a run keeps its conditional model."""
    return os.path.join(run_dir, "conditional")


def subset(pairs, limit, seed):
    """At most `limit` pairs (0 = all), a seeded random choice, in order."""
    if not limit or limit >= len(pairs):
        return pairs
    chosen = np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False)
    return [pairs[i] for i in sorted(chosen)]


def word_splits(config, data_dir=None):
    """`(splits, languages)` of the language-identification words: the
    embedded data of the classify task, or `conditional.data` (a TSV or CSV
    file of `word,language` rows, as `--data` of classify reads)."""
    c = config["conditional"]
    langid = classify_data.load(c["data"] or None, data_dir)
    limits = {"train": c["max_train_words"], "validation": c["max_eval_words"],
              "test": c["max_eval_words"]}
    return ({split: subset(langid.splits[split], limit, c["seed"])
             for split, limit in limits.items()}, list(langid.labels))


def conditional_config(config):
    """The run configuration of the conditional model: its own sizes and
    epochs, the training options of the character model."""
    c = config["conditional"]
    return {**config, "train": {**config["train"], "epochs": c["epochs"],
                                "schedule": "constant"}}


def build_conditional_model(config, vocabulary_size, conditions):
    from models.lm import CharLanguageModel

    c = config["conditional"]
    model = CharLanguageModel(vocabulary_size, embedding_dim=c["embedding_dim"],
                              cell=config["model"]["cell"], units=c["units"], layers=c["layers"],
                              dropout=c["dropout"], condition_size=conditions,
                              condition_mode=c["mode"], name="conditional_lm")
    model.build({"ids": (None, None), "condition": (None, conditions)})
    return model


def train(config, run_dir, data_dir=None):
    """Trains the word model conditioned on the language (one-hot)."""
    c = config["conditional"]
    word_data, languages = word_splits(config, data_dir)
    directory = conditional_dir(run_dir)
    vocabulary = lm_inputs.build_word_vocabulary(w for w, _ in word_data["train"])
    with atomic.atomic_directory(os.path.join(directory, "data")) as staging:
        vocab_lib.save_vocabulary(vocabulary, os.path.join(staging, "vocab_chars.json"))
        atomic.write_json(os.path.join(staging, "languages.json"), languages)
    options = {"batch_size": c["batch_size"], "max_length": c["max_word_length"]}
    train_batches = lm_inputs.word_batches(word_data["train"], vocabulary, languages,
                                           training=True, seed=c["seed"], **options)
    valid_batches = lm_inputs.word_batches(word_data["validation"], vocabulary, languages,
                                           **options)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    keras.utils.set_random_seed(config["train"]["seed"])
    return training.fit(
        lambda: build_conditional_model(config, len(vocabulary) + 2, len(languages)),
        train_batches, valid_batches, conditional_config(config), directory, loss=loss)


def load(run_dir):
    """`(model, vocabulary, languages)` of a run's conditional model."""
    import models.lm  # noqa: F401  (registers the model)

    directory = conditional_dir(run_dir)
    if not os.path.exists(os.path.join(directory, "model.keras")):
        raise UsageError(f"--run-dir {run_dir}: no conditional model; train with "
                         "--set conditional.enabled=true")
    vocabulary = vocab_lib.load_vocabulary(os.path.join(directory, "data", "vocab_chars.json"))
    with open(os.path.join(directory, "data", "languages.json"), encoding="utf-8") as handle:
        languages = json.load(handle)
    return training.load_trained(directory), vocabulary, languages


# ------------------------------------------------------------ evaluation
def word_log2_probabilities(model, vocabulary, languages, pairs, config):
    """`[N, C]`: log2 p(word | language) of every word under every
    language's condition (the end-of-word boundary included)."""
    c = config["conditional"]

    ids_spec = tf.TensorSpec([None, None], tf.int32)

    @tf.function(input_signature=[ids_spec, tf.TensorSpec([None, len(languages)], tf.float32),
                                  ids_spec])
    def word_bits(ids, condition, targets):
        logits, _ = model.forward(ids, condition=condition)
        log_p = tf.nn.log_softmax(tf.cast(logits, tf.float32))
        picked = tf.gather(log_p, targets, batch_dims=2)  # [B, T]
        return tf.reduce_sum(picked * tf.cast(targets > 0, tf.float32), axis=1) / LN2  # [B]

    scores = []
    for index in range(len(languages)):
        relabelled = [(w, languages[index]) for w, _ in pairs]
        total = []
        for features, targets in lm_inputs.word_batches(
                relabelled, vocabulary, languages, batch_size=256,
                max_length=c["max_word_length"]):
            total.append(word_bits(tf.cast(features["ids"], tf.int32), features["condition"],
                                   tf.cast(targets, tf.int32)).numpy())
        scores.append(np.concatenate(total))
    return np.stack(scores, axis=1)


def evaluate(config, run_dir, data_dir=None):
    """Bits per character of the test words given their language, language
    identification by the most probable condition, and sampled words."""
    model, vocabulary, languages = load(run_dir)
    word_data, _ = word_splits(config, data_dir)
    pairs = word_data["test"]
    scores = word_log2_probabilities(model, vocabulary, languages, pairs, config)  # [N, C]
    truth = np.array([languages.index(label) for _, label in pairs])
    c = config["conditional"]
    characters = sum(min(len(w), c["max_word_length"]) + 1 for w, _ in pairs)
    return {
        "conditional_bpc": float(-scores[np.arange(len(pairs)), truth].sum() / characters),
        "conditional_langid_accuracy": float(np.mean(scores.argmax(axis=1) == truth)),
        "conditional_test_words": len(pairs),
        "conditional_samples": {
            lang: sample_words(model, vocabulary, languages, lang, c["samples"],
                               c["temperature"], c["seed"], c["max_word_length"])
            for lang in languages},
    }


def sample_words(model, vocabulary, languages, language, count, temperature, seed,
                 max_length=24):
    """`count` words sampled from the conditional model given `language`."""
    from models.lm import Sampler

    if language not in languages:
        raise UsageError(f"--language {language}: choose from {', '.join(languages)}")
    boundary = vocabulary.index(lm_inputs.WORD_BOUNDARY) + 2  # after pad and OOV
    condition = tf.one_hot([languages.index(language)] * count, len(languages))  # [N, C]
    states = model.initial_states(count, condition)
    logits, states = model.step(tf.fill([count], boundary), states, condition)
    step = lambda ids, states: model.step(ids, states, condition)  # noqa: E731
    drawn = Sampler(forbidden=(0, 1), end_id=boundary)(
        step, states, logits, max_length + 1, temperature, seed).numpy()
    words = []
    for row in drawn:
        row = list(row)
        row = row[: row.index(boundary)] if boundary in row else row
        words.append("".join(vocabulary[i - 2] for i in row))
    return words
