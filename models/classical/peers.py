"""The statistical forecasters a forecaster would run beside a network,
each refitted at every forecast origin on the history before it.

From `statsforecast` (Garza, Mergenthaler Canseco, Challu and Olivares,
"StatsForecast: lightning fast forecasting with statistical and econometric
models", PyCon Salt Lake City 2022):

- `auto_arima`: AutoARIMA, the stepwise order search of Hyndman and
  Khandakar, "Automatic time series forecasting: the forecast package for
  R", Journal of Statistical Software 27(3), 2008. A season longer than
  `MAX_SEASON` (weekly data) enters as Fourier pairs of the series' period
  regressed on, with non-seasonal ARIMA errors (dynamic harmonic regression,
  Hyndman and Athanasopoulos, Forecasting: Principles and Practice, 3rd ed.,
  section 10.5): a seasonal ARIMA of period 52 takes about 20 s a fit.
- `auto_ets`: AutoETS, exponential smoothing state-space models chosen by
  AICc (Hyndman, Koehler, Snyder and Grose, "A state space framework for
  automatic forecasting using exponential smoothing methods",
  International Journal of Forecasting 18(3), 2002); statsforecast's ETS
  fits seasons of at most 24, so a longer season is left out.
- `auto_theta`: AutoTheta, the Theta method and its optimised and dynamic
  variants chosen by in-sample error (Assimakopoulos and Nikolopoulos,
  "The theta model: a decomposition approach to forecasting",
  International Journal of Forecasting 16(4), 2000; Fiorucci et al. 2016),
  on the deseasonalised series when a season is detected.
- `seasonal_naive`: the value one season earlier (the last value when the
  season is 1), the scale of MASE.

From `statsmodels`:

- `arima`: the forecast task's ARIMA baseline (`models.classical.arima`)
  with the run's order, trend and Fourier terms, fitted once per block
  (below).
- `ar`: AR(p) by least squares, p chosen by AIC up to `ar_max_lag`
  (`statsmodels.tsa.ar_model.ar_select_order`), with a constant, or a
  constant and a time trend for a trending series. On yearly sunspots it
  picks 9 lags that carry the 11-year cycle the automatic methods miss.

Every peer but `arima` follows `statsforecast`'s
`cross_validation(refit=True)`: from each origin `o` it is fitted on
`series[:o]` and forecasts `series[o : o + H]`. `arima` is fitted once on
the history before the block's first origin and conditioned at each origin
on the values before it (`refit=False`). Nothing at or after an origin
shapes its forecast.
"""

import warnings

import numpy as np

#: The longest season statsforecast's ETS fits, and beyond which AutoARIMA
#: takes Fourier regressors instead of a seasonal part.
MAX_SEASON = 24

#: Display names, in the order of the tables.
LABELS = {"auto_arima": "AutoARIMA", "auto_ets": "AutoETS", "auto_theta": "AutoTheta",
          "seasonal_naive": "SeasonalNaive", "arima": "ARIMA", "ar": "AR(AIC)"}


def check_origins(origins):
    origins = np.asarray(origins, "int64")
    if len(origins) == 0 or np.any(np.diff(origins) != 1):
        raise ValueError(f"origins must be consecutive steps. Received: origins={origins}")
    return origins


def statsforecast_model(name, season, positive):
    """The statsforecast model of peer `name` for a season length."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    seasonal = season if season <= MAX_SEASON else 1
    if name == "auto_arima":
        return AutoARIMA(season_length=seasonal, alias=LABELS[name])
    if name == "auto_ets":
        return AutoETS(season_length=seasonal, alias=LABELS[name])
    if name == "auto_theta":  # a multiplicative decomposition needs positive values
        return AutoTheta(season_length=season, alias=LABELS[name],
                         decomposition_type="multiplicative" if positive else "additive")
    if name == "seasonal_naive":
        return SeasonalNaive(season_length=season, alias=LABELS[name])
    raise ValueError(f"unknown statsforecast peer. Received: name={name}")


def statsforecast_forecasts(names, series, origins, horizon, season, exog=None):
    """`{name: [N, horizon]}` forecasts of the statsforecast peers `names`
    from each origin (consecutive steps), each refitted on `series[:o]`.

    `exog` (`[len(series), K]`, deterministic regressors such as Fourier
    terms, or None) is given to AutoARIMA only, when the season is longer
    than `MAX_SEASON`; the others see the values alone.
    """
    import pandas as pd
    from statsforecast import StatsForecast

    origins = check_origins(origins)
    stop = int(origins[-1]) + horizon
    values = np.asarray(series, "float64")[:stop]
    frame = pd.DataFrame({"unique_id": "series", "ds": np.arange(stop), "y": values})
    positive = bool(np.all(values[:origins[0]] > 0))
    out = {}
    for name in names:
        model = statsforecast_model(name, season, positive)
        data = frame
        if name == "auto_arima" and exog is not None and season > MAX_SEASON:
            columns = {f"x{k}": np.asarray(exog, "float64")[:stop, k]
                       for k in range(np.shape(exog)[1])}
            data = frame.assign(**columns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = StatsForecast(models=[model], freq=1, n_jobs=1).cross_validation(
                df=data, h=horizon, n_windows=len(origins), step_size=1, refit=True)
        cv = cv.sort_values(["cutoff", "ds"])
        if not np.array_equal(np.unique(cv["cutoff"].to_numpy()) + 1, origins):
            raise RuntimeError(f"statsforecast chose other origins than {origins}")
        out[name] = cv[LABELS[name]].to_numpy("float64").reshape(len(origins), horizon)
    return out


def arima_forecasts(series, origins, horizon, settings):
    """`[N, horizon]` forecasts of the ARIMA baseline fitted once on the
    history before the first origin and conditioned at each origin on
    `series[:o]` with those parameters (`Baseline.forecasts`, the Kalman
    filter extended; statsforecast's `refit=False`): an exact
    maximum-likelihood fit of AR(9) takes about 4 s of CPU, 30 of them two
    minutes. `settings` holds `order`, `seasonal_order`, `trend`, `period`,
    `harmonics` (`models.classical.arima.Baseline`)."""
    from models.classical.arima import Baseline

    series = np.asarray(series, "float64")
    origins = check_origins(origins)
    model = Baseline(series[:origins[0]], settings["order"], settings["seasonal_order"],
                     settings["trend"], period=settings["period"],
                     harmonics=settings["harmonics"])
    return model.forecasts(series[:origins[-1]], origins, horizon)


def ar_max_lag(season, length):
    """The largest AR order searched: 12 or a season and one, at most a
    third of the history."""
    return max(1, min(max(12, season + 1), length // 3))


def ar_forecasts(series, origins, horizon, season=1, trend="c"):
    """`[N, horizon]` forecasts of AR(p), p by AIC, refitted at each origin
    on `series[:o]`; returns `(forecasts, chosen orders [N])`."""
    from statsmodels.tsa.ar_model import ar_select_order

    series = np.asarray(series, "float64")
    rows, orders = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for o in check_origins(origins):
            selected = ar_select_order(series[:o], ar_max_lag(season, o), ic="aic", trend=trend)
            results = selected.model.fit()
            rows.append(np.asarray(results.forecast(horizon), "float64"))
            orders.append(len(selected.ar_lags or []))
    return np.asarray(rows), np.asarray(orders)


def peer_forecasts(names, series, origins, horizon, season, settings, trend="c"):
    """`({label: [N, horizon]}, info)`: every peer of `names` (keys of
    `LABELS`) from every origin, each fitted on the history before it;
    `settings` are the ARIMA baseline's (its Fourier terms also feed
    AutoARIMA at a long season), `trend` that of the AR peer; `info` holds
    the AR orders chosen."""
    from models.classical.arima import fourier

    unknown = [name for name in names if name not in LABELS]
    if unknown:
        raise ValueError(f"unknown peer. Received: peers={','.join(unknown)}")
    stop = int(origins[-1]) + horizon
    exog = fourier(np.arange(stop), settings["period"], settings["harmonics"])
    forecasts = statsforecast_forecasts([n for n in names if n not in ("arima", "ar")],
                                        series, origins, horizon, season, exog)
    info = {}
    if "arima" in names:
        forecasts["arima"] = arima_forecasts(series, origins, horizon, settings)
    if "ar" in names:
        forecasts["ar"], orders = ar_forecasts(series, origins, horizon, season, trend)
        info["ar_orders"] = sorted({int(p) for p in orders})
    return {LABELS[name]: forecasts[name] for name in names}, info
