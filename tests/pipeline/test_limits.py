"""`pipeline.core.schema`: a configuration value out of its range or choices
stops a stage with one line naming the flag, exit 2, before anything is
written; every preset and comparison variant is inside the limits."""

import json

import pytest

from pipeline import run as run_stage
from pipeline.core import config as config_lib
from pipeline.core import registry, schema
from pipeline.core.errors import UsageError, run_cli

#: a value each kind of limit refuses, for every task that has the key
REFUSED = {
    "g2p": ["model.units=0", "model.dropout=1.5", "data.batch_size=0", "train.epochs=0",
            "train.learning_rate=-1", "train.patience=-1", "model.cell=nope",
            "decode.beam_width=0", "decode.max_length=0", "model.embedding_dim=0",
            "model.encoder_layers=0", "model.score=nope", "model.window=local",
            "model.window_size=-1", "train.scheduled_sampling=1.5", "train.schedule=linear",
            "rerank.weight=-0.5", "rerank.joint_order=9", "g2p.direction=up",
            "train.label_smoothing=1"],
    "lm": ["data.sequence_length=0", "evaluate.window=0", "sample.top_k=-1",
           "sample.temperature=-1", "sample.length=-1", "model.layers=0",
           "model.recurrent_dropout=1", "ngram.method=good_turing", "conditional.mode=none",
           "conditional.units=0", "evaluate.dynamic_decay=2", "train.reduce_lr_patience=-1",
           "sample.length=2001"],
    "classify": ["data.max_length=0", "model.pooling=max", "model.num_layers=0",
                 "baseline.char_order=0", "baseline.alpha=0", "data.max_train=-1"],
    "forecast": ["model.members=0", "model.level=relative", "model.linear_init=zeros",
                 "model.linear_window=-2", "data.horizon=-1", "train.clipnorm=-1"],
    "synthetic": ["synthetic.length=1", "synthetic.test_length=1", "synthetic.problem=sort",
                  "model.cell=nope", "train.flow_weight=-1", "diagnostics.examples=-1",
                  "model.heads=0"],
}

#: boundary values that mean something (0 = off, all, greedy or default)
ACCEPTED = {
    "g2p": ["train.clipnorm=0", "train.patience=0", "model.window_size=0",
            "train.scheduled_sampling=1", "rerank.joint_order=0", "model.window=local-p"],
    "lm": ["sample.temperature=0", "sample.top_k=0", "sample.length=0",
           "evaluate.dynamic_decay=1"],
    "classify": ["data.max_train=0", "model.attention_units=0"],
    "forecast": ["model.linear_window=-1", "data.window=0", "model.level=last"],
    "synthetic": ["diagnostics.examples=0", "synthetic.test_length=0", "model.cell=transformer"],
}


@pytest.mark.parametrize("task,flag", [(task, flag) for task, flags in REFUSED.items()
                                       for flag in flags])
def test_a_value_out_of_its_limits_stops_the_run_naming_the_flag(task, flag, tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = ["--task", task, "--preset", "smoke", "--run-dir", str(run_dir),
            "--export-dir", str(tmp_path / "saved"), "--set", flag]
    assert run_cli(run_stage.main, args) == 2
    err = capsys.readouterr().err.strip()
    key = flag.split("=")[0]
    assert len(err.splitlines()) == 1 and err.startswith(f"error: --set {key}=")
    assert "expected" in err
    assert not run_dir.exists() and not (tmp_path / "saved").exists()


@pytest.mark.parametrize("task,flag", [(task, flag) for task, flags in ACCEPTED.items()
                                       for flag in flags])
def test_boundary_values_with_a_meaning_are_accepted(task, flag):
    section, key = flag.split("=")[0].split(".")
    default = registry.get(task).schema[f"{section}.{key}"].default
    value = config_lib.parse_value(flag.split("=")[1], default, flag)
    assert config_lib.resolve(task, "smoke", sets=[flag])[section][key] == value


@pytest.mark.parametrize("task", registry.names())
def test_every_preset_and_variant_is_inside_the_limits(task):
    task = registry.get(task)
    for preset in config_lib.PRESETS:
        config = config_lib.resolve(task, preset)
        for variant in task.variants.values():
            task.schema.check(config_lib.merge(config, variant))


def test_every_common_key_is_a_key_of_some_task():
    every_task = {option.key for name in registry.names() for option in registry.get(name).schema}
    assert set(schema.COMMON) <= every_task  # no shared declaration of a key no task has


def test_a_key_is_declared_once():
    option = schema.common("train.epochs", 3)
    with pytest.raises(ValueError, match="declared once"):
        schema.Schema(option, option)


@pytest.mark.parametrize("overrides,message", [
    ({"model": {"units": "many"}}, "model.units: expected an integer, got \"many\""),
    ({"model": {"units": True}}, "model.units: expected an integer, got true"),
    ({"model": {"units": 2.5}}, "model.units: expected an integer, got 2.5"),
    ({"model": {"cell": 5}}, "model.cell: expected a string, got 5"),
    ({"model": 3}, "model must be a section"),
    ({"modle": {}}, "unknown key 'modle'"),
    ([1, 2], "expected a JSON object of sections"),
])
def test_a_config_file_value_of_another_type_is_a_usage_error(overrides, message, tmp_path):
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps(overrides), encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        config_lib.resolve("classify", "smoke", config_file=str(path))
    assert str(raised.value).startswith(f"--config {path}") and message in str(raised.value)


def test_a_config_file_integer_stands_for_a_number(tmp_path):
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps({"train": {"learning_rate": 1}}), encoding="utf-8")
    value = config_lib.resolve("classify", "smoke", config_file=str(path))["train"]
    assert value["learning_rate"] == 1.0 and isinstance(value["learning_rate"], float)


def test_a_value_of_the_wrong_type_names_the_type():
    with pytest.raises(UsageError, match="expected an integer"):
        config_lib.resolve("forecast", "smoke", sets=["data.window=abc"])
    with pytest.raises(UsageError, match="expected a number"):
        config_lib.resolve("forecast", "smoke", sets=["train.learning_rate=fast"])


@pytest.mark.parametrize("sets,message", [
    (["baseline.order=1,2"], "--set baseline.order=1,2: expected 3 comma-separated integers >= 0"),
    (["baseline.trend=x"], "--set baseline.trend=x: use n, c, t or ct"),
    (["baseline.harmonics=two"], "--set baseline.harmonics=two: expected an integer"),
    (["data.window=8", "model.linear_window=9"],
     "--set model.linear_window=9: from 0 to data.window=8 (-1: the series' default)"),
    (["model.level=diff"], '--set model.level=diff: expected one of "", absolute, last'),
])
def test_forecast_refuses_its_two_key_and_format_values_before_any_work(sets, message, tmp_path,
                                                                        capsys):
    """Before, these stopped only after prepare had written `data/`."""
    run_dir = tmp_path / "run"
    args = ["--task", "forecast", "--preset", "smoke", "--run-dir", str(run_dir)]
    assert run_cli(run_stage.main, [*args, *(f for s in sets for f in ("--set", s))]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not run_dir.exists()


@pytest.mark.parametrize("task", registry.names())
def test_every_task_takes_train_strategy_as_the_strategy_flag_sets_it(task):
    """forecast lacked the key, so `--set train.strategy=mirrored` was refused
    there although `--strategy mirrored` sets it."""
    config = config_lib.resolve(task, "smoke", sets=["train.strategy=mirrored"])
    assert config["train"]["strategy"] == "mirrored"


def test_an_unknown_set_key_names_it_and_the_nearest_keys_in_one_short_line():
    """Issue 33 item 6: not the list of every key."""
    with pytest.raises(UsageError) as caught:
        config_lib.resolve("g2p", "smoke", sets=["model.unitz=3"])
    message = str(caught.value)
    assert message.startswith("--set model.unitz=3: unknown key model.unitz; did you mean "
                              "model.units")
    assert len(message) < 200 and "\n" not in message
