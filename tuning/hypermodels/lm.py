"""The LM search space: character language models with truncated BPTT.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`, seed 003 slides 40-53), the width, the depth,
dropout and recurrent dropout, the truncation length of backpropagation
through time (the sequence length of a batch, seed 003 slide 22), the
learning rate, the gradient-clipping norm (slides 54-55) and the batch size
(the number of carried streams).

The objective is the validation bits per character (DESIGN section 3). The
conditional word model that the LM train stage also trains is not tuned.
"""

import keras
import keras_tuner

from models.cells import CELLS
from pipeline.data import builders as data_lib
from pipeline.inputs import lm as lm_inputs
from pipeline.tasks import lm
from tuning.legacy_hypermodel import TaskHyperModel, choice


class LMHyperModel(TaskHyperModel):
    """LM: `CharLanguageModel` configurations, scored by validation bits per
    character."""

    task = "lm"
    objective = keras_tuner.Objective("val_bits_per_character", direction="min")

    def __init__(self, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(config, run_dir, data=data, data_dir=data_dir, verbose=verbose)
        self._vocabulary = None
        self._ids = None

    def space(self, hp, config):
        m, t, d = config["model"], config["train"], config["data"]
        model = {
            "cell": hp.Choice("cell", list(CELLS), default=m["cell"]),
            "units": choice(hp, "units", [64, 128, 256, 512], m["units"]),
            "layers": hp.Int("layers", 1, 3, default=m["layers"]),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=m["dropout"]),
            "recurrent_dropout": hp.Float("recurrent_dropout", 0.0, 0.5, step=0.1,
                                          default=m["recurrent_dropout"]),
        }
        train = {
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log",
                                      default=t["learning_rate"]),
            "clipnorm": choice(hp, "clipnorm", [0.0, 0.5, 1.0, 5.0], t["clipnorm"]),
        }
        data = {"batch_size": choice(hp, "batch_size", [16, 32, 64, 128], d["batch_size"]),
                "sequence_length": choice(hp, "sequence_length", [32, 64, 128, 256],
                                          d["sequence_length"])}
        return {"model": model, "train": train, "data": data}

    @property
    def vocabulary(self):
        if self._vocabulary is None:
            self._vocabulary = lm.load_vocabulary(self.run_dir)
        return self._vocabulary

    def ids(self, config):
        if self._ids is None:
            texts = lm.texts(data_lib.load("lm", data=self.data, data_dir=self.data_dir), config)
            self._ids = {split: lm_inputs.encode_text(texts[split], self.vocabulary)
                         for split in ("train", "validation")}
        return self._ids

    def build_model(self, config):
        return lm.build_model(config, len(self.vocabulary) + 2)

    def loss(self, config):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self, config):
        return [lm.bits_per_character]

    def callbacks(self, config):
        return [lm.ResetCarriedState()]

    def datasets(self, config):
        ids = self.ids(config)
        return (lm.batches(ids["train"], config, "train"),
                lm.batches(ids["validation"], config, "validation"))
