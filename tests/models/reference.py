"""NumPy transcriptions of the cell equations, one function a step.

Each function takes the weights in the order of `cell.get_weights()`
(docs/architecture.md section 4), the input `x [batch, d]` and the states, and returns
`(output, states)`. They are written from the papers, not from the cells.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def elman(weights, x, states, leak=1.0, phi=np.tanh):
    """Elman (1990); leaky integration as in Jaeger et al. (2007)."""
    W, U, b = weights
    (h,) = states
    h_new = phi(x @ W + h @ U + b)
    h_new = (1 - leak) * h + leak * h_new
    return h_new, [h_new]


def jordan(weights, x, states):
    """Jordan (1986): h = tanh(x W + y_prev U + b), y = tanh(h V + c)."""
    W, U, b, V, c = weights
    (y,) = states
    h = np.tanh(x @ W + y @ U + b)
    y_new = np.tanh(h @ V + c)
    return y_new, [y_new]


def lstm(weights, x, states):
    """Hochreiter and Schmidhuber (1997) with forget gate; gates i, f, c, o."""
    W, U, b = weights
    h, c = states
    i, f, g, o = np.split(x @ W + h @ U + b, 4, axis=-1)
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h_new = sigmoid(o) * np.tanh(c_new)
    return h_new, [h_new, c_new]


def peephole_lstm(weights, x, states):
    """Gers and Schmidhuber (2000): i, f peek at c(t-1), o at c(t)."""
    W, U, b, p_i, p_f, p_o = weights
    h, c = states
    zi, zf, zg, zo = np.split(x @ W + h @ U + b, 4, axis=-1)
    i = sigmoid(zi + p_i * c)
    f = sigmoid(zf + p_f * c)
    c_new = f * c + i * np.tanh(zg)
    o = sigmoid(zo + p_o * c_new)
    h_new = o * np.tanh(c_new)
    return h_new, [h_new, c_new]


def cifg_lstm(weights, x, states):
    """Coupled input-forget gates (Greff et al. 2017): i = 1 - f; gates f, c, o."""
    W, U, b = weights
    h, c = states
    zf, zg, zo = np.split(x @ W + h @ U + b, 3, axis=-1)
    f = sigmoid(zf)
    c_new = f * c + (1 - f) * np.tanh(zg)
    h_new = sigmoid(zo) * np.tanh(c_new)
    return h_new, [h_new, c_new]


def minimal_gru(weights, x, states):
    """Zhou et al. (2016) eq. (8): one gate f; gates f, h."""
    W, U, b = weights
    (h,) = states
    u = h.shape[-1]
    f = sigmoid(x @ W[:, :u] + h @ U[:, :u] + b[:u])
    hh = np.tanh(x @ W[:, u:] + (f * h) @ U[:, u:] + b[u:])
    h_new = (1 - f) * h + f * hh
    return h_new, [h_new]


def esn(weights, x, states, leak=1.0):
    """Jaeger et al. (2007) eq. (2): leaky tanh reservoir."""
    return elman(weights, x, states, leak=leak)


def clockwork(weights, x, states, periods):
    """Koutnik et al. (2014) eqs. (1)-(2): module i updates when t mod T_i == 0.

    `states` is `[h, t]` with `t [batch, 1]` the steps taken so far.
    """
    W, U, b = weights
    h, t = states
    u = h.shape[-1]
    k = u // len(periods)
    t = t + 1
    h_new = h.copy()
    for i, period in enumerate(periods):
        if t[0, 0] % period:
            continue
        rows = slice(i * k, (i + 1) * k)
        # module i receives from itself and every slower module j >= i
        pre = x @ W[:, rows] + h[:, i * k :] @ U[i * k :, rows] + b[rows]
        h_new[:, rows] = np.tanh(pre)
    return h_new, [h_new, t]


def run(step, weights, xs, states, **kwargs):
    """Runs `step` over `xs [batch, time, d]`; returns outputs `[batch, time, o]`
    and the final states."""
    outputs = []
    for t in range(xs.shape[1]):
        y, states = step(weights, xs[:, t], states, **kwargs)
        outputs.append(y)
    return np.stack(outputs, axis=1), states
