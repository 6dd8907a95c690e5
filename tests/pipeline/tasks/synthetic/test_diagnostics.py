"""`pipeline.diagnostics`: the gradient norms through time against the
closed form of a linear RNN (Beigy, "Deep learning: Recurrent neural networks", slides 33-35), the
singular values of the recurrent kernels, the plots and the comparison command."""

import json
import os

import numpy as np
import pytest
from keras import ops

from models.synthetic import RecurrentNetwork
from pipeline import diagnostics as diagnostics_command
from pipeline.core.errors import run_cli
from pipeline.tasks.synthetic import diagnostics


def test_gradient_norms_decay_as_the_largest_singular_value_to_the_power_t():
    # h_t = a h_(t-1) + x_t W: dL/dh_t = a^(T-t) dL/dh_T exactly (slide 33, Lambda^t).
    a, time = 0.5, 9
    model = RecurrentNetwork("elman", 3, output_size=1, cell_options={"activation": "linear"})
    x = np.random.default_rng(0).random((4, time, 2)).astype("float32")
    model(x)
    model.rnn.cell.recurrent_kernel.assign(a * np.eye(3, dtype="float32"))
    y = np.ones((4, 1), "float32")
    norms = diagnostics.gradient_norms(
        model, x, lambda pred: ops.sum(ops.square(pred - y), axis=-1))
    assert list(norms) == ["h"]
    norms = np.asarray(norms["h"])
    np.testing.assert_allclose(norms[:-1] / norms[1:], np.full(time - 1, a), rtol=1e-4)
    assert diagnostics.singular_values(model.rnn.cell) == {"W": pytest.approx(a)}


def test_lstm_reports_h_and_c_and_one_singular_value_per_gate():
    model = RecurrentNetwork("lstm", 3, output_size=2, input_vocabulary=2, many_to_many=True)
    x = np.random.default_rng(1).integers(0, 2, (2, 6)).astype("int32")
    model(x)
    kernel = model.rnn.cell.recurrent_kernel.numpy()
    values = diagnostics.singular_values(model.rnn.cell)
    assert list(values) == ["i", "f", "c", "o"]
    for k, name in enumerate(values):
        block = kernel[:, 3 * k: 3 * (k + 1)]
        assert values[name] == pytest.approx(np.linalg.svd(block, compute_uv=False)[0])

    def losses(logits):
        return ops.mean(ops.sum(ops.square(logits), axis=-1), axis=-1)

    norms = diagnostics.gradient_norms(model, x, losses)
    assert list(norms) == ["h", "c"] and all(len(v) == 6 for v in norms.values())
    assert all(v > 0 for v in norms["h"])


def write_run(path, cell, norms):
    os.makedirs(path)
    report = {"trained": {"gradient_norms": {"h": norms}, "singular_values": {"W": 0.9}},
              "initial": {"gradient_norms": {"h": norms}, "singular_values": {"W": 1.0}}}
    config = {"model": {"cell": cell}, "synthetic": {"problem": "adding", "length": len(norms)}}
    for name, value in (("diagnostics.json", report), ("config.json", config)):
        with open(os.path.join(path, name), "w", encoding="utf-8") as handle:
            json.dump(value, handle)


def test_compare_command_overlays_runs(tmp_path, capsys):
    write_run(tmp_path / "elman", "elman", [1e-6, 1e-3, 1.0])
    write_run(tmp_path / "lstm", "lstm", [0.5, 0.7, 1.0])
    out = str(tmp_path / "plots" / "both.png")
    args = [str(tmp_path / "elman"), str(tmp_path / "lstm"), "--out", out, "--initial"]
    assert diagnostics_command.main(args) == 0
    with open(out, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "elman (elman)" in printed and "W=0.900" in printed


def test_compare_command_rejects_a_run_without_diagnostics(tmp_path, capsys):
    assert run_cli(diagnostics_command.main, [str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    assert "diagnostics.json: missing" in capsys.readouterr().err


def test_compare_command_wants_a_png(tmp_path, capsys):
    write_run(tmp_path / "elman", "elman", [1e-6, 1e-3, 1.0])
    with pytest.raises(SystemExit) as stopped:
        diagnostics_command.main([str(tmp_path / "elman"), "--out", str(tmp_path / "plot")])
    assert stopped.value.code == 2 and "expected a file name ending in .png" in (
        capsys.readouterr().err)
    assert not (tmp_path / "plot").exists()
