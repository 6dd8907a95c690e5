"""Vanishing gradients made visible: ||dL/dh_t|| at every step and the
largest singular value of each recurrent kernel.

For a tanh RNN, Beigy, "Deep learning: Recurrent neural networks", slides 34-35 bound the error
signal that reaches step t from the loss at the end:

    ||dL/dh(t)|| <= ||dL/dh(T)|| prod_(k=t)^(T-1) sigma_max(D_(k+1)) sigma_max(W)

with `D` the diagonal of tanh' (<= 1), so a largest singular value of the
recurrent kernel below 1 makes it vanish geometrically and one above 1 lets
it explode ("RNN & LSTM Neural Networks", slides 11-12). The LSTM's cell state is the way around
(Beigy, "Deep learning: Recurrent neural networks", slides 36-45). `gradient_norms` measures
||dL/dh_t|| exactly, for every t, with `models.gradient_flow.state_gradients`; `singular_values`
reads the kernels. A run of the `synthetic` task writes both into
`<run-dir>/diagnostics.json` and plots them in `plots/gradient_norms.png`;
`compare` (the command `python -m pipeline.diagnostics`) overlays several
runs in one figure.
"""

import json
import os

import numpy as np

from pipeline.core import atomic
from pipeline.core.errors import UsageError

#: Names of the `units`-wide blocks of each cell's recurrent kernel, in order.
GATE_NAMES = {
    "LSTMCell": ("i", "f", "c", "o"),
    "PeepholeLSTMCell": ("i", "f", "c", "o"),
    "CIFGLSTMCell": ("f", "c", "o"),
    "GRUCell": ("z", "r", "h"),
    "MinimalGRUCell": ("f", "h"),
}
#: Cells whose second state is a memory cell `c` (the others: `h` only, or
#: `h` and the clockwork's step counter, which carries no gradient).
MEMORY_CELLS = ("LSTMCell", "PeepholeLSTMCell", "CIFGLSTMCell")


def state_names(cell):
    """`["h"]`, or `["h", "c"]` for the LSTMs."""
    return ["h", "c"] if type(cell).__name__ in MEMORY_CELLS else ["h"]


def gradient_norms(model, inputs, example_losses):
    """||dL_i/dh_t||, averaged over the examples i, for every step t.

    Args:
        model: a `models.synthetic.RecurrentNetwork` (anything with
            `rnn.cell`, `features(inputs)` and `head(outputs)`).
        inputs: a batch of the model's inputs, `[B, T]` or `[B, T, d]`.
        example_losses: maps the model's predictions to the `[B]` loss of
            each example. Their sum is differentiated, so each example's
            gradient is its own, whatever the batch size.

    Returns:
        `{"h": [T floats], "c": [T floats] (LSTMs)}`, the mean over the
        examples of the Euclidean norm of the gradient w.r.t. each state.
    """
    from keras import ops

    from models import gradient_flow

    cell = model.rnn.cell

    def loss_fn(outputs):  # [B, T, units] -> scalar
        return ops.sum(example_losses(model.head(outputs)))

    _, _, grads = gradient_flow.state_gradients(cell, model.features(inputs), loss_fn)
    return {name: np.linalg.norm(np.asarray(g, "float64"), axis=-1).mean(axis=0).tolist()
            for name, g in zip(state_names(cell), grads, strict=False)}


def singular_values(cell):
    """`{block: sigma_max}`: the largest singular value of each `units x
    units` block of the recurrent kernel (one per gate; `"W"` for the cells
    without gates). The clockwork cell's kernel is read through its
    connectivity mask, as its step uses it."""
    kernel = np.asarray(cell.recurrent_kernel, "float64")  # [u_in, gates * u]
    if hasattr(cell, "connectivity"):
        kernel = kernel * np.asarray(cell.connectivity, "float64")
    names = GATE_NAMES.get(type(cell).__name__, ("W",))
    blocks = np.split(kernel, len(names), axis=1)
    return {name: float(np.linalg.norm(block, ord=2))
            for name, block in zip(names, blocks, strict=True)}


def plot_gradient_norms(curves, path, title):
    """A PNG of `{label: [T norms]}` on a log scale against the step t.

    Labels ending in " c" (the LSTM memory cell) are dashed, labels with
    "initial" dotted; zeros (no path from that state to the loss, e.g. the
    last `c`) are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    colours = {}  # one colour per model, whatever the state and the stage
    for label, norms in curves.items():
        norms = np.asarray(norms, "float64")
        norms = np.where(norms > 0, norms, np.nan)
        memory, initial = label.endswith(" c"), "initial" in label
        model = label.removesuffix(" c").replace(" initial", "")
        colour = colours.setdefault(model, f"C{len(colours) % 10}")
        style = {(False, False): "-", (True, False): "--", (False, True): ":",
                 (True, True): "-."}[memory, initial]
        ax.semilogy(np.arange(1, len(norms) + 1), norms, style, color=colour, label=label)
    ax.set_xlabel("step t")
    ax.set_ylabel("||dL/dh_t|| (mean over examples)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return atomic.save_figure(fig, path)


def read_run(run_dir):
    """`(diagnostics dict, config dict)` of a run directory."""
    paths = [os.path.join(run_dir, name) for name in ("diagnostics.json", "config.json")]
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"{path}: missing; evaluate a synthetic run with a recurrent "
                             "cell first")
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            try:
                out.append(json.load(handle))
            except json.JSONDecodeError as error:
                raise UsageError(f"{path}:{error.lineno}: {error.msg}") from None
    return tuple(out)


def compare(run_dirs, path, initial=False):
    """Overlays the trained ||dL/dh_t|| curves of several runs in one PNG
    (and those at initialisation with `initial`); returns the path and the
    `{label: sigma_max}` table printed by `main`."""
    curves, table = {}, {}
    titles = set()
    stages = ("trained", "initial") if initial else ("trained",)
    for run_dir in run_dirs:
        diagnostics, config = read_run(run_dir)
        label = f"{config['model']['cell']} ({os.path.basename(os.path.normpath(run_dir))})"
        for stage in stages:
            for state, norms in diagnostics[stage]["gradient_norms"].items():
                name = label if stage == "trained" else f"{label} initial"
                curves[name if state == "h" else f"{name} {state}"] = norms
        table[label] = diagnostics["trained"]["singular_values"]
        titles.add(f"{config['synthetic']['problem']}, T={config['synthetic']['length']}")
    plot_gradient_norms(curves, path, "; ".join(sorted(titles)) + ": ||dL/dh_t||")
    return path, table
