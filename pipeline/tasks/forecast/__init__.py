"""The forecast task: windows of history to an H-step forecast (direct
multi-step), scored against an ARIMA baseline fitted in the same run.

Data (`data`, `dataset`): the prepared series (`<run-dir>/data/series.npy`)
split by position (docs/architecture.md section 3: the last 5% test, the 5%
before it validation), scaled by the normaliser prepare fitted on the
training segment. A window of `data.window` values ending just before an
origin `o` is the input; the targets are `y[o], ..., y[o+H-1]`, all inside
one split (the history may reach back into earlier splits, the targets
never cross into later ones: `inputs.windows`). The window, horizon and
baseline default to the series' (`config.SERIES`, `settings`).

The model (`models.forecaster.Forecaster`, `model`) works in normalised
units; `server.ForecastServer` scales raw values in and out inside the
graph, so the export takes raw numbers and answers in the series' own units.

Evaluation (`evaluation`) forecasts every test window with the model and
with `models.classical.arima.Baseline` (fitted on the training segment in
the same evaluate call, forecasting from exactly the same origins with
exactly the same history), and reports RMSE and MAE in the series' units,
their ratios to the baseline, and a PNG of the forecasts against the truth
(`plots`). See this folder's README.md.
"""
