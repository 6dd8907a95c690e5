"""Run configuration: task defaults, presets, `--config FILE.json`, `--set`.

A configuration is a nested dict. It is resolved in this order, later wins:
the task's defaults (`DEFAULTS` of `pipeline.tasks.<task>`), its preset
(`smoke`, `quick`, `full`), a JSON file (`--config`), then `--set
section.key=value` flags, each value parsed with the type of the default it
replaces; then every value is checked against its limits
(`pipeline.limits`). The resolved configuration is written
to `<run-dir>/config.json`, so a run records exactly what it did.
"""

import copy
import json

from pipeline import limits
from pipeline.errors import UsageError

PRESETS = ("smoke", "quick", "full")

#: how a `--set` error names the type it expected
KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def merge(base, override, where="config"):
    """`base` updated by `override`, recursively; unknown keys are errors."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in out:
            raise UsageError(f"{where}: unknown key {key!r}; known: {', '.join(out)}")
        if isinstance(out[key], dict):
            if not isinstance(value, dict):
                raise UsageError(f"{where}: {key} must be a section (a JSON object)")
            out[key] = merge(out[key], value, f"{where}.{key}")
        else:
            out[key] = value
    return out


def parse_value(text, default, flag):
    """`text` parsed as the type of `default`."""
    kind = type(default)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        raise UsageError(f"--set {flag}: expected {KIND_NAMES.get(kind, kind.__name__)}") from None


def apply_sets(config, pairs):
    """Applies `["section.key=value", ...]`."""
    config = copy.deepcopy(config)
    for pair in pairs:
        path, sep, text = pair.partition("=")
        keys = path.split(".")
        if not sep or len(keys) != 2 or keys[0] not in config or keys[1] not in config[keys[0]]:
            known = ", ".join(f"{s}.{k}" for s in config for k in config[s])
            raise UsageError(f"--set {pair}: expected SECTION.KEY=VALUE, one of: {known}")
        section, key = keys
        config[section][key] = parse_value(text, config[section][key], pair)
    return config


def resolve(task, preset="quick", config_file=None, sets=()):
    """The configuration of a run of `task`."""
    from pipeline import tasks

    if preset not in PRESETS:
        raise UsageError(f"--preset {preset}: choose from {', '.join(PRESETS)}")
    module = tasks.load(task)
    config = merge(module.DEFAULTS, module.PRESETS[preset], f"preset {preset}")
    if config_file:
        try:
            with open(config_file, encoding="utf-8") as handle:
                loaded = json.load(handle)
        except OSError as error:
            raise UsageError(f"--config {config_file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise UsageError(f"--config {config_file}:{error.lineno}: {error.msg}") from None
        loaded.pop("task", None)
        loaded.pop("preset", None)
        config = merge(config, loaded, config_file)
    config = apply_sets(config, sets)
    limits.check(config, limits.limits_of(module))
    return {"task": task, "preset": preset, **config}
