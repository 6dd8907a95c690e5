"""The shared base of the rnnlab attention layers: score, align, read out.

Attention (Beigy, "Deep learning: Recurrent neural networks", slides 59-63) builds, for every target
step t, a context vector as a weighted sum of the encoder outputs ``h_s``:

    score_t(s) = score(q_t, k_s)                      # how well q_t matches s
    a_t(s)     = align(score_t)(s)                    # weights over positions
    c_t        = sum_s a_t(s) h_s                     # the context vector

with ``k_s = process_keys(h)_s``, the encoder side of the score. Each layer
implements the hooks, as `keras.layers.AdditiveAttention` overrides only
`_calculate_scores`:

- `score(query, keys)` (required): ``[B, Tq, dq] x [B, S, dk] -> [B, Tq, S]``.
- `process_keys(values)` (optional, default identity): the part of the score
  that depends only on the source, e.g. ``W_2 h_s``. A decoder loop calls it
  once per sequence and passes the result as `keys=` at every step, so the
  encoder side is projected once, not once per target step.
- `align(scores, mask, query, query_positions, source_lengths)` (optional,
  default: softmax over the unmasked positions, slide 62): turns scores into
  weights; local windows override it.
"""

import keras
from keras import constraints, initializers, ops, regularizers

# Fill of disallowed scores before the softmax: large and negative, but finite
# in the compute dtype (float16 stops at 65504; bfloat16 shares float32's range),
# so a row with no allowed position gives no NaN.
_LARGE_NEGATIVE = {"float16": -65504.0}
_DEFAULT_LARGE_NEGATIVE = -1e9


def masked_softmax(scores, allowed=None):
    """Softmax over the last axis restricted to the `allowed` positions.

    Args:
        scores: `[..., S]` float scores.
        allowed: Optional bool tensor broadcastable to `scores`; False
            positions get weight exactly 0. A row with no allowed position
            gets all zeros.

    Returns:
        `[..., S]` weights in the dtype of `scores`; each row sums to 1 over
        its allowed positions (or is all zero).
    """
    if allowed is None:
        return ops.softmax(scores, axis=-1)
    dtype = keras.backend.standardize_dtype(scores.dtype)
    fill = ops.full_like(scores, _LARGE_NEGATIVE.get(dtype, _DEFAULT_LARGE_NEGATIVE))
    weights = ops.softmax(ops.where(allowed, scores, fill), axis=-1)
    # The fill leaves a tiny (or, in an empty row, uniform) weight: zero it.
    return ops.where(allowed, weights, ops.zeros_like(weights))


@keras.saving.register_keras_serializable(package="rnnlab")
class Attention(keras.layers.Layer):
    """Base class of the rnnlab attention layers (the contract, documented once).

    Given a decoder query and the encoder outputs `values`, returns the
    context vector and the alignment weights (Beigy, "Deep learning: Recurrent neural networks",
    slide 62; Bahdanau et al. 2015 eqs. (5)-(6); Luong et al. 2015 eq. (7)):

        a_t(s) = exp(score(q_t, k_s)) / sum_{s' allowed} exp(score(q_t, k_s'))
        c_t    = sum_s a_t(s) h_s

    Subclasses override `score` (and `build`, and optionally `process_keys`
    and `align`); see the module docstring.

    Masking: `mask` marks the real source positions (right padding). Masked
    positions get weight exactly 0 and do not change the other weights; a
    row with no allowed position has all-zero weights and a zero context.
    When `mask` is None, the Keras mask attached to `values` (e.g. by an
    `Embedding(mask_zero=True)` upstream) is used, if any. The outputs carry
    the Keras mask of `query`, if it has one.

    Args:
        kernel_initializer: Initializer of the projection matrices.
            Default `"glorot_uniform"`.
        kernel_regularizer: Optional regularizer of the projection matrices.
        kernel_constraint: Optional constraint of the projection matrices.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[B, dq]` (one decoder step) or `[B, Tq, dq]` (all steps).
        values: `[B, S, dv]` encoder outputs ``h_s``.
        mask: Optional bool `[B, S]`, True at real source positions.
        keys: Optional `self.process_keys(values)`, precomputed once per
            source sequence; computed from `values` when None.
        query_positions: Optional int target step index t of each query,
            `[B]` for a 2-D query, `[B, Tq]` (or anything broadcastable to
            it, e.g. `[Tq]` or a scalar) for a 3-D one. Default 0 for a 2-D
            query and ``0, ..., Tq - 1`` for a 3-D one. Used by local windows.
        training: Whether the layer runs in training mode (unused by the
            base; kept for subclasses).

    Output shape:
        `(context, weights)`: `[B, dv]` and `[B, S]` for a 2-D query,
        `[B, Tq, dv]` and `[B, Tq, S]` for a 3-D one.

    References:
        Bahdanau, Cho and Bengio, "Neural machine translation by jointly
        learning to align and translate", ICLR 2015, eqs. (5)-(6).
        Luong, Pham and Manning, "Effective approaches to attention-based
        neural machine translation", EMNLP 2015, eq. (7).
    """

    def __init__(
        self,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    # ----------------------------------------------------------------- weights
    def add_kernel(self, name, shape, initializer=None):
        """Adds one projection matrix (or vector) with the kernel settings."""
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=initializer or self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def cast_weight(self, weight):
        """`weight` in the compute dtype, also outside `__call__` (where Keras
        does not autocast variables), e.g. in `process_keys` under mixed
        precision."""
        return ops.cast(weight, self.compute_dtype)

    # ------------------------------------------------------------------- hooks
    def process_keys(self, values):
        """The source side of the score, computed once per source sequence.

        Args:
            values: `[B, S, dv]`.
        Returns:
            keys `[B, S, dk]`; identity by default.
        """
        return values

    def score(self, query, keys):
        """Alignment scores of every query against every key.

        Args:
            query: `[B, Tq, dq]`.
            keys: `[B, S, dk]`, the output of `process_keys`.
        Returns:
            `[B, Tq, S]`.
        """
        raise NotImplementedError(f"{self.__class__.__name__} must implement `score`.")

    def align(self, scores, mask, query, query_positions, source_lengths):
        """Turns scores into weights; default: softmax over unmasked positions.

        Args:
            scores: `[B, Tq, S]` from `score`.
            mask: None or bool `[B, S]`.
            query: `[B, Tq, dq]` (for position predictors, e.g. local-p).
            query_positions: int32 `[B, Tq]`, the target step t of each query.
            source_lengths: int32 `[B]`, the number of real source positions.
        Returns:
            `[B, Tq, S]` weights, exactly 0 at masked positions.
        """
        allowed = None if mask is None else ops.expand_dims(mask, 1)  # [B, 1, S]
        return masked_softmax(scores, allowed)

    # ------------------------------------------------------------------- call
    def call(self, query, values, mask=None, keys=None, query_positions=None, training=False):
        query_rank, values_rank = len(query.shape), len(values.shape)
        if query_rank not in (2, 3) or values_rank != 3:
            raise ValueError(
                f"{self.__class__.__name__} expects query [B, dq] or [B, Tq, dq] and "
                f"values [B, S, dv]. Received: query.shape={query.shape}, "
                f"values.shape={values.shape}"
            )
        single_step = query_rank == 2
        if single_step:
            query = ops.expand_dims(query, 1)  # [B, 1, dq]
        if mask is None:
            mask = getattr(values, "_keras_mask", None)
        if mask is not None:
            mask = ops.cast(mask, "bool")  # [B, S]
        if keys is None:
            keys = self.process_keys(values)  # [B, S, dk]

        steps = ops.ones_like(query[..., 0], dtype="int32")  # [B, Tq]
        if query_positions is None:
            query_positions = ops.cumsum(steps, axis=1) - 1  # t = 0, ..., Tq - 1
        else:
            query_positions = ops.cast(query_positions, "int32")
            if single_step and len(query_positions.shape) == 1:
                query_positions = ops.expand_dims(query_positions, 1)  # [B, 1]
            query_positions = query_positions * steps  # broadcast to [B, Tq]
        if mask is None:
            source_lengths = ops.sum(ops.ones_like(values[..., 0], dtype="int32"), axis=1)
        else:
            source_lengths = ops.sum(ops.cast(mask, "int32"), axis=1)  # [B]

        scores = self.score(query, keys)  # [B, Tq, S]
        weights = self.align(scores, mask, query, query_positions, source_lengths)
        weights = ops.cast(weights, values.dtype)  # [B, Tq, S]
        context = ops.matmul(weights, values)  # [B, Tq, S] x [B, S, dv] -> [B, Tq, dv]
        if single_step:
            context = ops.squeeze(context, 1)  # [B, dv]
            weights = ops.squeeze(weights, 1)  # [B, S]
        return context, weights

    def compute_mask(self, query, previous_mask=None):
        # `previous_mask` is the source mask [B, S]; the outputs are indexed by
        # target step, so they carry the query's own mask, if any.
        query_mask = getattr(query, "_keras_mask", None)
        if query_mask is None:
            return None
        return query_mask, query_mask

    def get_config(self):
        config = {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }
        return {**super().get_config(), **config}
