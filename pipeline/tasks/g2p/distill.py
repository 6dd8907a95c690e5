"""Sequence-level knowledge distillation for G2P (`--set distill.teacher=EXPORT`).

A student network learns the pronunciations a teacher system gives the
training words instead of (or beside) the dictionary's: sequence-level
knowledge distillation (Kim and Rush 2016, "Sequence-Level Knowledge
Distillation", section 3.2: train on the teacher's beam-search output).
The teacher's answers are one consistent pronunciation a word, which a
single network learns more easily than the dictionary's variants (the
figures: the G2P README, "Distillation").

The teacher is any G2P export of `pipeline.export`: one run, an ensemble,
rescoring runs, the learned reranker with its joint-sequence model. The
train stage asks its `serving_default` signature for every training word
(never a validation or test word) and keeps the answers in
`<run-dir>/distill/teacher_targets.tsv` (`word<TAB>phonemes`), with
`teacher.json` naming the export. The answers are appended batch by batch
to a `.partial` file and renamed into place when complete, so a killed
run resumes where it stopped; a later run with the same teacher reads them
back; another teacher starts them over.

`distill.references=true` trains on the references and the teacher's
answer together (a word keeps its dictionary pronunciations, and the
teacher's joins them when it differs).

`--set distill.extra_words=N` enlarges the transfer set: the teacher also
answers the N most frequent English words of the installed `wordfreq`
list that the data lack in every split (so no validation or test word
reaches it), spelled with the training graphemes only, and the student
learns those answers too. The student matches its teacher better the more
inputs it sees the teacher's function on (Stanton et al. 2021, "Does
Knowledge Distillation Really Work?", section 5; Kim and Rush 2016 train
on the teacher's outputs, not the references, which is what makes words
without references usable).

`--set distill.soft_runs=RUN[,RUN...]` adds word-level distillation: the
trained models of those runs (the student's direction, the same prepared
data) read every training batch, teacher-forced, and the mean of their
per-step distributions becomes a soft target beside the hard one
(`models.losses.DistillationCrossentropy`, weight `distill.soft_weight`;
Kim and Rush 2016 eq. (4); Sun et al. 2019 average several teachers).
"""

import json
import os

import keras

from pipeline.core import atomic
from pipeline.core.errors import UsageError
from pipeline.core.rundir import file_digest
from pipeline.tasks.g2p.scoring import strip_stress

DIRECTORY = "distill"
TARGETS = "teacher_targets.tsv"
#: the words sent to the teacher at once
BATCH = 256


def teacher_identity(export):
    """`{"export": abs path, "saved_model": sha256 of saved_model.pb}`, what
    makes a file of teacher targets stale when it changes."""
    return {"export": os.path.abspath(export),
            "saved_model": file_digest(os.path.join(export, "saved_model.pb"))}


def check_teacher(export, config):
    """Raises a UsageError naming `--set distill.teacher` unless `export` is
    a G2P export whose answers fit the run (stress kept when the run keeps
    it); returns the export's metadata."""
    flag = f"--set distill.teacher={export}"
    path = os.path.join(export, "assets.extra", "metadata.json")
    if not os.path.exists(os.path.join(export, "saved_model.pb")) or not os.path.exists(path):
        raise UsageError(f"{flag}: not an export of pipeline.export (no saved_model.pb and "
                         "assets.extra/metadata.json); give a directory like saved/g2p/1")
    with open(path, encoding="utf-8") as handle:
        metadata = json.load(handle)
    if metadata.get("task") != "g2p":
        raise UsageError(f"{flag}: an export of the {metadata.get('task')} task; give a G2P "
                         "export")
    if metadata.get("stress", "keep") == "strip" and config["g2p"]["stress"] == "keep":
        raise UsageError(f"{flag}: the teacher answers without stress; train the student "
                         "with --set g2p.stress=strip")
    return metadata


def read_targets(path):
    """`{word: phonemes}` of a targets file; a last line cut short by a kill
    (no newline) is left out."""
    targets = {}
    if not os.path.exists(path):
        return targets
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            word, _, phonemes = line.rstrip("\n").partition("\t")
            targets[word] = phonemes
    return targets


def extra_words(count, known, graphemes, max_length, pool=400_000):
    """The first `count` words of `wordfreq`'s English list (most frequent
    first, among its `pool` most frequent) that are not in `known`, are
    at most `max_length` characters long, and are spelled with
    `graphemes` only; fewer if the list runs out."""
    if count == 0:
        return []
    import wordfreq

    alphabet = set(graphemes)
    out = []
    for word in wordfreq.top_n_list("en", pool):
        if word not in known and len(word) <= max_length and set(word) <= alphabet:
            out.append(word)
            if len(out) == count:
                break
    return out


def teacher_targets(config, run_dir, words):
    """`{word: phonemes}`, the teacher export's answer for every word of
    `words`, read from the run directory or asked for (resumably, with a
    progress bar) and written there."""
    import tensorflow as tf

    export = config["distill"]["teacher"]
    check_teacher(export, config)
    directory = os.path.join(run_dir, DIRECTORY)
    path = os.path.join(directory, TARGETS)
    identity = teacher_identity(export)
    identity_path = os.path.join(directory, "teacher.json")
    recorded = None
    if os.path.exists(identity_path):
        with open(identity_path, encoding="utf-8") as handle:
            recorded = json.load(handle)
    if recorded != identity:  # another teacher (or none yet): start over
        for stale in (path, f"{path}.partial"):
            if os.path.exists(stale):
                os.remove(stale)
        atomic.write_json(identity_path, identity)
    targets = read_targets(path)
    if set(words) <= set(targets):
        return {word: targets[word] for word in words}
    partial = f"{path}.partial"
    if targets:  # complete for fewer words (distill.extra_words grew): keep its answers
        if os.path.exists(partial):
            _drop_cut_line(partial)
        with open(partial, "a", encoding="utf-8") as handle:
            handle.writelines(f"{word}\t{answer}\n" for word, answer in targets.items())
        os.remove(path)
    targets = read_targets(partial)
    missing = [word for word in words if word not in targets]
    serve = tf.saved_model.load(export).signatures["serving_default"]
    print(f"teacher targets from {export} -> {path}")
    bar = keras.utils.Progbar(len(words), unit_name="word")
    bar.update(len(words) - len(missing))
    if os.path.exists(partial):
        _drop_cut_line(partial)
    with open(partial, "a", encoding="utf-8") as handle:
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            answers = serve(words=tf.constant(chunk))["phonemes"].numpy()
            lines = [f"{word}\t{phonemes.decode()}\n"
                     for word, phonemes in zip(chunk, answers, strict=True)]
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
            targets.update(line.rstrip("\n").split("\t", 1) for line in lines)
            bar.add(len(chunk))
    os.replace(partial, path)
    return {word: targets[word] for word in words}


def _drop_cut_line(path):
    """Truncates `path` after its last newline (a kill may cut a line)."""
    with open(path, "rb+") as handle:
        handle.truncate(handle.read().rfind(b"\n") + 1)


def distilled(config, run_dir, train, phonemes, extra=()):
    """The training entries `{word: [pronunciation, ...]}` with the teacher's
    answers: each word's answer alone, or with `distill.references` added
    to its references; words the teacher leaves empty keep their
    references. The words of `extra` (no references) join with the
    teacher's answer, unless it is empty. Without stress when the run
    strips it. A phoneme outside the run's vocabulary `phonemes` is a
    UsageError (another phone set)."""
    targets = teacher_targets(config, run_dir, sorted(train) + list(extra))
    if config["g2p"]["stress"] == "strip":
        targets = {w: " ".join(strip_stress(p.split())) for w, p in targets.items()}
    known = set(phonemes)
    for word, answer in targets.items():
        unknown = set(answer.split()) - known
        if unknown:
            raise UsageError(f"--set distill.teacher: the teacher answers {word!r} with "
                             f"{' '.join(sorted(unknown))}, outside this run's phonemes; "
                             "give a teacher trained on the same data")
    out = {}
    for word, references in train.items():
        answer = targets[word]
        if not answer:
            out[word] = references
        elif config["distill"]["references"]:
            out[word] = [*references, *([answer] if answer not in references else [])]
        else:
            out[word] = [answer]
    for word in extra:
        if targets[word]:
            out[word] = [targets[word]]
    return out


def with_soft_targets(config, run_dir, vocabularies, train_batches):
    """`train_batches` whose targets `[B, T]` become `[B, T, 1 + V]`: the
    target id, then the mean distribution of the models of
    `distill.soft_runs` (teacher-forced on the same batch, in inference
    mode), what `DistillationCrossentropy` reads."""
    import tensorflow as tf

    from pipeline.core import ensemble as ensemble_lib
    from pipeline.tasks.g2p import decoding

    runs = ensemble_lib.parse_runs(config["distill"]["soft_runs"])
    teachers = ensemble_lib.load_others(runs, run_dir, vocabularies, decoding.load_trained,
                                        flag="distill.soft_runs", task="g2p")
    for run in runs:
        if decoding.trained_direction(run) != config["g2p"]["direction"]:
            raise UsageError(f"--set distill.soft_runs: {run} was trained with g2p.direction="
                             f"{decoding.trained_direction(run)}, this run reads "
                             f"{config['g2p']['direction']}; give runs of the same direction")
    for teacher in teachers:
        teacher.trainable = False

    def add(features, targets):
        probs = [tf.nn.softmax(tf.cast(t(features, training=False), tf.float32))
                 for t in teachers]  # each [B, T, V]
        mean = tf.add_n(probs) / len(probs)
        return features, tf.concat([tf.cast(targets, tf.float32)[..., None], mean], axis=-1)

    return train_batches.map(add)
