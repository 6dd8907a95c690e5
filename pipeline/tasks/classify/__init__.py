"""The classify task: many-to-one text classification (docs/architecture.md
section 3).

Texts are read as characters or words (`classify.unit`), embedded, encoded by
a bidirectional `models.Recurrent` stack and pooled to one vector (last
state or attention) before a softmax layer (`models.classifier`; `model`).
Default data: which of ten languages a word belongs to (`dataset`, the
`wordfreq_langid` builder); `--data tfds:imdb_reviews` (prepared beforehand)
or a TSV/CSV `text,label` file for anything else (`data`).

Evaluation (`evaluation`, `scoring`) reports accuracy and macro-F1 on the
test split, a confusion matrix PNG (`plots`), and baselines fitted on the
same training split in the same run: the majority class, multinomial naive
Bayes (`models.classical.naive_bayes`), logistic regression over TF-IDF
n-grams (`models.classical.linear_ngram`, range and C chosen on
validation) and, for characters, a Kneser-Ney character model per class
(`models.classical.ngram_lm_classifier`, order chosen on validation), all
over the same tokens the network reads (cut to the same
`data.max_length`); and the network's probabilities averaged with these
models', the weights chosen on validation (without the network: the
classical combination, a baseline). With `model.ngram_order`,
hashed n-gram embeddings are added to the token embeddings (`inputs`).
The export (`server`) serves texts in, a label and the class probabilities
out. See this folder's README.md.
"""
