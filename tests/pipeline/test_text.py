"""`pipeline.data.text`: the lower-casing that training and exports share."""

import tensorflow as tf

from pipeline.data import text


def test_lower_is_unicode_aware_and_keeps_what_follows_a_nul():
    words = tf.constant(["HeLLo", "\x00x", "A\x00\x00B", "NAÏVE", ""])
    lowered = [w.decode("utf-8") for w in text.lower(words).numpy()]
    assert lowered == ["hello", "\ufffdx", "a\ufffd\ufffdb", "naïve", ""]


def test_tensorflow_still_ends_a_text_at_nul():
    """Why `lower` replaces NUL: when TensorFlow's own lower-casing keeps
    the characters after a NUL, this test fails and the replacement can go."""
    assert tf.strings.lower(tf.constant(["\x00x"]), encoding="utf-8").numpy().tolist() == [b""]
