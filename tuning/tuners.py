"""The three searches of `python -m tuning.search`, resumable and distributable.

`make_tuner(kind, hypermodel, directory, ...)` returns keras-tuner's random
search, Hyperband (Li et al. 2018) or Bayesian optimisation with a
Gaussian process (Snoek et al. 2012), with:

- resumable state: everything lives in `directory/<kind>/`; a tuner made
  again on the same directory reloads it and continues (a trial that was
  running when the process died is run again);
- distribution by keras-tuner's chief/worker protocol: with
  `KERASTUNER_TUNER_ID=chief`, `KERASTUNER_ORACLE_IP` and
  `KERASTUNER_ORACLE_PORT` set, `search()` serves the oracle over gRPC and
  blocks until the search is over; with a worker id (any id without
  "chief") it asks that chief for trials and runs them;
- leases on running trials (`tuning.liveness`): workers send heartbeats,
  and the chief retries, or marks failed, the trial of a worker that went
  silent;
- a cheap start: the space is declared without building models.
"""

import time

import keras_tuner
from keras_tuner.src.distribute import utils as dist_utils

from tuning import liveness

ORACLES = {
    "random": keras_tuner.oracles.RandomSearchOracle,
    "hyperband": keras_tuner.oracles.HyperbandOracle,
    "bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
}
KINDS = tuple(ORACLES)


def role():
    """`"single"`, `"chief"` or `"worker"`, from keras-tuner's variables."""
    if not dist_utils.has_chief_oracle():
        return "single"
    return "chief" if dist_utils.is_chief_oracle() else "worker"


class SearchTuner:
    """Mixin before a keras-tuner tuner class: heartbeats, the chief's
    watchdog, back-off while the chief has no trial to give, and a space
    declared without building models."""

    #: seconds without a heartbeat after which the chief ends a trial.
    lease_seconds = None
    #: seconds a worker waits before asking again for a trial.
    idle_seconds = 1.0

    def _populate_initial_space(self):
        with self.hypermodel.declaring_only():
            super()._populate_initial_space()

    def search(self, *fit_args, **fit_kwargs):
        watchdog = None
        if role() == "chief" and self.lease_seconds:
            self.oracle.lease_seconds = self.lease_seconds
            watchdog = liveness.Watchdog(self.oracle, interval=max(self.lease_seconds / 6, 0.2))
            watchdog.start()
        self._asked = False
        try:
            super().search(*fit_args, **fit_kwargs)
        finally:
            if watchdog is not None:
                watchdog.stop()

    def pre_create_trial(self):
        if self._asked:  # the last request got no trial (IDLE): back off
            time.sleep(self.idle_seconds)
        self._asked = True

    def on_trial_begin(self, trial):
        self._asked = False
        super().on_trial_begin(trial)
        self._heartbeat = None
        if role() == "worker":
            print(f"[{self.tuner_id}] trial {trial.trial_id} begins", flush=True)
        if role() == "worker" and self.lease_seconds:
            self._heartbeat = liveness.Heartbeat(self.oracle, trial.trial_id,
                                                 interval=max(self.lease_seconds / 6, 0.2))
            self._heartbeat.start()

    def on_trial_end(self, trial):
        if getattr(self, "_heartbeat", None) is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        super().on_trial_end(trial)


class Tuner(SearchTuner, keras_tuner.Tuner):
    """Random search and Bayesian optimisation (the oracle decides)."""


class HyperbandTuner(SearchTuner, keras_tuner.Hyperband):
    """Hyperband: keras-tuner's `Hyperband` trial logic on a given oracle."""

    def __init__(self, oracle, hypermodel, **kwargs):
        keras_tuner.Tuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)


def make_oracle(kind, objective, *, max_trials=None, max_epochs=None, hyperparameters=None,
                seed=None, max_retries=1, max_failures=3):
    """The oracle of `kind` with a lease on each running trial."""
    base = ORACLES[kind]
    if kind == "bayesian":
        try:
            import sklearn  # noqa: F401  (keras-tuner's Gaussian process needs it)
        except ImportError:
            from pipeline.core.errors import UsageError

            raise UsageError("--tuner bayesian: needs scikit-learn "
                             "(pip install scikit-learn)") from None
    cls = type(f"Leased{base.__name__}", (liveness.LeasedOracle, base), {})
    # keras-tuner reads a seed of 0 as none and draws one at random, so 0,
    # like every other seed, is shifted by one: each seed its own search.
    common = dict(objective=objective, hyperparameters=hyperparameters,
                  seed=None if seed is None else seed + 1,
                  max_retries_per_trial=max_retries, max_consecutive_failed_trials=max_failures)
    if kind == "hyperband":
        oracle = cls(max_epochs=max_epochs, factor=3, **common)
        oracle.max_trials = max_trials  # Hyperband stops on its own otherwise
        return oracle
    return cls(max_trials=max_trials or 10, **common)


def make_tuner(kind, hypermodel, directory, *, max_trials=None, hyperparameters=None, seed=None,
               max_retries=1, max_failures=3, distribution_strategy=None,
               lease_seconds=120.0, executions_per_trial=1):
    """A tuner of `kind` (one of `KINDS`) over `hypermodel`, its state in
    `directory/<kind>/` (reloaded when there).

    Args:
        kind: `"random"`, `"hyperband"` or `"bayesian"`.
        hypermodel: a `tuning.hypermodel.TaskHyperModel`.
        directory: where the search state lives.
        max_trials: trials to run (Hyperband: at most; default its schedule).
        hyperparameters: a `HyperParameters` of `Fixed` values to impose.
        seed: the search's seed (any integer; the oracle gets `seed + 1`).
        max_retries: reruns of a trial that raised or whose worker died,
            before it is marked failed.
        max_failures: consecutive failed trials that stop the search.
        distribution_strategy: a `tf.distribute.Strategy` for every trial.
        lease_seconds: seconds without a worker's heartbeat after which the
            chief ends its trial (distributed searches only).
        executions_per_trial: trainings averaged per trial.
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}. Received: kind={kind}")
    oracle = make_oracle(kind, hypermodel.objective, max_trials=max_trials,
                         max_epochs=hypermodel.base_config["train"]["epochs"],
                         hyperparameters=hyperparameters, seed=seed, max_retries=max_retries,
                         max_failures=max_failures)
    cls = HyperbandTuner if kind == "hyperband" else Tuner
    tuner = cls(oracle, hypermodel, directory=directory, project_name=kind,
                distribution_strategy=distribution_strategy,
                executions_per_trial=executions_per_trial)
    tuner.lease_seconds = lease_seconds
    return tuner
