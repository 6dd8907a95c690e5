"""Generators of the long-range-dependency benchmarks (DESIGN section 3)."""

import numpy as np


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
