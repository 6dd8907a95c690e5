"""The classify search space: many-to-one recurrent classifiers.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`, seed 003 slides 40-53), the width, the depth,
a bidirectional encoder, the pooling of the states into one vector (the
last state, or attention pooling with its hidden width; seed 003 slides
59-66), dropout (and recurrent dropout, once the classify configuration has
a `model.recurrent_dropout` key), the learning rate, the gradient-clipping
norm (slides 54-55) and the batch size.

The objective is the validation accuracy (DESIGN section 3).
"""

import keras_tuner

from models.cells import CELLS
from models.classifier import POOLINGS
from pipeline.data import builders as data_lib
from pipeline.tasks import classify
from tuning.legacy_hypermodel import TaskHyperModel, choice


class ClassifyHyperModel(TaskHyperModel):
    """Classify: `TextClassifier` configurations, scored by validation accuracy."""

    task = "classify"
    objective = keras_tuner.Objective("val_accuracy", direction="max")

    def __init__(self, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(config, run_dir, data=data, data_dir=data_dir, verbose=verbose)
        self._prepared = None
        self._examples = None

    def space(self, hp, config):
        m, t, d = config["model"], config["train"], config["data"]
        model = {
            "cell": hp.Choice("cell", list(CELLS), default=m["cell"]),
            "units": choice(hp, "units", [16, 32, 64, 128], m["units"]),
            "num_layers": hp.Int("num_layers", 1, 3, default=m["num_layers"]),
            "bidirectional": hp.Boolean("bidirectional", default=m["bidirectional"]),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=m["dropout"]),
            "pooling": hp.Choice("pooling", POOLINGS, default=m["pooling"]),
        }
        if "recurrent_dropout" in m:
            model["recurrent_dropout"] = hp.Float("recurrent_dropout", 0.0, 0.5, step=0.1,
                                                  default=m["recurrent_dropout"])
        with hp.conditional_scope("pooling", ["attention"]):  # 0 = as wide as `units`
            model["attention_units"] = choice(hp, "attention_units", [0, 16, 32, 64],
                                              m["attention_units"])
        train = {
            "learning_rate": hp.Float("learning_rate", 1e-4, 3e-2, sampling="log",
                                      default=t["learning_rate"]),
            "clipnorm": choice(hp, "clipnorm", [0.0, 0.5, 1.0, 5.0], t["clipnorm"]),
        }
        data = {"batch_size": choice(hp, "batch_size", [32, 64, 128, 256], d["batch_size"])}
        return {"model": model, "train": train, "data": data}

    def prepared(self, config):
        if self._prepared is None:
            self._prepared = classify.load_prepared(config, self.run_dir)
        return self._prepared

    def examples(self, config):
        if self._examples is None:
            task_data = data_lib.load("classify", data=self.data, data_dir=self.data_dir)
            self._examples = classify.splits(task_data, config)
        return self._examples

    def build_model(self, config):
        return classify.build_model(config, self.prepared(config))

    def loss(self, config):
        return classify.loss()

    def total_steps(self, config):
        return classify.total_steps(config, self.examples(config))

    def metrics(self, config):
        return ["accuracy"]

    def datasets(self, config):
        return classify.training_batches(config, self.prepared(config), self.examples(config))
