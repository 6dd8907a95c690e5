"""Sequence-to-sequence models: encoders, the attentive decoder, `Seq2Seq`."""

from models.seq2seq.attentive_decoder import AttentiveDecoder
from models.seq2seq.recurrent_encoder import RecurrentEncoder
from models.seq2seq.seq2seq import Seq2Seq
from models.seq2seq.transformer_encoder import TransformerEncoder

__all__ = ["AttentiveDecoder", "RecurrentEncoder", "Seq2Seq", "TransformerEncoder"]
