"""The G2P task's predict stage: one line a word."""

from pipeline.tasks.g2p.decoding import predict_words


def predict_lines(config, run_dir, words):
    """`word<TAB>phonemes<TAB>score` lines for `words`."""
    return [f"{w}\t{p}\t{s:.3f}" for w, p, s in predict_words(config, run_dir, words)]
