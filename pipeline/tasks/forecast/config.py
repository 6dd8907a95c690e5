"""The forecast task's configuration: every key once, the per-series
defaults that the zero, -1 and "" values resolve to (`settings`), its
presets, and the models `pipeline.compare` trains."""

from pipeline.core.schema import Option, Schema, at_least, common, fraction, one_of

#: Defaults per series, used where the configuration says 0, -1 or "":
#: `window` and `horizon` in steps, the `season` length of the statistical
#: peers (1 = none), the model's `linear_window` and `level`, and the ARIMA
#: baseline. The horizon fixes the held-out blocks (30 origins each,
#: `pipeline.data.splits.origin_bounds`). Sunspots are yearly (cycle about
#: 11 years, not a calendar season): 12 years of history (one cycle; AIC
#: picks 9 AR lags), a 5-year forecast, the AR(9) baseline. CO2 is weekly,
#: trending, with a yearly season of 52.18 weeks: two years of history, a
#: 26-week forecast, changes from the last value (the test values lie above
#: every training value), and ARIMA(1,1,1) with drift and 3 Fourier pairs of
#: the yearly period (a seasonal ARIMA of period 52 takes minutes to fit).
#: The Nile flow is yearly with a level shift (ARIMA(0,1,1), a local
#: level); El Nino is monthly with a yearly season; GDP and CPI (logged),
#: unemployment, inflation and the real interest rate are quarterly, the
#: trending ones forecast as changes. A user file gets generic values.
SERIES = {
    "sunspots": {"window": 12, "horizon": 5, "season": 1, "linear_window": 9,
                 "level": "absolute", "order": "9,0,0", "seasonal_order": "0,0,0,0",
                 "trend": "c", "period": "0", "harmonics": "0"},
    "co2": {"window": 104, "horizon": 26, "season": 52, "linear_window": 52, "level": "last",
            "order": "1,1,1", "seasonal_order": "0,0,0,0", "trend": "t",
            "period": str(365.25 / 7), "harmonics": "3"},
    "nile": {"window": 10, "horizon": 3, "season": 1, "linear_window": 5, "level": "last",
             "order": "0,1,1", "seasonal_order": "0,0,0,0", "trend": "n", "period": "0",
             "harmonics": "0"},
    "elnino": {"window": 36, "horizon": 12, "season": 12, "linear_window": 12,
               "level": "absolute", "order": "2,0,0", "seasonal_order": "0,0,0,0",
               "trend": "c", "period": "12", "harmonics": "2"},
    "gdp": {"window": 16, "horizon": 4, "season": 4, "linear_window": 8, "level": "last",
            "order": "1,1,0", "seasonal_order": "0,0,0,0", "trend": "t", "period": "0",
            "harmonics": "0"},
    "cpi": {"window": 16, "horizon": 4, "season": 4, "linear_window": 8, "level": "last",
            "order": "2,1,0", "seasonal_order": "0,0,0,0", "trend": "t", "period": "0",
            "harmonics": "0"},
    "unemployment": {"window": 16, "horizon": 4, "season": 4, "linear_window": 8,
                     "level": "last", "order": "2,1,0", "seasonal_order": "0,0,0,0",
                     "trend": "n", "period": "0", "harmonics": "0"},
    "inflation": {"window": 16, "horizon": 4, "season": 4, "linear_window": 8,
                  "level": "absolute", "order": "1,0,1", "seasonal_order": "0,0,0,0",
                  "trend": "c", "period": "0", "harmonics": "0"},
    "interest_rate": {"window": 16, "horizon": 4, "season": 4, "linear_window": 8,
                      "level": "absolute", "order": "1,0,1", "seasonal_order": "0,0,0,0",
                      "trend": "c", "period": "0", "harmonics": "0"},
    "file": {"window": 24, "horizon": 6, "season": 1, "linear_window": 12, "level": "last",
             "order": "2,1,1", "seasonal_order": "0,0,0,0", "trend": "t", "period": "0",
             "harmonics": "0"},
}

#: The embedded series (`dataset.StatsmodelsSeries` configs).
EMBEDDED = tuple(name for name in SERIES if name != "file")

#: The statistical peers `evaluate.peers` chooses from
#: (`models.classical.peers.PEERS`).
PEER_NAMES = ("auto_arima", "auto_ets", "auto_theta", "seasonal_naive", "arima", "ar")

SCHEMA = Schema(
    Option("forecast.series", "sunspots", "the embedded series: " + ", ".join(EMBEDDED)
           + " (--data FILE.csv for your own)", prepare=True, limit=one_of(*EMBEDDED)),
    Option("forecast.column", "", "the value column of a --data CSV (\"\" = value, else the "
           "last column)", prepare=True),
    Option("data.window", 0, "steps of history a forecast reads (0 = the series' default)",
           at_least(0)),
    Option("data.horizon", 0, "steps ahead forecast at once (0 = the series' default); "
           "it sizes the held-out blocks of 30 origins", at_least(0), prepare=True),
    Option("data.season", 0, "season length of the statistical peers (0 = the series' "
           "default, 1 = none)", at_least(0)),
    common("data.batch_size", 32),
    common("data.seed", 0),
    common("model.cell", "lstm"),
    common("model.units", 16),
    common("model.layers", 1),
    common("model.dropout", 0.3, help="dropout rate on the recurrent summary before the "
           "read-out, and on the inputs of stacked layers"),
    Option("model.linear_window", -1, "inputs of a linear AR term added to the read-out "
           "(0 = none, -1 = the series' default)", at_least(-1)),
    Option("model.level", "", "absolute reads normalised values, last forecasts changes from "
           "the last value (\"\" = the series' default)", one_of("", "absolute", "last")),
    Option("model.members", 1, "independently trained forecasters averaged "
           "(models.forecaster)", at_least(1)),
    Option("model.linear_init", "least_squares", "least_squares starts the linear term from "
           "the closed-form direct regression and the network from zero, random from Keras' "
           "initialisers", one_of("least_squares", "random")),
    common("train.epochs", 300),
    common("train.max_steps_per_epoch", 0),
    common("train.learning_rate", 1e-3),
    common("train.schedule", "constant"),
    common("train.clipnorm", 1.0),
    common("train.patience", 30),
    common("train.seed", 0),
    common("train.jit_compile", False),
    common("train.strategy", "default"),
    common("train.ema", 0.0),
    Option("evaluate.peers", ",".join(PEER_NAMES), "the statistical peers fitted at every "
           "origin, comma-separated: " + ", ".join(PEER_NAMES)),
    Option("evaluate.refit", "block", "block: the test block and the export use the network "
           "refitted once on the training and validation segments (refit.py); none: the "
           "train stage's network", one_of("block", "none")),
    Option("evaluate.interval_level", 0.9, "nominal coverage of the conformal "
           "prediction intervals", fraction()),
    Option("baseline.order", "", "the ARIMA baseline's p,d,q (\"\" = the series' default)"),
    Option("baseline.seasonal_order", "", "its seasonal P,D,Q,s (\"\" = the series' default)"),
    Option("baseline.trend", "", "its trend: n, c, t or ct (\"\" = the series' default)"),
    Option("baseline.period", "", "the period of its Fourier regressors (\"\" = the series' "
           "default)"),
    Option("baseline.harmonics", "", "its Fourier pairs of the period (0 = none, \"\" = the "
           "series' default)"),
)

#: The smoke and quick presets' cap on an epoch's batches (training and
#: validation), so their time does not grow with a user's series; the
#: embedded series have fewer (co2, the longer: 61 training batches of 32).
SMOKE_STEPS, QUICK_STEPS = 100, 1000

PRESETS = {
    "smoke": {"model": {"units": 4}, "train": {"epochs": 2, "patience": 2,
                                               "max_steps_per_epoch": SMOKE_STEPS},
              "evaluate": {"peers": "seasonal_naive,arima,ar"}},
    "quick": {"train": {"epochs": 100, "patience": 20, "max_steps_per_epoch": QUICK_STEPS}},
    "full": {"model": {"members": 5}},
}

#: The models `pipeline.compare --task forecast` trains.
VARIANTS = {
    "lstm": {"model": {"cell": "lstm"}},
    "gru": {"model": {"cell": "gru"}},
    "elman": {"model": {"cell": "elman"}},
}

#: The metrics `pipeline.compare` tabulates, the first one charted.
COMPARE_METRICS = ("rmse_ratio", "mase", "rmse", "mae", "baseline_rmse")
