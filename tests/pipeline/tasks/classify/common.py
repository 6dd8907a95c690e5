"""What the classify tests share."""

import tensorflow_datasets as tfds

#: `tfds.testing.mock_data` arguments of the `tfds:imdb_reviews` tests (mocked
#: catalog data: no network here).
MOCK = {"num_examples": 60, "policy": tfds.testing.MockPolicy.USE_CODE}
