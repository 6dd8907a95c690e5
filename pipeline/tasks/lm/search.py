"""The LM task's search space: character language models with truncated
BPTT.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`, Hamid Beigy, "Deep learning: Recurrent
neural networks", slides 40-53), the width, the depth, dropout and
recurrent dropout, the truncation length of backpropagation through time
(the sequence length of a batch, slide 22), the learning rate, the
gradient-clipping norm (slides 54-55) and the batch size (the number of
carried streams).

The objective is the validation bits per character (docs/architecture.md
section 3), a Keras metric of the `Recipe` (`LMTask.objective`). The
conditional word model that the LM train stage also trains is not tuned.
"""

from tuning.hypermodel import choice


def search_space(hp, config):
    from models.cells import CELLS

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
