"""The lab's commands: ``python -m lab COMMAND [ARGS]`` from the repository root (the
pretraining environment and the GPU machine run ``python -m lab.cli.COMMAND``)."""

from rasa_electra.quiet import quiet_third_party

quiet_third_party()  # as the product's commands: every lab command module imports this first

COMMANDS = {
    # experiments on top of the product (Rasa environment)
    "small-data": "the small-data benchmark's files: GSD samples under a user's label names",
    "ablation": "the dev ablation table: one row per lever, mean ± std over seeds",
    "score-decoding": "an export's F1 under each decoding, no retraining",
    "score-join": "ELECTRA joined with a CRF at decoding, at several weights, no retraining",
    "soup": "seed fine-tunings of one start point averaged into one export",
    "entity-memory": "an export given the entity labels of a training file",
    "label-silver": "unlabeled sentences labelled by a teacher Rasa model (self-training)",
    "adapt-encoder": "a self-trained export's encoder as the shipped start point (pretrained/)",
    "profile-latency": "per-stage latency inside the component",
    "build-vocab": "WordPiece vocabulary on MeCab words",
    "strip-entities": "an NLU file with its entities removed (what annotate is scored on)",
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
