"""A run that would not fit the machine is refused before anything is built
(issue 33 item 2): one line naming the flag and the estimate, exit 2,
nothing written; `--allow-large` lifts it, and no preset is refused."""

import pytest

from pipeline import train
from pipeline.core import memory, registry
from pipeline.core.config import resolve
from pipeline.core.errors import UsageError, run_cli

TASKS = ("g2p", "lm", "classify", "forecast", "synthetic")


@pytest.mark.parametrize("task", TASKS)
def test_a_billion_units_is_refused_in_one_line_before_any_work(task, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert run_cli(train.main, ["--task", task, "--preset", "smoke", "--run-dir", str(run_dir),
                                "--set", "model.units=1000000000"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: --set model.units=1000000000: training would need about ")
    assert "--allow-large" in line
    assert not run_dir.exists()


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("preset", ["smoke", "quick", "full"])
def test_no_preset_is_refused_on_a_4_gb_machine(task, preset):
    memory.check(registry.get(task), resolve(task, preset), available=4e9)


def test_the_estimate_grows_with_the_batch_and_names_it_when_activations_dominate():
    task = registry.get("lm")
    config = resolve("lm", "smoke", sets=["data.batch_size=10000000"])
    with pytest.raises(UsageError, match=r"^--set data.batch_size=10000000: "):
        memory.check(task, config, available=8e9)
    memory.check(task, config, allow_large=True, available=8e9)


def test_an_lstm_layer_counts_as_keras_counts_it():
    """One LSTM layer's parameters with the embedding and read-out, as
    Keras builds them: the formula of `memory.recurrent`."""
    import keras

    config = {"model": {"units": 8, "layers": 1, "embedding_dim": 5}, "data": {"batch_size": 2}}
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(7, 5),
                              keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.Dense(7)])
    assert memory.recurrent(config, steps=3, vocabulary=7).parameters == model.count_params()
