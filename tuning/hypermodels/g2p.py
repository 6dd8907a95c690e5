"""The G2P search space: the encoder-decoder comparisons of the lectures.

Searched, each with the configuration's value as its default:

- the encoder: a recurrent stack (seed 003 slides 57-58) or Transformer
  blocks (slides 76-81); the cell, every cell of `models.cells` (slides
  40-53); the width; the depth; a bidirectional encoder and residual
  connections between its layers (recurrent encoder only); the heads
  (Transformer only);
- the attention: Luong, Bahdanau or none (slides 59-75); Luong's score
  (slide 66) and, for `concat`, its hidden width; global or local windows
  (slides 72-75) and the local window's half-width D (local windows only;
  Luong et al. 2015 eq. (9));
- dropout (and recurrent dropout, once the G2P configuration has a
  `model.recurrent_dropout` key);
- the learning rate, the gradient-clipping norm (slides 54-55), the batch
  size, and the final probability of scheduled sampling (0 = teacher
  forcing only, seed 002 slide 19; Bengio et al. 2015).

Not searched: Luong's `location` score, which needs a `max_source_length`
the G2P configuration does not set, and the decoding settings (the
objective decodes with the configuration's beam).

The objective is the validation word error rate (DESIGN section 3), from
decoding the validation words with the configuration's decoder after every
epoch.
"""

import keras_tuner

from models.attention.luong_attention import WINDOWS
from models.cells import CELLS
from models.seq2seq.attentive_decoder import STYLES
from models.seq2seq.seq2seq import ENCODERS
from pipeline import g2p_scoring
from pipeline.data import builders as data_lib
from pipeline.g2p_server import G2PServer
from pipeline.tasks import g2p
from tuning.legacy_hypermodel import TaskHyperModel, choice

#: Luong scores searched (`location` needs a fixed source length).
SCORES = ("dot", "general", "concat", "scaled_dot")


class G2PHyperModel(TaskHyperModel):
    """G2P: `Seq2Seq` configurations, scored by validation WER."""

    task = "g2p"
    objective = keras_tuner.Objective("val_wer", direction="min")

    def __init__(self, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(config, run_dir, data=data, data_dir=data_dir, verbose=verbose)
        self._vocabularies = None
        self._splits = None
        self._decoder = (None, None)  # (model, its G2PServer): traced once per model

    def space(self, hp, config):
        m, t, d = config["model"], config["train"], config["data"]
        model = {
            "encoder": hp.Choice("encoder", ENCODERS, default=m["encoder"]),
            "cell": hp.Choice("cell", list(CELLS), default=m["cell"]),
            "units": choice(hp, "units", [32, 64, 128, 256], m["units"]),
            "encoder_layers": hp.Int("encoder_layers", 1, 3, default=m["encoder_layers"]),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=m["dropout"]),
        }
        if "recurrent_dropout" in m:
            model["recurrent_dropout"] = hp.Float("recurrent_dropout", 0.0, 0.5, step=0.1,
                                                  default=m["recurrent_dropout"])
        with hp.conditional_scope("encoder", ["recurrent"]):
            model["bidirectional"] = hp.Boolean("bidirectional", default=m["bidirectional"])
            model["residual"] = hp.Boolean("residual", default=m["residual"])
        with hp.conditional_scope("encoder", ["transformer"]):
            model["heads"] = choice(hp, "heads", [1, 2, 4, 8], m["heads"])
        model["attention"] = hp.Choice("attention", STYLES, default=m["attention"])
        with hp.conditional_scope("attention", ["luong"]):
            model["score"] = choice(hp, "score", SCORES, m["score"])
            with hp.conditional_scope("score", ["concat"]):  # v_a^T tanh(W_a[h_t; h_s])
                model["attention_units"] = choice(hp, "attention_units", [16, 32, 64, 128],
                                                  m["attention_units"] or m["units"])
            model["window"] = hp.Choice("window", WINDOWS, default=m["window"])
            with hp.conditional_scope("window", ["local-m", "local-p"]):
                model["window_size"] = hp.Int("window_size", 1, 8,
                                              default=m["window_size"] or 3)
        train = {
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log",
                                      default=t["learning_rate"]),
            "clipnorm": choice(hp, "clipnorm", [0.0, 0.5, 1.0, 5.0], t["clipnorm"]),
        }
        if "scheduled_sampling" in t:
            train["scheduled_sampling"] = choice(hp, "scheduled_sampling", [0.0, 0.25, 0.5],
                                                 t["scheduled_sampling"])
        data = {"batch_size": choice(hp, "batch_size", [16, 32, 64, 128], d["batch_size"])}
        return {"model": model, "train": train, "data": data}

    # -- the task's pieces ------------------------------------------------------------------

    @property
    def vocabularies(self):
        if self._vocabularies is None:
            self._vocabularies = g2p.load_vocabularies(self.run_dir)
        return self._vocabularies

    def splits(self, config):
        if self._splits is None:
            task_data = data_lib.load("g2p", data=self.data, data_dir=self.data_dir)
            self._splits = g2p.splits(task_data, config)
        return self._splits

    def build_model(self, config):
        return g2p.build_model(config, self.vocabularies)

    def loss(self, config):
        return g2p.loss(config["train"]["label_smoothing"])

    def total_steps(self, config):
        return g2p.total_steps(config, self.splits(config))

    def callbacks(self, config):
        return g2p.training_callbacks(config)

    def datasets(self, config):
        return g2p.training_batches(config, self.vocabularies, self.splits(config))

    def validation_metrics(self, model, config):
        """`val_wer` and `val_per` (stress kept) of the validation words,
        decoded as the evaluate stage decodes."""
        references = self.splits(config)["validation"]
        if self._decoder[0] is not model:  # trace once per model, not per epoch
            self._decoder = (model, G2PServer(model, self.vocabularies, **config["decode"]))
        predictions = g2p.predict(self._decoder[1], sorted(references))
        scores = g2p_scoring.score_all(predictions, references)
        return {"val_wer": scores["wer"], "val_per": scores["per"]}
