"""The G2P task: English words to ARPAbet pronunciations.

The embedded data is the CMU Pronouncing Dictionary (`dataset`, `data`);
the model an attentive encoder-decoder (`models.seq2seq.Seq2Seq`, `model`)
trained with teacher forcing (`inputs`); the answers come from one
TensorFlow graph, `server.G2PServer` (preprocessing, beam search, an
ensemble, rescoring in both directions (`rescoring`) and the learned
reranker (`reranker`)), which the export serves (`export`). Scores are WER
and PER with stress kept and removed (`scoring`). See this folder's
README.md.
"""
