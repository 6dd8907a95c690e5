"""The synthetic task's data: the long-range-dependency benchmarks.

Three generators (adding problem, copy task, per-step parity) and a TFDS
builder with one config per task and sequence length.
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds


def adding_problem(num_examples, length, seed=0):
    """The adding problem in the form of Le, Jaitly and Hinton (2015).

    Each step carries two features: a value drawn from U[0, 1] and a marker
    that is 1 at exactly two steps, one in each half of the sequence. The
    target is the sum of the two marked values. A model that ignores the
    inputs can do no better than predicting the mean, 1, whose mean squared
    error is Var(X1 + X2) = 2/12 = 0.167: the memoryless baseline.

    Returns:
        `(inputs [N, length, 2] float32, targets [N, 1] float32)`.

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", 1997, section
        5.4 (the original task). Le, Jaitly and Hinton, "A simple way to
        initialize recurrent networks of rectified linear units", 2015,
        section 4.1 (this form).
    """
    if length < 2:
        raise ValueError(f"`length` must be at least 2. Received: length={length}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(size=(num_examples, length))
    half = length // 2
    first = rng.integers(0, half, size=num_examples)
    second = rng.integers(half, length, size=num_examples)
    markers = np.zeros((num_examples, length))
    rows = np.arange(num_examples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype("float32")
    targets = (values[rows, first] + values[rows, second])[:, None].astype("float32")
    return inputs, targets


COPY_SYMBOLS, COPY_REMEMBER = 8, 10


def copy_task(num_examples, length, symbols=COPY_SYMBOLS, remember=COPY_REMEMBER, seed=0):
    """The copy task in the form of Arjovsky, Shah and Bengio (2016).

    The input is `remember` symbols drawn from 1..`symbols`, then
    `length` - 1 blanks (0), a delimiter (`symbols` + 1), and `remember`
    blanks; the target is blanks until the delimiter has been read, then the
    `remember` symbols. A memoryless model can only output blanks, then guess
    a uniform symbol: cross-entropy `remember * log(symbols) / (length +
    2 * remember)` nats per step.

    Returns:
        `(inputs [N, length + 2*remember] int32, targets [N, length +
        2*remember] int32)`.

    References:
        Hochreiter and Schmidhuber 1997, section 5.2; Arjovsky, Shah and
        Bengio, "Unitary evolution recurrent neural networks", ICML 2016,
        section 4.1.
    """
    if length < 1:
        raise ValueError(f"`length` must be positive. Received: length={length}")
    rng = np.random.default_rng(seed)
    total = length + 2 * remember
    data = rng.integers(1, symbols + 1, size=(num_examples, remember))
    inputs = np.zeros((num_examples, total), "int32")
    targets = np.zeros((num_examples, total), "int32")
    inputs[:, :remember] = data
    inputs[:, remember + length - 1] = symbols + 1
    targets[:, -remember:] = data
    return inputs, targets


def parity_task(num_examples, length, seed=0):
    """Per-step parity: bits in, the parity of the bits so far out (synced
    many-to-many tagging; the task of Grosse and Ba, "CSC421/2516 Lecture 13: Recurrent Neural
    Networks", slides 8-13).

    Returns:
        `(inputs [N, length] int32, targets [N, length] int32)`.
    """
    if length < 1:
        raise ValueError(f"`length` must be positive. Received: length={length}")
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(num_examples, length)).astype("int32")
    return bits, (np.cumsum(bits, axis=1) % 2).astype("int32")


GENERATORS = {"adding": adding_problem, "copy": copy_task, "parity": parity_task}
SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}


@dataclasses.dataclass
class SyntheticConfig(tfds.core.BuilderConfig):
    """A task and a sequence length; examples per split."""

    task: str = "adding"
    length: int = 50
    train_size: int = 10000
    eval_size: int = 1000


def synthetic_config(task, length, **kwargs):
    """The config named `<task>_t<length>`, e.g. `adding_t200`."""
    if task not in GENERATORS:
        raise ValueError(f"`task` must be one of {sorted(GENERATORS)}. Received: task={task!r}")
    return SyntheticConfig(name=f"{task}_t{length}", version=tfds.core.Version("1.0.0"),
                           description=f"{task}, sequence length {length}",
                           task=task, length=length, **kwargs)


class Synthetic(tfds.core.GeneratorBasedBuilder):
    """Adding problem, copy task and per-step parity at a chosen length.

    Configs `<task>_t<T>` for T in 10, 50, 100, 200 are predefined; any other
    length is a `synthetic_config(task, length)` passed as `config=`. Each
    split is drawn with its own seed (train 0, validation 1, test 2), so the
    data are the same on every machine. Features: `inputs` and `targets`,
    shaped as the generators above return them.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        synthetic_config(task, length)
        for task in GENERATORS
        for length in (10, 50, 100, 200)
    ]

    def _info(self):
        config = self.builder_config
        steps = config.length + (2 * COPY_REMEMBER if config.task == "copy" else 0)
        if config.task == "adding":
            features = {
                "inputs": tfds.features.Tensor(shape=(steps, 2), dtype=np.float32),
                "targets": tfds.features.Tensor(shape=(1,), dtype=np.float32),
            }
        else:
            features = {
                "inputs": tfds.features.Tensor(shape=(steps,), dtype=np.int32),
                "targets": tfds.features.Tensor(shape=(steps,), dtype=np.int32),
            }
        return self.dataset_info_from_configs(
            description=self.__doc__,
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("inputs", "targets"),
        )

    def _split_generators(self, dl_manager):
        config = self.builder_config
        sizes = {"train": config.train_size, "validation": config.eval_size,
                 "test": config.eval_size}
        return {split: self._generate_examples(size, SPLIT_SEEDS[split])
                for split, size in sizes.items()}

    def _generate_examples(self, size, seed):
        config = self.builder_config
        inputs, targets = GENERATORS[config.task](size, config.length, seed=seed)
        for i in range(size):
            yield i, {"inputs": inputs[i], "targets": targets[i]}
