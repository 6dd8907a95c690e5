"""The G2P task's search space: the encoder-decoder comparisons of the lectures.

Searched, each with the configuration's value as its default:

- the encoder: a recurrent stack (Hamid Beigy, "Deep learning: Recurrent
  neural networks", slides 57-58) or Transformer blocks (slides 76-81); the
  cell, every cell of `models.cells` (slides 40-53); the width; the depth; a
  bidirectional encoder and residual connections between its layers
  (recurrent encoder only); the heads (Transformer only);
- the attention: Luong, Bahdanau or none (slides 59-75); Luong's score
  (slide 66) and, for `concat`, its hidden width; global or local windows
  (slides 72-75) and the local window's half-width D (local windows only;
  Luong et al. 2015 eq. (9));
- dropout (and recurrent dropout, once the G2P configuration has a
  `model.recurrent_dropout` key);
- the learning rate, the gradient-clipping norm (slides 54-55), the batch
  size, and the final probability of scheduled sampling (0 = teacher
  forcing only, Roger Grosse and Jimmy Ba, "CSC421/2516 Lecture 13:
  Recurrent Neural Networks", slide 19; Bengio et al. 2015).

Not searched: Luong's `location` score, which needs a `max_source_length`
the G2P configuration does not set, and the decoding settings (the
objective decodes with the configuration's beam).

The objective (`G2PTask.objective`) is the validation word error rate
(docs/architecture.md section 3), from decoding the validation words with
the configuration's decoder after every epoch
(`model.validation_metrics`, the recipe's `validation_metrics`).
"""

from models.attention.luong_attention import WINDOWS
from models.cells import CELLS
from models.seq2seq.attentive_decoder import STYLES
from models.seq2seq.seq2seq import ENCODERS
from tuning.hypermodel import choice

#: Luong scores searched (`location` needs a fixed source length).
SCORES = ("dot", "general", "concat", "scaled_dot")


def search_space(hp, config):
    """Declares the G2P hyperparameters on `hp`, each with the configuration's
    value as its default; returns the overrides they choose."""
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
