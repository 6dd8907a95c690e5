"""The classify task's model, loss and training recipe.

The model is `models.classifier.TextClassifier`: embedding, a
(bidirectional) recurrent encoder and pooling to one vector before the
softmax layer; the loss the cross-entropy of its logits. Early stopping and
the best checkpoint follow `train.monitor` (the validation loss or
accuracy); a search follows the validation accuracy
(`ClassifyTask.objective`).
"""

import keras
import numpy as np

from pipeline.core import training
from pipeline.core.task import Recipe
from pipeline.tasks.classify import data as classify_data
from pipeline.tasks.classify import inputs
from pipeline.tasks.classify.config import MONITORS


def build_model(config, prepared):
    """The `TextClassifier` the configuration describes, built, its weights
    drawn with `train.seed`."""
    from models.classifier import TextClassifier

    keras.utils.set_random_seed(config["train"]["seed"])
    m = dict(config["model"])
    m["attention_units"] = m["attention_units"] or None
    # ids 0 and 1 are padding and out-of-vocabulary (pipeline.data.vocab)
    model = TextClassifier(len(prepared["tokens"]) + 2, len(prepared["labels"]), **m,
                           name="classifier")
    order = m["ngram_order"]
    model(np.ones((1, 2, order) if order >= 2 else (1, 2), "int32"))
    return model


def loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def training_batches(config, prepared, examples):
    """`(train, validation)` batches of the `split_examples` examples."""
    d = config["data"]
    options = {"unit": prepared["unit"], "batch_size": d["batch_size"],
               "max_length": d["max_length"], "ngram_order": config["model"]["ngram_order"],
               "ngram_buckets": config["model"]["ngram_buckets"]}
    train_batches = inputs.batches(inputs.as_dataset(examples["train"]), prepared["tokens"],
                                   prepared["labels"], training=True, seed=d["seed"], **options)
    valid_batches = inputs.batches(inputs.as_dataset(examples["validation"]),
                                   prepared["tokens"], prepared["labels"], **options)
    return train_batches, valid_batches


def total_steps(config, examples):
    """Optimizer steps of the whole run, for the cosine schedule."""
    # Bucketing leaves at most one short batch per bucket each epoch.
    steps = -(-len(examples["train"]) // config["data"]["batch_size"]) \
        + len(inputs.BOUNDARIES) + 1
    return steps * config["train"]["epochs"]


def recipe(config, run_dir, data=None, data_dir=None):
    """The training `Recipe` on the prepared vocabularies of `run_dir`: the
    classifier, its batches, the cross-entropy and accuracy."""
    prepared = classify_data.load_prepared(config, run_dir)
    examples = classify_data.load_splits(config, data, data_dir)
    train_batches, valid_batches = training_batches(config, prepared, examples)
    return Recipe(build_model=lambda: build_model(config, prepared),
                  train_batches=train_batches, valid_batches=valid_batches,
                  loss=loss(), metrics=["accuracy"], monitor=config["train"]["monitor"],
                  mode=MONITORS[config["train"]["monitor"]],
                  total_steps=total_steps(config, examples))


def load_trained(config, run_dir):
    """The trained model of a run, and its prepared vocabularies and unit."""
    import models.classifier  # noqa: F401  (registers TextClassifier)

    prepared = classify_data.load_prepared(config, run_dir)  # first: it checks classify.unit
    return training.load_trained(run_dir), prepared
