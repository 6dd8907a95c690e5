"""What the tuning tests share besides fixtures."""

#: Hyperparameters held cheap in the tests that train (the rest stay searched).
CHEAP = {"encoder": "recurrent", "cell": "gru", "units": 16, "encoder_layers": 1,
         "bidirectional": False, "attention": "luong", "window": "global"}


def fix_flags(values):
    """`--fix name=value` flags of `tuning.search` for `values`."""
    flags = []
    for name, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        flags += ["--fix", f"{name}={text}"]
    return flags
