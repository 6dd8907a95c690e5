"""The chief's leases on running trials (`tuning.liveness`): a worker that
goes silent mid-trial has its trial retried by another worker, or marked
failed when its retries are spent; nothing is dropped and the chief can
finish. The oracle is driven directly, with a fake clock."""

import keras_tuner
import pytest

from tuning.tuners import make_oracle


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def oracle(tmp_path, max_trials=2, max_retries=1, lease=10.0):
    hp = keras_tuner.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    chief = make_oracle("random", keras_tuner.Objective("val_wer", "min"), max_trials=max_trials,
                        hyperparameters=hp, seed=0, max_retries=max_retries)
    chief._set_project_dir(str(tmp_path), "random")
    chief.lease_seconds = lease
    chief.clock = Clock()
    return chief


def finish(chief, trial, value=0.5):
    chief.update_trial(trial.trial_id, {"val_wer": value})
    trial.status = "COMPLETED"
    chief.end_trial(trial)


def test_silent_worker_trial_is_retried_by_another(tmp_path):
    chief = oracle(tmp_path)
    dead = chief.create_trial("worker0")
    alive = chief.create_trial("worker1")
    chief.clock.now = 8.0
    chief.get_trial(alive.trial_id)  # worker1's heartbeat
    assert chief.expire() == []
    chief.clock.now = 12.0
    assert chief.expire() == [("worker0", dead.trial_id)]
    assert chief.trials[dead.trial_id].status == "INVALID"
    assert "worker0" in chief.trials[dead.trial_id].message
    assert "worker0" not in chief.tuner_ids
    finish(chief, alive)
    retried = chief.create_trial("worker1")  # the retry queue comes first
    assert retried.trial_id == dead.trial_id and retried.status == "RUNNING"
    finish(chief, retried)
    assert chief.create_trial("worker1").status == "STOPPED"
    assert {t.status for t in chief.trials.values()} == {"COMPLETED"}
    assert chief._run_times[dead.trial_id] == 2
    assert not chief.ongoing_trials and not chief.tuner_ids  # the chief may exit


def test_saved_state_forgets_ended_trials(tmp_path):
    """A resumed chief must not run a finished trial again."""
    import json

    chief = oracle(tmp_path)
    finish(chief, chief.create_trial("worker0"))
    with open(tmp_path / "random" / "oracle.json", encoding="utf-8") as handle:
        assert json.load(handle)["ongoing_trials"] == {}


def test_retries_spent_marks_the_trial_failed(tmp_path):
    chief = oracle(tmp_path, max_trials=1, max_retries=0)
    trial = chief.create_trial("worker0")
    chief.clock.now = 11.0
    chief.expire()
    assert chief.trials[trial.trial_id].status == "FAILED"
    assert chief.create_trial("worker1").status == "STOPPED"


def test_no_new_trial_means_wait_while_others_run(tmp_path):
    """A worker finding the trial budget spent while another trial runs is
    told to wait (IDLE), so that a retry of that trial finds a worker."""
    chief = oracle(tmp_path, max_trials=2)
    first = chief.create_trial("worker0")
    second = chief.create_trial("worker1")
    finish(chief, second)
    assert chief.create_trial("worker1").status == "IDLE"
    assert "worker1" in chief.tuner_ids
    finish(chief, first)
    assert chief.create_trial("worker1").status == "STOPPED"
    assert chief.create_trial("worker0").status == "STOPPED"
    assert not chief.tuner_ids


def test_no_lease_no_expiry(tmp_path):
    chief = oracle(tmp_path, lease=None)
    chief.create_trial("worker0")
    chief.clock.now = 1e9
    assert chief.expire() == []


@pytest.mark.parametrize("kind", ["random", "hyperband", "bayesian"])
def test_every_kind_gives_trials_of_the_g2p_space(kind, tmp_path):
    """The three tuners build on the G2P space without building models, and
    their first trial holds a value for every active hyperparameter."""
    from pipeline.core import registry
    from pipeline.core.config import resolve
    from tuning.search import hypermodel_of
    from tuning.tuners import make_tuner

    hypermodel = hypermodel_of(registry.get("g2p"), resolve("g2p", "smoke"), str(tmp_path))
    tuner = make_tuner(kind, hypermodel, str(tmp_path), max_trials=3, seed=1)
    trial = tuner.oracle.create_trial("tuner0")
    assert trial.status == "RUNNING"
    assert {"cell", "attention", "learning_rate", "batch_size"} <= set(trial.hyperparameters.values)
    if kind == "hyperband":
        assert trial.hyperparameters.values["tuner/epochs"] == 1
