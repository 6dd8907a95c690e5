"""rnnlab models: custom Keras layers and the task models built from them.

- `models.cells`: the nine recurrent cells; `models.Recurrent` runs them.
- `models.attention`: Bahdanau and Luong attention.
- `models.transformer`: Transformer encoder block, sinusoidal positions.
- `models.decoding`: in-graph greedy and beam-search decoding.
- `models.seq2seq`: encoders, the attentive decoder and `Seq2Seq`.
- `models.classifier`: `TextClassifier` (bidirectional encoder, pooling).
- `models.forecaster`: the direct multi-step forecaster.
- `models.lm`: the character language model and its seeded sampler.
- `models.synthetic`: the long-range benchmark networks.
- `models.gradient_flow`: dL/dh_t through time and the Pascanu et al. 2013
  gradient-flow regulariser.

`models` never imports `pipeline` or `tuning` (docs/architecture.md section 1).
"""

from models import cells
from models.recurrent import Recurrent

__all__ = ["Recurrent", "cells"]
