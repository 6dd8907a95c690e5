"""The LM task's predict stage: one continuation a prompt."""

from pipeline.tasks.lm.server import generate, make_server


def escape(text):
    """One printable line: backslash, tab and newline escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def predict_lines(config, run_dir, prompts):
    """`prompt<TAB>continuation` lines (newlines and tabs escaped), with the
    configured `sample.length`, `sample.temperature` and `sample.seed`."""
    s = config["sample"]
    texts = generate(make_server(config, run_dir), list(prompts), s["length"],
                     s["temperature"], s["seed"])
    return [f"{escape(p)}\t{escape(t)}" for p, t in zip(prompts, texts, strict=True)]
