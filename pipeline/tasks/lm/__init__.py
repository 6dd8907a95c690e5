"""The LM task: a character language model next to an n-gram baseline.

The model (`model`) reads the text as contiguous streams (`inputs`) with
teacher forcing and truncated backpropagation through time, carrying its
state from one batch to the next. Evaluation (`evaluation`) reports bits
per character on the test split beside an order-5 character n-gram with
Kneser-Ney smoothing (`models.classical.ngram`) fitted on the same
training text in the same run. Generation (`server`, `generate`) samples
one character at a time with temperature and top-k from stateless seeds,
in Python and in the SavedModel export.

The conditional demo (`conditional`; Xiaogang Wang, "Recurrent Neural
Network", CUHK 2019, slide 23) trains a second, small model on the words
of the language-identification data with the one-hot language as a fixed
vector, given as the initial state, as an extra input at every step, or
both (`conditional.mode`); `python -m pipeline.generate --language fr`
samples words of one language. See this folder's README.md.
"""
