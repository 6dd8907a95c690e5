"""A training run's memory, estimated from its configuration before any
model is built, and the refusal of a run that would not fit the machine
(issue 33 item 2; docs/architecture.md section 2).

The estimate of a recurrent network (`recurrent`) counts

- its parameters P: per layer and direction `GATES * u * (d + u + 1)` for
  input width d and u units (GATES = 4, the LSTM's, the most of the
  project's cells), the embedding `V * e` and the read-out `u * V`; training
  holds each four times in float32 (the weight, its gradient and Adam's two
  moments), `16 P` bytes;
- the activations of one training batch that backpropagation through time
  keeps: per step, layer and direction `(GATES + 2) * u` float32 values
  (the gates, the cell and the output), and twice the `V` logits a step.

`check` refuses, in one line naming the flag, a run whose estimate is above
`FRACTION` of the machine's physical memory (`os.sysconf`); `--allow-large`
lifts the refusal on a machine the estimate underrates.
"""

import dataclasses
import os

from pipeline.core.errors import UsageError

#: Refuse a run estimated to need more than this share of physical memory.
FRACTION = 0.5
GATES = 4
BYTES = 4  # float32


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Parameters, and the bytes of one training batch's activations."""

    parameters: int
    activations: int

    @property
    def total(self):
        """Bytes: 16 a parameter (weights, gradients, Adam's moments) + activations."""
        return 4 * BYTES * self.parameters + self.activations


def recurrent(config, *, steps, vocabulary, outputs=None, directions=1, copies=1):
    """The `Estimate` of a stack of recurrent layers over `steps` steps of
    an embedding of `vocabulary` tokens (`model.embedding_dim` wide; a raw
    input of width `vocabulary` when the task has none) into a read-out of
    `outputs` values a step (default `vocabulary`), with the configuration's
    `model.units`, its layer count (`model.layers`, `num_layers` or
    `encoder_layers`) and `data.batch_size`; `copies` models trained at once."""
    m = config["model"]
    units = m["units"]
    layers = m.get("layers") or m.get("num_layers") or m.get("encoder_layers") or 1
    width = m.get("embedding_dim", vocabulary)
    outputs = vocabulary if outputs is None else outputs
    parameters = vocabulary * width if "embedding_dim" in m else 0
    for layer in range(layers):
        inputs = width if layer == 0 else units * directions
        parameters += directions * GATES * units * (inputs + units + 1)
    parameters += units * directions * outputs + outputs
    per_step = layers * directions * (GATES + 2) * units + 2 * outputs
    activations = config["data"]["batch_size"] * steps * per_step * BYTES
    return Estimate(copies * parameters, copies * activations)


def physical_memory():
    """Bytes of physical memory of the machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def gigabytes(count):
    return f"{count / 1e9:.3g} GB"


def check(task, config, allow_large=False, available=None):
    """Raises a UsageError naming the flag when `task.memory_estimate(config)`
    is above `FRACTION` of `available` bytes (default the machine's physical
    memory), unless `allow_large`. The flag named is `model.units` when the
    parameters dominate, else `data.batch_size`."""
    estimate = task.memory_estimate(config)
    if estimate is None or allow_large:
        return
    available = physical_memory() if available is None else available
    if estimate.total <= FRACTION * available:
        return
    key = ("model.units" if 4 * BYTES * estimate.parameters >= estimate.activations
           else "data.batch_size")
    section, name = key.split(".")
    raise UsageError(
        f"--set {key}={config[section][name]}: training would need about "
        f"{gigabytes(estimate.total)} ({estimate.parameters:.3g} parameters, "
        f"{gigabytes(estimate.activations)} of activations a batch), more than "
        f"{FRACTION:.0%} of this machine's {gigabytes(available)}; use a smaller value, "
        "or --allow-large if the estimate is wrong for this machine")
