"""Two processes that prepare the same embedded dataset at once (two first
runs started together) both get it, instead of the later one failing on
TFDS' rename of its finished copy."""

import threading

from pipeline.data import builders
from pipeline.tasks.forecast import dataset  # noqa: F401  (registers statsmodels_series)


def test_concurrent_first_prepares_both_succeed(tmp_path):
    # Threads open the lock file separately, so they exclude each other as
    # two processes would (flock locks belong to the open file).
    barrier, errors, sizes = threading.Barrier(3), [], []

    def prepare():
        barrier.wait()
        try:
            builder = builders.prepare_builder("statsmodels_series", str(tmp_path),
                                               config="sunspots")
            sizes.append(builder.info.splits["train"].num_examples)
        except Exception as error:  # noqa: BLE001  (collected for the assertion)
            errors.append(error)

    threads = [threading.Thread(target=prepare) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(sizes) == 3 and len(set(sizes)) == 1
    assert not list(tmp_path.rglob("incomplete*"))
