"""The G2P task's serving export: the run's `G2PServer` with the configured
decoding as a SavedModel (`serving_default`: words in, pronunciations and
scores out), its metadata, and its answers read back."""

import json
import os

import tensorflow as tf

from pipeline.core import export as export_lib
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p.decoding import make_served

SAMPLE_WORDS = ["hello", "world", "pronunciation", "tensorflow", "keras", "recurrent"]


#: The most words the export decodes at once: a larger request is answered
#: in slices of this many words, so its memory does not grow with its size.
SERVING_CHUNK = 256


def serving_endpoint(server, chunk=SERVING_CHUNK):
    """The `serving_default` function: `words [B]` -> `{"phonemes", "score"}`,
    decoded `chunk` words at a time (`pipeline.core.export.chunked`)."""

    def answer(words):
        phonemes, score = server(words)
        return {"phonemes": phonemes, "score": score}

    return tf.function(export_lib.chunked(answer, chunk, batched=("words",)),
                       input_signature=[tf.TensorSpec([None], tf.string, name="words")],
                       autograph=False)


def export(config, run_dir, directory):
    """Writes the SavedModel of a trained run into `directory` (which must not
    exist; the caller renames it into place). Returns the metadata dict."""
    g2p_data.check_prepared(config, run_dir)
    server = make_served(config, run_dir)
    export_lib.write_archive(directory,
                             [*server.models, *server.rerank_models, server.chars,
                              server.phones, server.phone_names,
                              *([server.joint] if server.joint is not None else [])],
                             {"serving_default": serving_endpoint(server)})
    return {"model": server.model.get_config(), "decode": dict(config["decode"]),
            "ensemble": {**config["ensemble"],
                         "models": [m.get_config() for m in server.models[1:]]},
            "inputs": {"words": "string [B]"},
            "rerank": {"weight": config["rerank"]["weight"],
                       "propose": config["rerank"]["propose"],
                       "models": [m.get_config() for m in server.rerank_models],
                       "directions": ["r2l" if r != server.reverse else "l2r"
                                      for r in server.rerank_reverse],
                       "learned": learned_metadata(config, run_dir)},
            "direction": "r2l" if server.reverse else "l2r",
            "stress": config["g2p"]["stress"],
            "outputs": {"phonemes": "string [B], space-separated ARPAbet"
                                    + (" without stress" if config["g2p"]["stress"] == "strip"
                                       else ""),
                        "score": "float32 [B], length-normalised log-probability"}}


def learned_metadata(config, run_dir):
    """The export's record of the learned reranker: its `rerank.json`
    (features, weights, joint-sequence order), or None without one."""
    if not config["rerank"]["learned"]:
        return None
    with open(os.path.join(run_dir, "rerank.json"), encoding="utf-8") as handle:
        return json.load(handle)


def show_export(path, config, run_dir):
    """Prints the export's answers for `SAMPLE_WORDS`, read back from the
    SavedModel as a TF Serving client gets them."""
    serve = tf.saved_model.load(path).signatures["serving_default"]
    answers = serve(words=tf.constant(SAMPLE_WORDS))
    print("answers of the export:")
    for word, phonemes, score in zip(SAMPLE_WORDS, answers["phonemes"].numpy(),
                                     answers["score"].numpy(), strict=True):
        print(f"  {word:<15} {phonemes.decode():<40} {score:7.3f}")
