"""The LM task's character model, its metric and training recipe.

Training reads the text as contiguous streams (`inputs.contiguous_batches`)
with teacher forcing (Roger Grosse and Jimmy Ba, "CSC421/2516 Lecture 13:
Recurrent Neural Networks", slide 19) and truncated backpropagation
through time: the model carries its state from one batch to the next and
backpropagates through one window only (Hamid Beigy, "Deep learning:
Recurrent neural networks", slides 21-22).
"""

import math

import keras
import tensorflow as tf

from pipeline.core import ensemble, training
from pipeline.core.errors import UsageError
from pipeline.core.task import Recipe
from pipeline.tasks.lm import data as lm_data
from pipeline.tasks.lm import inputs

LN2 = math.log(2.0)


def build_model(config, vocabulary_size, stateful=True):
    """The `CharLanguageModel` the configuration describes. Stateful models
    carry `data.batch_size / replicas` streams per replica (built inside
    the `tf.distribute` strategy of the run)."""
    from models.lm import CharLanguageModel

    m = config["model"]
    streams = None
    if stateful:
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch_size = config["data"]["batch_size"]
        if batch_size % replicas:
            raise UsageError(f"--set data.batch_size={batch_size}: must be a multiple of the "
                             f"{replicas} replicas of train.strategy")
        streams = batch_size // replicas
    model = CharLanguageModel(vocabulary_size, embedding_dim=m["embedding_dim"], cell=m["cell"],
                              units=m["units"], layers=m["layers"], dropout=m["dropout"],
                              recurrent_dropout=m["recurrent_dropout"], stateful=stateful,
                              streams=streams, name="char_lm")
    model.build((None, None))
    return model


def bits_per_character(y_true, y_pred):
    """Cross-entropy in bits: nats / ln 2 (the metric of docs/architecture.md
    section 3)."""
    nats = keras.losses.sparse_categorical_crossentropy(y_true, tf.cast(y_pred, tf.float32),
                                                        from_logits=True)
    return nats / LN2


class ResetCarriedState(keras.callbacks.Callback):
    """Zeroes the carried state at the start of every epoch and of every
    validation pass: each reads its text from the beginning."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()


def batches(ids, config, split):
    """Contiguous `[B, L]` batches of an id stream, or a UsageError naming
    the flags when the split is too short for one batch."""
    d = config["data"]
    try:
        return inputs.contiguous_batches(ids, batch_size=d["batch_size"],
                                         sequence_length=d["sequence_length"])
    except ValueError as error:
        raise UsageError(f"--set data.batch_size={d['batch_size']} / data.sequence_length="
                         f"{d['sequence_length']}: the {split} split is too short ({error}); "
                         "lower them or give more text") from None


def recipe(config, run_dir, data=None, data_dir=None):
    """The training `Recipe`: truncated BPTT over contiguous streams, scored
    in bits per character, the carried state reset at each epoch and
    validation pass.

    With `train.schedule=constant` the learning rate halves after
    `train.reduce_lr_patience` epochs without a better validation loss (0:
    never); with `cosine` it decays to zero over `train.epochs` (measured
    worse at the quick preset: 2.17 against 1.90 bits per character, the
    decay starting while the model still learns fast).
    """
    vocabulary = lm_data.load_vocabulary(run_dir)
    ids = lm_data.split_ids(config, vocabulary, ("train", "validation"), data, data_dir)
    train_batches = batches(ids["train"], config, "train")
    valid_batches = batches(ids["validation"], config, "validation")
    t = config["train"]
    if t["schedule"] not in ("constant", "cosine"):
        raise UsageError(f"--set train.schedule={t['schedule']}: use constant or cosine")
    callbacks = [ResetCarriedState()]
    total_steps = None
    if t["schedule"] == "cosine":
        total_steps = t["epochs"] * int(train_batches.cardinality())
    elif t["reduce_lr_patience"]:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            factor=0.5, patience=t["reduce_lr_patience"], min_lr=1e-5))
    return Recipe(
        build_model=lambda: build_model(config, len(vocabulary) + 2),
        train_batches=train_batches,
        valid_batches=valid_batches,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[bits_per_character], callbacks=callbacks, total_steps=total_steps)


def load_trained(run_dir):
    """The trained character model of a run, and its vocabulary."""
    import models.lm  # noqa: F401  (registers the model)

    return training.load_trained(run_dir), lm_data.load_vocabulary(run_dir)


def load_for_use(config, run_dir):
    """`(model, members, vocabulary)`: the run's trained model, or with
    `ensemble.runs` the mixture of it and those runs' models
    (`models.lm.LanguageModelMixture`); `members` lists the Keras models."""
    from models.lm import LanguageModelMixture

    members, vocabulary = ensemble.load(config, run_dir, load_trained)
    model = members[0] if len(members) == 1 else LanguageModelMixture(members)
    return model, members, vocabulary
