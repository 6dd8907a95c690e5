"""Unicode-aware text ops that training and every export share."""

import tensorflow as tf

#: What a NUL character becomes before lower-casing: U+FFFD, the Unicode
#: replacement character (out of every vocabulary, as NUL is).
NUL_STAND_IN = "\ufffd"


def lower(texts):
    """Lower-cases string texts `[...]` (Unicode aware; invalid UTF-8 bytes
    become U+FFFD).

    `tf.strings.lower(..., encoding="utf-8")` ends a text at its first NUL
    character (`"\\x00x"` -> `""`), so NUL is replaced by `NUL_STAND_IN`
    first and every character after it is kept.
    """
    texts = tf.strings.regex_replace(texts, "\\x00", NUL_STAND_IN)
    return tf.strings.lower(texts, encoding="utf-8")
