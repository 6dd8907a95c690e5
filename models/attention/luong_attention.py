"""Global and local attention of Luong, Pham and Manning (2015)."""

import math

import keras
from keras import ops

from models.attention.base import Attention, masked_softmax

SCORES = ("dot", "general", "concat", "location", "scaled_dot")
WINDOWS = ("global", "local-m", "local-p")


@keras.saving.register_keras_serializable(package="rnnlab")
class LuongAttention(Attention):
    """Luong attention: five score functions, global or local windows.

    Scores of the target state ``h_t`` against the source states ``h_s``
    (Beigy, "Deep learning: Recurrent neural networks", slides 66 and 72-75; Luong et al. 2015 eq.
    (8) and section 3.1; Vaswani et al. 2017 for `scaled_dot`):

        dot:        score(h_t, h_s) = h_t^T h_s
        general:    score(h_t, h_s) = h_t^T W_a h_s
        concat:     score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])
        location:   a_t = softmax(W_a h_t)        (one logit per source position)
        scaled_dot: score(h_t, h_s) = h_t^T h_s / sqrt(d)

    The weights are ``a_t(s) = softmax_s(score(h_t, h_s))`` (eq. (7)) over the
    allowed positions s: not masked, and, for local windows, inside
    ``[p_t - D, p_t + D]`` (section 3.2). Source positions are 0-based.

    - `global`: every unmasked position; the weights sum to 1.
    - `local-m` (monotonic): ``p_t = t``, the target step; the weights sum to
      1 over the unmasked positions in the window (all zero, and the context
      zero, if the window lies past the source end).
    - `local-p` (predictive): ``p_t = S * sigmoid(v_p^T tanh(W_p h_t))``
      (eq. (9)), with S the true source length (from the mask), so
      ``p_t`` lies in ``[0, S]``; the softmax over the window is then
      multiplied by a Gaussian centred on ``p_t`` (eq. (10)):

          a_t(s) = align(h_t, h_s) * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2

      As in the paper, the Gaussian-weighted weights are NOT renormalised:
      they sum to less than 1 (and the context is shrunk accordingly). The
      Gaussian makes ``p_t``, hence W_p and v_p, differentiable.

    Weights outside the window, at masked positions, and (for `location`) at
    positions >= `max_source_length` are exactly 0.

    Args:
        score: One of `"dot"`, `"general"`, `"concat"`, `"location"`,
            `"scaled_dot"`. Default `"general"`. `dot` and `scaled_dot`
            need the query and values of the same width.
        window: `"global"` (default), `"local-m"` or `"local-p"`.
        D: Half-width of the local window, a non-negative integer (positive
            for `local-p`, where the Gaussian's sigma = D / 2 must be > 0).
            Required for local windows, ignored for `global`.
        units: Width of the hidden layer of the `concat` score (required
            there) and of the `local-p` position network (default: the query
            width). Ignored otherwise.
        max_source_length: Number of source positions the `location` score
            has logits for (required there); later positions get weight 0.
        **kwargs: The arguments of `Attention` (kernel initializer,
            regularizer, constraint) and of the base layer.

    Weights, by score: `general`: `kernel` `[dv, dq]` (= W_a^T, applied to the
    values in `process_keys`); `concat`: `query_kernel` `[dq, units]`,
    `key_kernel` `[dv, units]` (W_a split by input) and `v` `[units]`;
    `location`: `location_kernel` `[dq, max_source_length]`. `local-p` adds
    `position_kernel` W_p `[dq, units]` and `position_v` v_p `[units]`.

    Call arguments:
        As `Attention`: `query [B, dq] | [B, Tq, dq]`, `values [B, S, dv]`,
        `mask`, `keys` (= `process_keys(values)`), `query_positions` (t, used
        by `local-m`), `training`.

    Output shape:
        `(context [B, dv], weights [B, S])` or
        `(context [B, Tq, dv], weights [B, Tq, S])`.

    Example:

    >>> layer = LuongAttention("general", window="local-p", D=2)
    >>> context, weights = layer(np.zeros((2, 3, 4), "float32"),
    ...                          np.zeros((2, 5, 6), "float32"))
    >>> context.shape, weights.shape
    ((2, 3, 6), (2, 3, 5))

    References:
        Luong, Pham and Manning, "Effective approaches to attention-based
        neural machine translation", EMNLP 2015, eqs. (7)-(10), sections
        3.1-3.2.
        Vaswani et al., "Attention is all you need", NeurIPS 2017, eq. (1).
    """

    def __init__(
        self,
        score="general",
        window="global",
        D=None,
        units=None,
        max_source_length=None,
        **kwargs,
    ):
        if score not in SCORES:
            raise ValueError(f"`score` must be one of {SCORES}. Received: score={score}")
        if window not in WINDOWS:
            raise ValueError(f"`window` must be one of {WINDOWS}. Received: window={window}")
        if window != "global":
            smallest = 1 if window == "local-p" else 0
            if not _is_int(D) or D < smallest:
                raise ValueError(
                    f"`D` must be an integer >= {smallest} for window={window!r} "
                    f"(the window is [p_t - D, p_t + D]). Received: D={D}"
                )
        if units is not None and (not _is_int(units) or units <= 0):
            raise ValueError(f"`units` must be None or a positive integer. Received: units={units}")
        if score == "concat" and units is None:
            raise ValueError(
                f"`units` (the hidden width of v_a^T tanh(W_a [h_t; h_s])) is required "
                f"for score='concat'. Received: units={units}"
            )
        if score == "location" and (not _is_int(max_source_length) or max_source_length <= 0):
            raise ValueError(
                "`max_source_length` must be a positive integer for score='location'. "
                f"Received: max_source_length={max_source_length}"
            )
        super().__init__(**kwargs)
        # `score` names the scoring hook (a method), so the argument lives in `score_mode`.
        self.score_mode = score
        self.window = window
        self.D = D
        self.units = units
        self.max_source_length = max_source_length

    # ----------------------------------------------------------------- weights
    def build(self, query_shape, values_shape):
        dq, dv = query_shape[-1], values_shape[-1]
        mode = self.score_mode
        if mode in ("dot", "scaled_dot") and dq is not None and dv is not None and dq != dv:
            raise ValueError(
                f"score={mode!r} needs query and values of the same width. "
                f"Received: query_shape={query_shape}, values_shape={values_shape}"
            )
        if mode == "general":
            self.kernel = self.add_kernel("kernel", (dv, dq))  # W_a^T
        elif mode == "concat":
            self.query_kernel = self.add_kernel("query_kernel", (dq, self.units))
            self.key_kernel = self.add_kernel("key_kernel", (dv, self.units))
            self.v = self.add_kernel("v", (self.units,))
        elif mode == "location":
            self.location_kernel = self.add_kernel(
                "location_kernel", (dq, self.max_source_length)
            )
        if self.window == "local-p":
            hidden = self.units or dq
            self.position_kernel = self.add_kernel("position_kernel", (dq, hidden))
            self.position_v = self.add_kernel("position_v", (hidden,))

    # ------------------------------------------------------------------- hooks
    def process_keys(self, values):
        if self.score_mode == "general":
            return ops.matmul(values, self.cast_weight(self.kernel))  # [B, S, dq]: W_a h_s
        if self.score_mode == "concat":
            return ops.matmul(values, self.cast_weight(self.key_kernel))  # [B, S, units]
        return values  # [B, S, dv]

    def score(self, query, keys):
        mode = self.score_mode
        if mode == "concat":
            w_t = ops.matmul(query, self.query_kernel)  # [B, Tq, units]
            hidden = ops.expand_dims(w_t, 2) + ops.expand_dims(keys, 1)  # [B, Tq, S, units]
            return ops.sum(ops.tanh(hidden) * self.v, axis=-1)  # [B, Tq, S]
        if mode == "location":
            logits = ops.matmul(query, self.location_kernel)  # [B, Tq, L]: W_a h_t
            # Logit of source position s is logits[..., s]; positions s >= L
            # reuse the last one here and are masked out in `align`.
            s = ops.arange(ops.shape(keys)[1], dtype="int32")  # [S]
            return ops.take(logits, ops.minimum(s, self.max_source_length - 1), axis=-1)
        # dot, scaled_dot and general (keys = W_a h_s): h_t^T k_s
        scores = ops.matmul(query, ops.swapaxes(keys, 1, 2))  # [B, Tq, dk] x [B, dk, S]
        if mode == "scaled_dot":
            scores = scores * (1.0 / math.sqrt(keys.shape[-1]))
        return scores  # [B, Tq, S]

    def aligned_positions(self, query, query_positions, source_lengths):
        """The aligned source position p_t of every query, float32 `[B, Tq]`.

        `local-p`: ``S * sigmoid(v_p^T tanh(W_p h_t))`` (eq. (9)), S the
        source length; otherwise ``p_t = t`` (local-m).

        Args:
            query: `[B, Tq, dq]`.
            query_positions: int `[B, Tq]`, the target steps t.
            source_lengths: int `[B]`.
        """
        if self.window != "local-p":
            return ops.cast(query_positions, "float32")
        hidden = ops.tanh(ops.matmul(query, self.position_kernel))  # [B, Tq, units]
        logit = ops.sum(hidden * self.position_v, axis=-1)  # [B, Tq]: v_p^T tanh(W_p h_t)
        length = ops.cast(ops.expand_dims(source_lengths, 1), "float32")  # [B, 1]
        return length * ops.sigmoid(ops.cast(logit, "float32"))  # [B, Tq], in [0, S]

    def align(self, scores, mask, query, query_positions, source_lengths):
        s = ops.arange(ops.shape(scores)[-1], dtype="float32")  # [S], 0-based
        allowed = ops.ones_like(scores, dtype="bool")  # [B, Tq, S]
        if mask is not None:
            allowed = ops.logical_and(allowed, ops.expand_dims(mask, 1))
        if self.score_mode == "location":
            allowed = ops.logical_and(allowed, s < self.max_source_length)
        if self.window == "global":
            return masked_softmax(scores, allowed)  # eq. (7)
        p_t = self.aligned_positions(query, query_positions, source_lengths)  # [B, Tq]
        distance = s - ops.expand_dims(p_t, -1)  # [B, Tq, S]: s - p_t
        allowed = ops.logical_and(allowed, ops.abs(distance) <= self.D)  # [p_t - D, p_t + D]
        weights = masked_softmax(scores, allowed)  # eq. (7) within the window
        if self.window == "local-p":
            sigma = self.D / 2.0
            gaussian = ops.exp(-ops.square(distance) / (2.0 * sigma**2))  # eq. (10)
            weights = weights * ops.cast(gaussian, weights.dtype)  # not renormalised
        return weights

    def get_config(self):
        config = {
            "score": self.score_mode,
            "window": self.window,
            "D": self.D,
            "units": self.units,
            "max_source_length": self.max_source_length,
        }
        return {**super().get_config(), **config}


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)
