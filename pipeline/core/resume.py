"""Resuming a killed training run at any moment: the training state backed
up atomically after every epoch, and restored with the run's history and
its best-checkpoint and early-stopping state.

`keras.callbacks.BackupAndRestore` writes `latest.weights.h5` in place, so
a kill during the write leaves a truncated file that every rerun fails on
(h5py cannot open it). `Resume` writes each backup into a staging folder,
then renames the previous backup to `previous/` and the new one to
`latest/` (Keras' `double_checkpoint` keeps an older copy too, but copies
and writes in place); a backup that cannot be read is reported in one line
and the previous one is used (none: training starts over).

A backup holds the weights and the optimizer's state (`Model.save_weights`),
the number of finished epochs, the history of those epochs (so
`train_history.json`, `history.csv` and the learning curves continue the
epoch numbering of the whole run) and the state of the callbacks in
`carried`: the best value of the best checkpoint, and the best value, wait
and best epoch of early stopping, whose best weights are read back from the
best checkpoint.
"""

import csv
import io
import json
import os
import shutil
import sys
import tempfile

import keras

from pipeline.core import atomic

WEIGHTS = "model.weights.h5"
STATE = "state.json"
#: The early-stopping and checkpoint attributes a backup carries.
CARRIED = ("best", "wait", "best_epoch", "stopped_epoch")


class Resume(keras.callbacks.Callback):
    """Backs up the training state after every epoch and restores it when
    the same training starts again.

    It is the first callback of a fit, so it saves the training weights
    before any callback swaps others in (`keras.callbacks.SwapEMAWeights`),
    and `commit()` is a later one, after the callbacks in `carried`, so the
    backup holds their state at the end of the same epoch.

    Args:
        backup_dir: the folder of the backups (`latest/`, `previous/`),
            removed when training ends.
        carried: callbacks whose `CARRIED` attributes a backup holds
            (`keras.callbacks.EarlyStopping`, `keras.callbacks.ModelCheckpoint`).
        best_weights: the best checkpoint's path; on resume, early stopping
            with `restore_best_weights` takes its best weights from it.
        history_csv: where the whole run's history is written after every
            epoch (None: not written).

    Attributes:
        history: `{metric: [value per epoch]}` of the whole run, resumed
            epochs included.
        initial_epoch: the epochs the restored backup had finished (0 for a
            fresh run).
    """

    def __init__(self, backup_dir, carried=(), best_weights=None, history_csv=None):
        super().__init__()
        self.backup_dir = backup_dir
        self.carried = list(carried)
        self.best_weights = best_weights
        self.history_csv = history_csv
        self.history = {}
        self.initial_epoch = 0
        self._carried_state = None
        self._staging = None
        self._epoch = 0

    # -- restore ---------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self.history, self.initial_epoch, self._carried_state = {}, 0, None
        for name in ("latest", "previous"):
            folder = os.path.join(self.backup_dir, name)
            if not os.path.exists(os.path.join(folder, STATE)):
                continue
            try:
                self._load(folder)
                return
            except Exception as error:  # a truncated or corrupt backup: h5py, JSON, shapes
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                fallback = ("the previous backup" if name == "latest"
                            else "the start of training")
                print(f"notice: backup {folder} cannot be read ({reason[:120]}); resuming "
                      f"from {fallback}", file=sys.stderr)

    def _load(self, folder):
        with open(os.path.join(folder, STATE), encoding="utf-8") as handle:
            state = json.load(handle)
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)  # its variables exist to load into
        self.model.load_weights(os.path.join(folder, WEIGHTS))
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.initial_epoch = int(state["epoch"])
        self._carried_state = state["carried"]
        self.model._initial_epoch = self.initial_epoch  # as BackupAndRestore resumes

    def on_epoch_begin(self, epoch, logs=None):
        self._apply_carried()  # after every callback's on_train_begin has reset itself

    def _apply_carried(self):
        if self._carried_state is None:
            return
        for callback, state in zip(self.carried, self._carried_state, strict=True):
            for name, value in state.items():
                setattr(callback, name, value)
            if getattr(callback, "restore_best_weights", False) and self.best_weights \
                    and os.path.exists(self.best_weights) and state.get("best") is not None:
                current = self.model.get_weights()
                optimizer = self.model.optimizer
                moments = [v.numpy() for v in optimizer.variables] if optimizer else []
                self.model.load_weights(self.best_weights)  # holds the optimizer's state too
                callback.best_weights = self.model.get_weights()
                self.model.set_weights(current)
                for variable, value in zip(optimizer.variables if optimizer else [], moments,
                                           strict=True):
                    variable.assign(value)
        self._carried_state = None

    # -- back up ---------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        """Stages the weights; `commit` (a later callback) records the
        epoch's logs, with what the callbacks between added, and completes
        the backup."""
        os.makedirs(self.backup_dir, exist_ok=True)
        self._discard()
        self._staging = tempfile.mkdtemp(prefix=".staging-", dir=self.backup_dir)
        self.model.save_weights(os.path.join(self._staging, WEIGHTS))
        self._epoch = epoch + 1

    def commit(self):
        """The callback to place after the carried callbacks: it writes the
        backup's state once they have seen the epoch, then renames the staged
        backup to `latest/` and the one before to `previous/`."""
        return _Commit(self)

    def _commit(self, logs):
        if self._staging is None:
            return
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        carried = [{name: _plain(getattr(callback, name)) for name in CARRIED
                    if hasattr(callback, name)} for callback in self.carried]
        atomic.write_json(os.path.join(self._staging, STATE),
                          {"epoch": self._epoch, "history": self.history, "carried": carried})
        latest, previous = (os.path.join(self.backup_dir, name) for name in ("latest", "previous"))
        if os.path.exists(latest):
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(latest, previous)
        os.replace(self._staging, latest)
        self._staging = None
        if self.history_csv:
            write_history_csv(self.history, self.history_csv)

    def _discard(self):
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def on_train_end(self, logs=None):
        self._apply_carried()  # a resumed run that had no epoch left
        self.model._initial_epoch = None
        self._discard()
        shutil.rmtree(self.backup_dir, ignore_errors=True)


class AtomicCheckpoint(keras.callbacks.ModelCheckpoint):
    """`keras.callbacks.ModelCheckpoint` whose file is written under a
    staging name and renamed into place, so a kill during the write leaves
    the previous checkpoint whole (Keras writes it in place; a truncated
    best checkpoint would fail the resume that reads its weights back)."""

    def _save_model(self, epoch, batch, logs):
        final = self.filepath
        directory, name = os.path.split(final)
        staging = os.path.join(directory, f".staging-{name}")  # the same extension
        if os.path.exists(staging):
            os.remove(staging)  # left by a kill; never renamed into place
        self.filepath = staging
        try:
            super()._save_model(epoch, batch, logs)
        finally:
            self.filepath = final
        if os.path.exists(staging):
            os.replace(staging, final)


class _Commit(keras.callbacks.Callback):
    """Completes the backup `Resume` staged, after the carried callbacks."""

    def __init__(self, resume):
        super().__init__()
        self.resume = resume

    def on_epoch_end(self, epoch, logs=None):
        self.resume._commit(logs)


def _plain(value):
    """A JSON value of a callback attribute (NumPy and tensor scalars as floats)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return float(value)


def write_history_csv(history, path):
    """`history` (`{metric: [per epoch]}`) as CSV, one row an epoch numbered
    from 0 as `keras.callbacks.CSVLogger` numbers them, written atomically."""
    keys = sorted(history)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for epoch in range(max((len(v) for v in history.values()), default=0)):
        writer.writerow([epoch, *(history[k][epoch] if epoch < len(history[k]) else ""
                                  for k in keys)])
    atomic.write_text(path, out.getvalue())
