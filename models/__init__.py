"""rnnlab models: custom Keras layers and the task models built from them.

- `models.cells`: the nine recurrent cells; `models.Recurrent` runs them.
- `models.attention`: Bahdanau and Luong attention.
- `models.transformer`: Transformer encoder block, sinusoidal positions.
- `models.decoding`: in-graph greedy and beam-search decoding.
- `models.seq2seq`: encoders, the attentive decoder and `Seq2Seq`.

`models` never imports `pipeline` or `tuning` (DESIGN section 1).
"""

from models import cells
from models.recurrent import Recurrent

__all__ = ["Recurrent", "cells"]
