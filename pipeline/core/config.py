"""Run configuration: task defaults, presets, `--config FILE.json`, `--set`.

A configuration is a nested dict. It is resolved in this order, later wins:
the defaults of the task's schema (`pipeline.core.schema`), its preset
(`smoke`, `quick`, `full`), a JSON file (`--config`), then `--set
section.key=value` flags, each value parsed with the type of the default it
replaces; then every value is checked against its key's limit, and the
task's `check_config` checks values that must fit together. The resolved
configuration is written to `<run-dir>/config.json`, so a run records
exactly what it did.
"""

import copy
import difflib
import json

from pipeline.core.errors import UsageError

PRESETS = ("smoke", "quick", "full")

#: how a `--set` error names the type it expected
KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def merge(base, override, where="config", path=""):
    """`base` updated by `override`, recursively; unknown keys and values of
    another type than the default they replace are errors naming `where`
    (the preset, variant or file) and the key."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        name = f"{path}{key}"
        if key not in out:
            raise UsageError(f"{where}: unknown key {name!r}{nearest(name, out, path)}")
        if isinstance(out[key], dict):
            if not isinstance(value, dict):
                raise UsageError(f"{where}: {name} must be a section (a JSON object)")
            out[key] = merge(out[key], value, where, f"{name}.")
        else:
            out[key] = checked_type(value, out[key], f"{where}: {name}")
    return out


def checked_type(value, default, where):
    """`value` (from a preset or a JSON file) if it has the type of the
    `default` it replaces (an integer may stand for a number), else a
    UsageError naming `where`."""
    kind = type(default)
    if isinstance(value, bool) and kind is not bool:  # True is an int to Python
        fits = False
    elif kind is float:
        fits = isinstance(value, (int, float))
    else:
        fits = isinstance(value, kind)
    if not fits:
        raise UsageError(f"{where}: expected {KIND_NAMES.get(kind, kind.__name__)}, "
                         f"got {json.dumps(value)}")
    return float(value) if kind is float else value


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


def nearest(name, known, prefix=""):
    """`"; did you mean a, b?"` naming the keys of `known` (names, with
    `prefix`) closest to `name`, or "" when none is close."""
    close = difflib.get_close_matches(name, [f"{prefix}{key}" for key in known], n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def apply_sets(config, pairs):
    """Applies `["section.key=value", ...]`."""
    config = copy.deepcopy(config)
    for pair in pairs:
        path, sep, text = pair.partition("=")
        keys = path.split(".")
        if not sep or len(keys) != 2:
            raise UsageError(f"--set {pair}: expected SECTION.KEY=VALUE, e.g. train.epochs=3")
        if keys[0] not in config or keys[1] not in config[keys[0]]:
            known = [f"{s}.{k}" for s in config if isinstance(config[s], dict) for k in config[s]]
            raise UsageError(f"--set {pair}: unknown key {path}{nearest(path, known)} "
                             "(every key: docs/configuration.md)")
        section, key = keys
        config[section][key] = parse_value(text, config[section][key], pair)
    return config


def resolve(task, preset="quick", config_file=None, sets=()):
    """The configuration of a run of `task` (a name or a `Task`)."""
    from pipeline.core import registry

    if preset not in PRESETS:
        raise UsageError(f"--preset {preset}: choose from {', '.join(PRESETS)}")
    task = registry.get(task) if isinstance(task, str) else task
    config = merge(task.schema.defaults(), task.presets.get(preset, {}), f"preset {preset}")
    if config_file:
        try:
            with open(config_file, encoding="utf-8") as handle:
                loaded = json.load(handle)
        except OSError as error:
            raise UsageError(f"--config {config_file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise UsageError(f"--config {config_file}:{error.lineno}: {error.msg}") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"--config {config_file}: expected a JSON object of sections, "
                             'e.g. {"train": {"epochs": 3}}')
        loaded.pop("task", None)
        loaded.pop("preset", None)
        config = merge(config, loaded, f"--config {config_file}")
    config = apply_sets(config, sets)
    task.schema.check(config)
    resolved = {"task": task.name, "preset": preset, **config}
    task.check_config(resolved)
    return resolved
