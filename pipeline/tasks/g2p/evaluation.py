"""The G2P task's evaluate stage: the words of a split decoded and scored,
and the inference that `pipeline.compare` times."""

import tensorflow as tf

from pipeline.core import atomic, evaluation
from pipeline.tasks.g2p import data as g2p_data
from pipeline.tasks.g2p import decoding, scoring
from pipeline.tasks.g2p.plots import plot_alignments


def evaluate(config, run_dir, data=None, data_dir=None, split="test", plot_words=4):
    """Decodes the test split (or `split`) and writes `metrics.json` and
    attention plots (`pipeline.core.evaluation.output_dir`).

    Returns the metrics dict: WER and PER with stress kept and removed
    (docs/architecture.md section 3), the number of words, the n-best
    oracle WER (the words none of the search's `nbest` hypotheses gets
    right), and a sample of errors. A model trained without stress
    (`g2p.stress=strip`) has no stress-kept scores: `wer` and `per` are None.
    """
    g2p_data.check_prepared(config, run_dir)
    all_splits = g2p_data.load_splits(config, data, data_dir)
    entries = all_splits[split]
    if config["rerank"]["learned"]:
        from pipeline.tasks.g2p import reranker

        server = decoding.make_server(config, run_dir,
                                      reranker.unfitted(config, run_dir, all_splits))
        nbest = reranker.rerank(config, run_dir, server, all_splits, split)
    else:
        server = decoding.make_server(config, run_dir)
        nbest = decoding.predict_nbest(server, sorted(entries))
    model, vocabularies = server.model, g2p_data.load_vocabularies(run_dir)
    predictions = {word: hypotheses[0] for word, hypotheses in nbest.items()}
    metrics = scoring.score_all(predictions, entries)
    # the n-best oracle: what reranking the search's lists could reach at best
    metrics["nbest"] = max(len(hypotheses) for hypotheses in nbest.values())
    metrics["oracle_wer"] = scoring.oracle_wer(nbest, entries)
    metrics["oracle_wer_no_stress"] = scoring.oracle_wer(nbest, entries, stress=False)
    stress = config["g2p"]["stress"] == "keep"
    if not stress:
        metrics.update(wer=None, per=None, oracle_wer=None)
    metrics["errors"] = scoring.errors(predictions, entries, 20, stress=stress)
    metrics["decode"] = dict(config["decode"])
    metrics["split"] = split
    atomic.write_json(evaluation.metrics_path(run_dir, split), metrics)
    plot_alignments(model, vocabularies, sorted(entries)[:plot_words], predictions,
                    evaluation.plots_dir(run_dir, split))
    return metrics


def inference_batch(config, run_dir, data=None, data_dir=None, count=256):
    """`(infer, count)`: a function that decodes `count` test words with the
    configured decoding, for `pipeline.compare`'s inference timing."""
    entries = g2p_data.load_splits(config, data, data_dir)["test"]
    words = tf.constant(sorted(entries)[:count])
    server = decoding.make_server(config, run_dir)
    return (lambda: server(words)), int(words.shape[0])
