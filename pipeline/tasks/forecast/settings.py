"""A forecast run's settings: the configuration's 0, -1 and "" values
resolved to the defaults of its series (`config.SERIES`), and the
`baseline.*` strings parsed, each refused value a UsageError naming its flag."""

from pipeline.core.errors import UsageError
from pipeline.tasks.forecast.config import SERIES


def series_name(prepared):
    """`"sunspots"`, `"co2"` or `"file"`: which `SERIES` defaults apply."""
    source = prepared["source"]
    prefix = "statsmodels_series/"
    return source[len(prefix):] if source.startswith(prefix) else "file"


def settings(config, prepared):
    """Window, horizon, peers' season, model level and linear window, and
    baseline of a run, the series' defaults filled in where the configuration leaves them
    0, -1 or ""."""
    defaults = SERIES.get(series_name(prepared), SERIES["file"])
    d, m, b = config["data"], config["model"], config["baseline"]
    out = {"window": d["window"] or defaults["window"],
           "horizon": d["horizon"] or defaults["horizon"],
           "linear_window": defaults["linear_window"] if m["linear_window"] == -1
           else m["linear_window"],
           "level": m["level"] or defaults["level"],
           "season": d["season"] or defaults["season"]}
    for key in ("window", "horizon"):
        if out[key] < 1:
            raise UsageError(f"--set data.{key}={out[key]}: must be a positive integer")
    check_linear_window(out["linear_window"], out["window"])
    return {**out, **baseline_settings({key: b[key] or defaults[key] for key in b})}


def parse_order(text, size, flag):
    """`"9,0,0"` -> `(9, 0, 0)`: `size` non-negative integers.

    Raises:
        UsageError: naming `flag`, when `text` is not that.
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        order = tuple(int(p) for p in parts)
    except ValueError:
        order = ()
    if len(order) != size or min(order) < 0:
        raise UsageError(f"--set {flag}={text}: expected {size} comma-separated integers >= 0")
    return order


def baseline_settings(value):
    """The baseline's order, seasonal order, trend, period and harmonics
    from their `baseline.*` strings."""
    out = {"order": parse_order(value["order"], 3, "baseline.order"),
           "seasonal_order": parse_order(value["seasonal_order"], 4, "baseline.seasonal_order")}
    if value["trend"] not in ("n", "c", "t", "ct"):
        raise UsageError(f"--set baseline.trend={value['trend']}: use n, c, t or ct")
    out["trend"] = value["trend"]
    for key, kind, name in (("period", float, "a number"), ("harmonics", int, "an integer")):
        try:
            out[key] = kind(value[key])
        except ValueError:
            raise UsageError(f"--set baseline.{key}={value[key]}: expected {name}") from None
    return out


def check_config(config):
    """What `settings` checks without the data (`cli.resolve` runs it
    before any work): the `baseline.*` values given, and the AR term against
    a `data.window` given. The rest waits for the series' defaults."""
    b, d, m = config["baseline"], config["data"], config["model"]
    baseline_settings({key: b[key] or SERIES["file"][key] for key in b})
    if d["window"] and m["linear_window"] != -1:
        check_linear_window(m["linear_window"], d["window"])


def check_linear_window(linear_window, window):
    if not 0 <= linear_window <= window:
        raise UsageError(f"--set model.linear_window={linear_window}: from 0 to "
                         f"data.window={window} (-1: the series' default)")


def resolved(config, prepared):
    """`config` with the series' defaults it resolves to written in (what
    `config.json` records)."""
    s = settings(config, prepared)
    return {**config,
            "data": {**config["data"], "window": s["window"], "horizon": s["horizon"]},
            "model": {**config["model"], "linear_window": s["linear_window"],
                      "level": s["level"]}}
