"""`pipeline.core.training.fit` under tf.distribute strategies (`--strategy`):
MirroredStrategy over the two logical CPUs of `tests/conftest.py` trains as
one device does on the same global batches, and MultiWorkerMirroredStrategy
trains the G2P smoke run in two local processes that stay in sync."""

import json
import os
import socket
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from models.seq2seq import Seq2Seq
from pipeline.core import distribution, training

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def batches(examples, seed):
    """Global batches of 4 examples without padding, so every example holds
    as many target tokens: an even split gives each replica's mean loss the
    same weight as in the global mean."""
    rng = np.random.default_rng(seed)
    source = rng.integers(2, 12, size=(examples, 5))
    target = rng.integers(2, 10, size=(examples, 4))
    features = {"graphemes": source, "decoder_inputs": np.roll(target, 1, axis=1)}
    return tf.data.Dataset.from_tensor_slices((features, target)).batch(4)


def config(strategy):
    return {"task": "g2p", "train": {"epochs": 1, "learning_rate": 1e-2, "clipnorm": 1.0,
                                     "patience": 5, "seed": 0, "jit_compile": False,
                                     "strategy": strategy}}


def train(strategy, initial, run_dir):
    def build():
        model = Seq2Seq(12, 10, embedding_dim=8, units=8, attention="luong", name="g2p")
        model({"graphemes": np.ones((1, 2), "int32"), "decoder_inputs": np.ones((1, 2), "int32")})
        model.set_weights(initial)
        return model

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    # Three training steps of 4 examples; one validation batch of 3, split
    # 2 and 1 across two replicas (Keras weighs the replicas' losses by size).
    history = training.fit(build, batches(12, 0), batches(3, 1), config(strategy), str(run_dir),
                           loss=loss)
    return history, keras.saving.load_model(os.path.join(run_dir, "model.keras"),
                                            compile=False).get_weights()


def test_mirrored_matches_one_device(tmp_path):
    assert distribution.strategy_named("mirrored").num_replicas_in_sync == 2
    keras.utils.set_random_seed(0)
    initial = Seq2Seq(12, 10, embedding_dim=8, units=8, attention="luong")
    initial({"graphemes": np.ones((1, 2), "int32"), "decoder_inputs": np.ones((1, 2), "int32")})
    initial = initial.get_weights()
    single, single_weights = train("default", initial, tmp_path / "single")
    mirrored, mirrored_weights = train("mirrored", initial, tmp_path / "mirrored")
    np.testing.assert_allclose(mirrored["loss"], single["loss"], rtol=1e-4)
    np.testing.assert_allclose(mirrored["val_loss"], single["val_loss"], rtol=1e-4)
    assert max(np.abs(w - i).max() for w, i in zip(single_weights, initial, strict=True)) > 1e-3
    for got, want in zip(mirrored_weights, single_weights, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def weights(path):
    with h5py.File(path, "r") as handle:
        arrays = []
        handle.visititems(lambda name, obj: arrays.append((name, obj[()]))
                          if isinstance(obj, h5py.Dataset) else None)
    return dict(arrays)


def test_multiworker_smoke_training(lexicon, tmp_path):
    """`python -m pipeline.train --strategy multiworker` in two processes on
    loopback (TF_CONFIG): both finish, worker 0 writes the run, worker 1
    writes under `workers/`, and both end with the same weights."""
    from pipeline.core import registry, rundir
    from pipeline.core.config import resolve

    run_dir = tmp_path / "run"
    # once, not by both workers
    rundir.prepare(registry.get("g2p"), str(run_dir), resolve("g2p", "quick"), data=lexicon)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "pipeline.train", "--task", "g2p", "--preset", "smoke",
             "--data", lexicon, "--run-dir", str(run_dir), "--strategy", "multiworker"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
        assert "trained 1 epochs" in output
    chief = weights(run_dir / "checkpoints" / "best.weights.h5")
    other = weights(run_dir / "workers" / "worker-1" / "checkpoints" / "best.weights.h5")
    assert chief.keys() == other.keys() and len(chief) > 10
    for name, value in chief.items():
        np.testing.assert_array_equal(value, other[name], err_msg=name)
    with open(run_dir / "config.json", encoding="utf-8") as handle:
        assert json.load(handle)["train"]["strategy"] == "multiworker"
    assert (run_dir / "model.keras").exists()


@pytest.mark.parametrize("name", ["default", "mirrored"])
def test_writer_dir_is_the_run_dir_on_one_machine(name, tmp_path):
    strategy = distribution.strategy_named(name)
    assert distribution.writer_dir(strategy, str(tmp_path)) == str(tmp_path)


def test_tpu_without_a_tpu_is_a_usage_error(monkeypatch):
    """Before: TPUClusterResolver's ValueError as a traceback."""
    from pipeline.core.errors import UsageError

    monkeypatch.delenv("TPU_NAME", raising=False)
    with pytest.raises(UsageError, match="^--strategy tpu: no TPU found"):
        distribution.strategy_named("tpu")
