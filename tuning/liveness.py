"""Leases on running trials, so a worker that dies mid-trial loses nothing.

keras-tuner's chief oracle (1.4.8) has no notion of a dead worker: a trial
whose worker was killed stays "RUNNING" in `oracle.ongoing_trials` for ever,
the chief never exits (it waits for every ongoing trial and every worker it
has seen), and only a worker restarted with the same `KERASTUNER_TUNER_ID`
(which gets its unfinished trial back) or a restarted chief (which sends
unfinished trials to the retry queue when it reloads) gets it run.

Here each worker sends a heartbeat while it runs a trial (`Heartbeat`: a
`GetTrial` call to the chief every `timeout / 6` seconds, from a thread),
and the chief's oracle (`LeasedOracle`) keeps a lease per running trial,
renewed by every call about it. A trial whose lease runs out (`expire`,
called by the chief's `Watchdog` thread) ends as `INVALID` with a message
naming the silent worker; keras-tuner then retries it on the next worker
that asks (up to `max_retries_per_trial` retries) or, retries spent, marks it
`FAILED`. Meanwhile a worker that finds no new trial to start while other
trials still run is told to wait (`IDLE`) instead of to stop, so a retried
trial always finds a worker. The lease detects dead processes, not hung
ones: a worker whose training hangs keeps its heartbeat thread alive.

A worker declared dead that was only cut off and comes back would later
report a trial that another worker reruns; keep `timeout` well above the
longest network hiccup (the default is 120 s).
"""

import threading
import time

from keras_tuner.src.engine import trial as trial_module
from keras_tuner.src.engine.oracle import synchronized

RUNNING = trial_module.TrialStatus.RUNNING
STOPPED = trial_module.TrialStatus.STOPPED
IDLE = trial_module.TrialStatus.IDLE
INVALID = trial_module.TrialStatus.INVALID


class LeasedOracle:
    """Mixin before a keras-tuner `Oracle` class: leases on running trials.

    `lease_seconds = None` (the default) disables expiry; the search command
    sets it on the chief.
    """

    lease_seconds = None
    clock = staticmethod(time.monotonic)

    @property
    def _renewed(self):
        if "_renewed_at" not in self.__dict__:
            self._renewed_at = {}
        return self._renewed_at

    def renew(self, trial_id):
        self._renewed[trial_id] = self.clock()

    @synchronized
    def create_trial(self, tuner_id):
        trial = super().create_trial(tuner_id)
        if trial.status == RUNNING:
            self.renew(trial.trial_id)
        elif trial.status == STOPPED and any(t != tuner_id for t in self.ongoing_trials):
            # Another worker's trial may still fail and need a retry: wait.
            self.tuner_ids.add(tuner_id)
            trial = trial_module.Trial(self.get_space(), status=IDLE)
        return trial

    def get_trial(self, trial_id):
        """Also the workers' heartbeat."""
        self.renew(trial_id)
        return super().get_trial(trial_id)

    @synchronized
    def update_trial(self, trial_id, metrics, step=0):
        self.renew(trial_id)
        return super().update_trial(trial_id, metrics, step=step)

    @synchronized
    def end_trial(self, trial):
        """keras-tuner saves the oracle before it forgets the ended trial, so
        a chief's saved state shows it running and a resumed search would
        run it again; save once more after."""
        super().end_trial(trial)
        self.save()

    @synchronized
    def expire(self):
        """Ends every running trial whose lease ran out as `INVALID` (retried
        or failed by keras-tuner's rules) and forgets its worker. Returns
        `[(tuner_id, trial_id)]` of the trials ended."""
        if not self.lease_seconds:
            return []
        now, ended = self.clock(), []
        for tuner_id, trial in list(self.ongoing_trials.items()):
            silent = now - self._renewed.get(trial.trial_id, now)
            if silent <= self.lease_seconds:
                continue
            trial.status = INVALID
            trial.message = (f"worker {tuner_id!r} sent no heartbeat for {silent:.0f} s "
                             f"(lease {self.lease_seconds:g} s) during trial {trial.trial_id}")
            print(f"[chief] {trial.message}; the trial is retried or marked failed", flush=True)
            self.end_trial(trial)
            self.tuner_ids.discard(tuner_id)
            ended.append((tuner_id, trial.trial_id))
        return ended


class Watchdog(threading.Thread):
    """Calls `oracle.expire()` every `interval` seconds, until `stop()`."""

    def __init__(self, oracle, interval):
        super().__init__(name="trial-lease-watchdog", daemon=True)
        self.oracle = oracle
        self.interval = interval
        self.stopped = threading.Event()
        self.error = None

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                self.oracle.expire()
            except Exception as error:  # e.g. too many consecutive failed trials
                self.error = error
                print(f"[chief] {error}", flush=True)

    def stop(self):
        self.stopped.set()


class Heartbeat(threading.Thread):
    """Tells the chief every `interval` seconds that `trial_id` still runs."""

    def __init__(self, oracle, trial_id, interval):
        super().__init__(name=f"heartbeat-{trial_id}", daemon=True)
        self.oracle = oracle
        self.trial_id = trial_id
        self.interval = interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                self.oracle.get_trial(self.trial_id)
            except Exception as error:  # the chief is unreachable: try again later
                print(f"[worker] heartbeat failed: {error}", flush=True)

    def stop(self):
        self.stopped.set()
