"""In-graph decoding for sequence models: greedy and beam search, and the
reranking of a beam's n-best lists.

A model plugs in through one step function,
``step_fn(ids [N], state, t) -> (logits [N, V], new_state)``; the decoders
run it in a `tf.while_loop`, so they work eagerly, in `tf.function`, in an
exported SavedModel and under XLA. See `Decoder` for the contract.
"""

from models.decoding.beam_search_decoder import BeamSearchDecoder, length_penalty
from models.decoding.decoder import PAD_ID, Decoder
from models.decoding.greedy_decoder import GreedyDecoder
from models.decoding.group_marginal import group_marginal
from models.decoding.rerank import rerank

__all__ = ["PAD_ID", "BeamSearchDecoder", "Decoder", "GreedyDecoder", "group_marginal",
           "length_penalty", "rerank"]
