"""The forecast task: windows of history to an H-step forecast (direct
multi-step), scored from rolling origins against statistical peers
refitted at every origin in the same run.

Data (`data`, `dataset`): the prepared series (`<run-dir>/data/series.npy`)
split by position into blocks of forecast origins (docs/architecture.md
section 3: the last block holding 30 origins test, the block before it
validation), scaled by the normaliser prepare fitted on the training
segment. A window of `data.window` values ending just before an
origin `o` is the input; the targets are `y[o], ..., y[o+H-1]`, all inside
one split (the history may reach back into earlier splits, the targets
never cross into later ones: `inputs.windows`). The window, horizon and
baseline default to the series' (`config.SERIES`, `settings`).

The model (`models.forecaster.Forecaster`, `model`) works in normalised
units; `server.ForecastServer` scales raw values in and out inside the
graph, so the export takes raw numbers and answers in the series' own units.

Evaluation (`evaluation`) forecasts from every origin of the test block
with the model and the peers of `models.classical.peers` (each fitted on
exactly the history before the origin), and reports per-origin and pooled
RMSE, MAE and MASE (`scores`), the ratios to each peer, the coverage of the
conformal intervals (`intervals`) the export also serves, and PNGs
(`plots`). See this folder's README.md.
"""
