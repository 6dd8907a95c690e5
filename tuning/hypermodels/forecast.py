"""The forecast search space: recurrent many-to-many regressors.

Searched, each with the configuration's value as its default: the cell
(every cell of `models.cells`, seed 003 slides 40-53), the width, the depth,
dropout (and recurrent dropout, once the forecast configuration has a
`model.recurrent_dropout` key), the learning rate, the gradient-clipping
norm (slides 54-55) and the batch size. The window and horizon stay the
configuration's (they define the validation windows the objective scores).

The objective is the validation RMSE in the series' own units (DESIGN
section 3), from the model's forecasts of every validation window.
"""

import keras_tuner
import numpy as np

from models.cells import CELLS
from pipeline.core.errors import UsageError
from pipeline.tasks import forecast
from tuning.legacy_hypermodel import TaskHyperModel, choice


class ForecastHyperModel(TaskHyperModel):
    """Forecast: `Forecaster` configurations, scored by validation RMSE."""

    task = "forecast"
    objective = keras_tuner.Objective("val_rmse", direction="min")

    def __init__(self, config, run_dir, data=None, data_dir=None, verbose="auto"):
        super().__init__(config, run_dir, data=data, data_dir=data_dir, verbose=verbose)
        self._prepared = None

    def space(self, hp, config):
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

    def prepared(self):
        """`(series, prepared)` of the prepare stage."""
        if self._prepared is None:
            self._prepared = forecast.load_prepared(self.run_dir)
        return self._prepared

    def resolved(self, config):
        """`config` with the series' window and horizon written in."""
        config = forecast.resolved(config, self.prepared()[1])
        if config["model"]["linear_window"] > config["data"]["window"]:
            raise UsageError(f"--set model.linear_window={config['model']['linear_window']}: "
                             f"at most data.window={config['data']['window']}")
        return config

    def windows(self, config, split):
        return forecast.training_windows(self.resolved(config), *self.prepared(), split)

    def build_model(self, config):
        config = self.resolved(config)
        return forecast.build_model(config, config["data"]["horizon"],
                                    self.windows(config, "train"))

    def loss(self, config):
        return "mse"

    def total_steps(self, config):
        return forecast.total_steps(self.resolved(config), *self.prepared())

    def datasets(self, config):
        return forecast.training_batches(self.resolved(config), *self.prepared())

    def validation_metrics(self, model, config):
        """`val_rmse` and `val_mae` of the validation forecasts, in the
        series' units."""
        histories, targets = self.windows(config, "validation")  # normalised
        std = self.prepared()[1]["normalizer"]["std"]
        predicted = np.asarray(model.predict(histories[..., None], verbose=0), "float64")
        error = (predicted - targets) * std  # the mean cancels
        return {"val_rmse": float(np.sqrt(np.mean(error**2))),
                "val_mae": float(np.mean(np.abs(error)))}
