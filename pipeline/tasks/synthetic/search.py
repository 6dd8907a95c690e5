"""The synthetic task's search space: which cell, width, depth and gradient
clipping solve a long-range problem.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`, and the causal Transformer), the width, the
learning rate, the clipping norm (Hamid Beigy, "Deep learning: Recurrent
neural networks", slide 54) and the weight of the gradient-flow regulariser
of Pascanu et al. 2013 (slide 55), active for recurrent cells only. The
objective is the validation loss (MSE for the adding problem,
cross-entropy for the tagging problems).
"""

from tuning.hypermodel import choice


def search_space(hp, config):
    from models.cells import CELLS

    m, t = config["model"], config["train"]
    cell = hp.Choice("cell", [*CELLS, "transformer"], default=m["cell"])
    with hp.conditional_scope("cell", list(CELLS)):
        flow_weight = choice(hp, "flow_weight", [0.0, 0.5, 1.0, 2.0], t["flow_weight"])
    return {
        "model": {"cell": cell,
                  "units": choice(hp, "units", [32, 64, 128, 256], m["units"])},
        "train": {"learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log",
                                            default=t["learning_rate"]),
                  "clipnorm": choice(hp, "clipnorm", [0.0, 0.5, 1.0, 5.0], t["clipnorm"]),
                  "flow_weight": flow_weight if cell != "transformer" else 0.0},
    }
