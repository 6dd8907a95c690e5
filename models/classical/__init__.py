"""The non-neural models the tasks compare against: n-gram, joint-sequence,
log-linear reranker, naive Bayes, ARIMA and SETAR, each a module with its
reference."""
