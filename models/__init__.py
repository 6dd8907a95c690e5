"""rnnlab models: recurrent cells, the `Recurrent` sequence layer, attention,
Transformer blocks and the task models built from them.

`models` never imports `pipeline` or `tuning` (DESIGN section 1).
"""

from models import cells
from models.recurrent import Recurrent

__all__ = ["Recurrent", "cells"]
