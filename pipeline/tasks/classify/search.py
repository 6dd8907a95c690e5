"""The classify task's search space: many-to-one recurrent classifiers.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`; Hamid Beigy, "Deep learning: Recurrent
neural networks", slides 40-53), the width, the depth, a bidirectional
encoder, the pooling of the states into one vector (the last state, or
attention pooling with its hidden width; slides 59-66), dropout (and
recurrent dropout, once the classify configuration has a
`model.recurrent_dropout` key), the learning rate, the gradient-clipping
norm (slides 54-55), the batch size, and the highest order of the hashed
character n-grams added to the inputs (0 = none; Bojanowski et al. 2017,
"Enriching Word Vectors with Subword Information").

The objective is the validation accuracy (`ClassifyTask.objective`;
docs/architecture.md section 3).
"""

from tuning.hypermodel import choice


def search_space(hp, config):
    from models.cells import CELLS
    from models.classifier import POOLINGS

    m, t, d = config["model"], config["train"], config["data"]
    model = {
        "cell": hp.Choice("cell", list(CELLS), default=m["cell"]),
        "units": choice(hp, "units", [16, 32, 64, 128], m["units"]),
        "num_layers": hp.Int("num_layers", 1, 3, default=m["num_layers"]),
        "bidirectional": hp.Boolean("bidirectional", default=m["bidirectional"]),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=m["dropout"]),
        "pooling": hp.Choice("pooling", POOLINGS, default=m["pooling"]),
        "ngram_order": choice(hp, "ngram_order", [0, 3, 4, 5], m["ngram_order"]),
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
