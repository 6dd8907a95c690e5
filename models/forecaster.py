"""`Forecaster`: a window of a series in, the next H values out (direct)."""

import keras
import numpy as np
from keras import ops

from models.cells import make_cell
from models.recurrent import Recurrent


def lag_design(windows, lags):
    """`[N, 1 + lags]`: a constant, then the last `lags` values of each
    window `[N, T]`, the design matrix of a direct linear forecast."""
    windows = np.asarray(windows, "float64")
    return np.concatenate([np.ones((len(windows), 1)), windows[:, -lags:]], axis=1)


def direct_least_squares(windows, targets, lags):
    """`[1 + lags, H]` coefficients (intercepts first) of the direct linear
    regressions ``y_{t+h} = a_h + b_h^T x_{t-lags+1..t}``, h = 1..H, fitted
    by least squares on windows `[N, T]` and targets `[N, H]`."""
    return np.linalg.lstsq(lag_design(windows, lags), np.asarray(targets, "float64"),
                           rcond=None)[0]


@keras.saving.register_keras_serializable(package="rnnlab")
class Forecaster(keras.Model):
    """Direct multi-step forecaster: a recurrent summary of the window, then
    one linear read-out of all H future values at once.

    The recurrence folds the window into its last state,
    ``h_t = F(h_{t-1}, x_t)``, a lossy fixed-size summary of the whole past
    (Wang, "Recurrent Neural Network", slides 10-11); a many-to-one read-out (Wang, "Recurrent
    Neural Network", slide 4, ``P(y | x_1..x_T)``) maps it to all H values at once,
    ``y_{t+1..t+H} = V h_t + c``, the output layer of Beigy, "Deep learning: Recurrent neural
    networks", slide 13. Every step is predicted from the observed past only, so errors do not
    feed back as they do when a one-step model is iterated (the "direct"
    strategy of Ben Taieb et al. 2012).

    With `linear_window` > 0 a linear autoregression of the last
    `linear_window` inputs is added to the read-out (the "highway" of
    LSTNet, Lai et al. 2018, section 3.6): the recurrent part then learns
    what an AR model misses, which matters on short series.

    With `relative=True` the model forecasts changes from the last input
    value: it reads ``x - x_T`` and adds ``x_T`` back to every output (the
    persistence forecast as a skip connection; the instance shift of RevIN,
    Kim et al. 2022). A trending series then never leaves the range the
    network was trained on.

    The model works in normalised units; the caller scales inputs and
    outputs (the forecast task does it inside its exported graph).

    Args:
        horizon: H, the number of future values predicted.
        cell: a `models.cells.CELLS` name. Default `"lstm"`.
        units: units of every recurrent layer. Default 32.
        layers: stacked recurrent layers. Default 1.
        dropout: dropout on the summary before the read-out, and on the
            inputs of recurrent layers after the first. Default 0.
        linear_window: inputs of the linear autoregressive term (0 = none).
            Default 0.
        relative: forecast changes from the last input value. Default False.
        members: independently trained forecasters averaged. Default 1.

    Call arguments:
        history: `[batch, time, 1]` normalised values, oldest first
            (`time` >= `linear_window`).
        training: whether dropout is active.

    Output shape:
        `[batch, horizon]`, float32 whatever the dtype policy.

    Example:

    >>> model = Forecaster(horizon=3, units=4)
    >>> model(np.zeros((2, 10, 1), "float32")).shape
    (2, 3)

    References:
        Ben Taieb, Bontempi, Atiya and Sorjamaa (2012), "A review and
        comparison of strategies for multi-step ahead time series
        forecasting", Expert Systems with Applications 39(8).
        Lai, Chang, Yang and Liu (2018), "Modeling long- and short-term
        temporal patterns with deep neural networks", SIGIR.
        Kim, Kim, Tae, Park, Choi and Choo (2022), "Reversible instance
        normalization for accurate time-series forecasting against
        distribution shift", ICLR.
        Liu and Yao (1999), "Ensemble learning via negative correlation",
        Neural Networks 12(10).
        Lakshminarayanan, Pritzel and Blundell (2017), "Simple and scalable
        predictive uncertainty estimation using deep ensembles", NeurIPS.
    """

    def __init__(self, horizon, cell="lstm", units=32, layers=1, dropout=0.0, linear_window=0,
                 relative=False, members=1, **kwargs):
        super().__init__(**kwargs)
        for name, value, least in (("horizon", horizon, 1), ("units", units, 1),
                                   ("layers", layers, 1), ("linear_window", linear_window, 0),
                                   ("members", members, 1)):
            if not isinstance(value, int) or value < least:
                raise ValueError(f"`{name}` must be an integer >= {least}. "
                                 f"Received: {name}={value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
        self.horizon = horizon
        self.cell_name = cell
        self.units = units
        self.num_layers = layers
        self.dropout = dropout
        self.linear_window = linear_window
        self.relative = bool(relative)
        self.members = members

        # Layers: member k owns recurrent_layers[k * layers : (k + 1) * layers],
        # readouts[k] and linears[k].
        policy = self.dtype_policy
        self.recurrent_layers = [
            Recurrent(make_cell(cell, units, dropout=dropout if i else 0.0, dtype=policy),
                      return_sequences=i < layers - 1, name=f"recurrent_{k}_{i}", dtype=policy)
            for k in range(members) for i in range(layers)
        ]
        self.summary_dropout = keras.layers.Dropout(dropout, dtype=policy)
        # The read-outs stay float32 under mixed precision (regression targets).
        self.readouts = [keras.layers.Dense(horizon, name=f"readout_{k}", dtype="float32")
                         for k in range(members)]
        self.linears = [keras.layers.Dense(horizon, name=f"linear_{k}", dtype="float32")
                        for k in range(members if linear_window else 0)]

    def build(self, input_shape):  # [B, T, 1]
        for k in range(self.members):
            shape = tuple(input_shape)
            for layer in self.recurrent_layers[k * self.num_layers:(k + 1) * self.num_layers]:
                layer.build(shape)
                shape = shape[:2] + (self.units,)
        for readout in self.readouts:
            readout.build((input_shape[0], self.units))
        for linear in self.linears:
            linear.build((input_shape[0], self.linear_window))
        self.built = True

    def fit_linear(self, histories, targets):
        """Starts every member from the least-squares linear forecast.

        Solves the direct regressions of `direct_least_squares` (L =
        `linear_window` lags) on the training windows in closed form,
        writes them into each member's linear term, and zeroes the
        read-outs: the untrained model then forecasts exactly what the
        linear model does, and training adds only the nonlinear part the
        data support (the hybrid of Zhang 2003, a linear model first and a
        network for what it leaves). With `relative=True` the regression is
        on the shifted window, as in `call`. A model without a linear term
        is left unchanged.

        Args:
            histories: `[N, T]` or `[N, T, 1]` windows, in the units the
                model is trained on.
            targets: `[N, H]`.

        Returns:
            The `[1 + L, H]` coefficients (intercepts first), or None.

        Reference:
            Zhang (2003), "Time series forecasting using a hybrid ARIMA and
            neural network model", Neurocomputing 50.
        """
        if not self.linears:
            return None
        x = np.asarray(histories, "float64").reshape(len(histories), -1)  # [N, T]
        y = np.asarray(targets, "float64")  # [N, H]
        if self.relative:
            x, y = x - x[:, -1:], y - x[:, -1:]
        coefficients = direct_least_squares(x, y, self.linear_window)  # [1 + L, H]
        for linear, readout in zip(self.linears, self.readouts, strict=True):
            linear.kernel.assign(coefficients[1:].astype("float32"))
            linear.bias.assign(coefficients[0].astype("float32"))
            readout.kernel.assign(np.zeros(readout.kernel.shape, "float32"))
            readout.bias.assign(np.zeros(readout.bias.shape, "float32"))
        return coefficients

    def member(self, k, history, training=False):
        """Member k's forecast `[B, H]` of the (shifted) history `[B, T, 1]`."""
        h = history
        for layer in self.recurrent_layers[k * self.num_layers:(k + 1) * self.num_layers]:
            h = layer(h, training=training)  # [B, T, U], the last layer [B, U]
        h = self.summary_dropout(h, training=training)
        forecast = self.readouts[k](ops.cast(h, "float32"))  # [B, H]
        if self.linears:
            recent = ops.cast(history[:, -self.linear_window:, 0], "float32")  # [B, L]
            forecast = forecast + self.linears[k](recent)  # [B, H]
        return forecast

    def call(self, history, training=False):
        last = ops.cast(history[:, -1:, 0], "float32")  # [B, 1]
        if self.relative:
            history = history - ops.cast(last[..., None], history.dtype)  # [B, T, 1]
        if self.members == 1:
            forecast = self.member(0, history, training)  # [B, H]
        else:
            each = ops.stack([self.member(k, history, training)
                              for k in range(self.members)], axis=1)  # [B, K, H]
            forecast = ops.mean(each, axis=1)  # [B, H]
            if training:  # the members' spread: each member fits the targets alone
                self.add_loss(ops.mean(ops.square(each - forecast[:, None, :])))
        if self.relative:
            forecast = forecast + last  # [B, H]
        return forecast

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon)

    def get_config(self):
        config = super().get_config()
        config.update({"horizon": self.horizon, "cell": self.cell_name, "units": self.units,
                       "layers": self.num_layers, "dropout": self.dropout,
                       "linear_window": self.linear_window, "relative": self.relative,
                       "members": self.members})
        return config
