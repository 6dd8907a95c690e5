"""The recurrent cells of rnnlab.

Each cell does one step and follows the Keras cell contract, so it runs in
`keras.layers.RNN`; `models.Recurrent` runs any of them faster by projecting
the inputs of all steps at once (see `models.cells.base`).
"""

from models.cells.base import RecurrentCell
from models.cells.cifg_lstm_cell import CIFGLSTMCell
from models.cells.clockwork_cell import ClockworkCell
from models.cells.elman_cell import ElmanCell
from models.cells.esn_cell import ESNCell
from models.cells.gru_cell import GRUCell
from models.cells.jordan_cell import JordanCell
from models.cells.lstm_cell import LSTMCell
from models.cells.minimal_gru_cell import MinimalGRUCell
from models.cells.peephole_lstm_cell import PeepholeLSTMCell

#: Short names for configs and search spaces.
CELLS = {
    "elman": ElmanCell,
    "jordan": JordanCell,
    "gru": GRUCell,
    "minimal_gru": MinimalGRUCell,
    "lstm": LSTMCell,
    "peephole_lstm": PeepholeLSTMCell,
    "cifg_lstm": CIFGLSTMCell,
    "esn": ESNCell,
    "clockwork": ClockworkCell,
}


def make_cell(name, units, **kwargs):
    """A cell by short name, e.g. `make_cell("lstm", 128, dropout=0.1)`."""
    if name not in CELLS:
        raise ValueError(f"Unknown cell {name!r}; choose from {', '.join(CELLS)}. "
                         f"Received: name={name!r}")
    return CELLS[name](units, **kwargs)


__all__ = [
    "CELLS",
    "make_cell",
    "CIFGLSTMCell",
    "ClockworkCell",
    "ESNCell",
    "ElmanCell",
    "GRUCell",
    "JordanCell",
    "LSTMCell",
    "MinimalGRUCell",
    "PeepholeLSTMCell",
    "RecurrentCell",
]
