"""Command-line entry points: each module parses arguments and calls the library, nothing more.

rasa-electra COMMAND [ARGS]          (console script; `python -m rasa_electra.cli COMMAND`)
python -m rasa_electra.cli.COMMAND [ARGS]   (the same, one module; the pretraining and GPU
                                              environments use this form)
"""

COMMANDS = {
    # data and evaluation (Rasa environment)
    "convert": "GSD BIO release → Rasa YAML + markdown, checked by reading back",
    "md2yaml": "Rasa 1.x/2.x markdown NLU data → Rasa 3 YAML",
    "split-data": "a bot's NLU file → train.yml/test.yml, per intent",
    "boundaries": "gold entities a MeCab dictionary's words cannot represent",
    "build-vocab": "WordPiece vocabulary on MeCab words",
    "finetune": "fine-tune a start point on Rasa NLU data; export a SavedModel",
    "parse": "parse a data file through a trained Rasa model and score it",
    "ablation": "the dev ablation table: one row per lever, mean ± std over seeds",
    "score-decoding": "an export's F1 under each decoding, no retraining",
    "soup": "seed fine-tunings of one start point averaged into one export",
    "evaluate": "systems compared through Rasa (the harness)",
    "label-silver": "unlabeled sentences labelled by a teacher Rasa model (self-training)",
    "scoreboard": "docs/results.md's tables from docs/scoreboard.json; record a run",
    "export-formats": "TFLite/ONNX formats of an export, scored against it",
    "benchmark-serving": "latency, throughput and a bounded `rasa run` load test",
    "profile-latency": "per-stage latency inside the component",
    # pretraining (pretraining environment; gpu-pretrain also on the GPU machine)
    "prepare-corpus": "raw Japanese text → a sentence a line, documents apart",
    "make-shards": "tokenize a corpus into token-id shards (all cores)",
    "pack-shards": "shards packed for the trip to a GPU machine",
    "pretrain": "ELECTRA replaced-token detection (Accelerate); export carried weights",
    "gpu-pretrain": "one GPU command: smoke test, speed sweep, training to a deadline",
    "resume-kit": "what a fresh GPU machine resumes from (bf16 weights + pack parts)",
    "ship-encoder": "make a pretrained discriminator the shipped offline encoder",
    "plot-pretraining": "a pretraining run's curves (PNG)",
    "probe-livedoor": "livedoor 9-class probe of a start point",
}
