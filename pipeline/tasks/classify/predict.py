"""The classify task's predict stage: one line a text."""

from pipeline.tasks.classify.server import predict, server_for


def predict_lines(config, run_dir, texts):
    """`text<TAB>label<TAB>probability` lines for `texts`, answered as the
    export answers (the stored combination, when evaluate wrote one)."""
    server, _ = server_for(config, run_dir, combined=True)
    labels, probabilities = predict(server, list(texts))
    return [f"{t}\t{label}\t{p.max():.3f}"
            for t, label, p in zip(texts, labels, probabilities, strict=True)]
