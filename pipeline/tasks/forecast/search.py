"""The forecast task's search space: recurrent many-to-many regressors.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`; Hamid Beigy, "Deep learning: Recurrent
neural networks", slides 40-53), the width, the depth, dropout (and
recurrent dropout, once the forecast configuration has a
`model.recurrent_dropout` key), the learning rate, the gradient-clipping
norm (slides 54-55) and the batch size. The window and horizon stay the
configuration's (they define the validation windows the objective scores).

The objective (`ForecastTask.objective`) is the validation RMSE in the
series' own units (docs/architecture.md section 3), from the model's
forecasts of every validation window (`model.validation_metrics`).
"""

from tuning.hypermodel import choice


def search_space(hp, config):
    from models.cells import CELLS

    m, t, d = config["model"], config["train"], config["data"]
    model = {
        "cell": hp.Choice("cell", list(CELLS), default=m["cell"]),
        "units": choice(hp, "units", [8, 16, 32, 64, 128], m["units"]),
        "layers": hp.Int("layers", 1, 3, default=m["layers"]),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=m["dropout"]),
    }
    if "recurrent_dropout" in m:
        model["recurrent_dropout"] = hp.Float("recurrent_dropout", 0.0, 0.5, step=0.1,
                                              default=m["recurrent_dropout"])
    train = {
        "learning_rate": hp.Float("learning_rate", 1e-4, 3e-2, sampling="log",
                                  default=t["learning_rate"]),
        "clipnorm": choice(hp, "clipnorm", [0.0, 0.5, 1.0, 5.0], t["clipnorm"]),
    }
    data = {"batch_size": choice(hp, "batch_size", [8, 16, 32, 64], d["batch_size"])}
    return {"model": model, "train": train, "data": data}
