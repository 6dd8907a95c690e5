"""Character language models: the model and its in-graph sampler.

- `CharLanguageModel`: embedding, stacked `models.Recurrent` layers and a
  softmax; stateful for truncated BPTT; optionally conditioned on a fixed
  vector (initial state, extra input, or both).
- `Sampler`, `next_ids`: temperature and top-k sampling with stateless
  seeds, one character at a time.
- `LanguageModelMixture`: several trained models as one (their mean
  probability), for scoring and sampling.
"""

from models.lm.char_language_model import CONDITION_MODES, CharLanguageModel
from models.lm.mixture import LanguageModelMixture
from models.lm.sampler import Sampler, next_ids

__all__ = ["CONDITION_MODES", "CharLanguageModel", "LanguageModelMixture", "Sampler", "next_ids"]
