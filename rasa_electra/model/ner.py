"""``ner.create`` → ``NerModel`` (evaluate, predict, export): the top-down fine-tuning flow.

load (spec, DataLoader) → align labels (features.encode) → train (training.train, dev-selected)
→ evaluate (span-level, on characters) → export (export.export_saved_model).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rasa_electra import defaults
from rasa_electra.data.alignment import count_misaligned
from rasa_electra.data.entity_memory import EntityMemory
from rasa_electra.data.span_metrics import score_spans, summarize_trials
from rasa_electra.data.spans import Example
from rasa_electra.data.viterbi import Decoder, Transitions
from rasa_electra.model import features
from rasa_electra.model.checkpoint import History
from rasa_electra.model.crf import CrfScores
from rasa_electra.model.data_loader import DataLoader
from rasa_electra.model.head import continue_scores
from rasa_electra.model.model_spec import ModelSpec
from rasa_electra.model.tf_runtime import deterministic, make_strategy, reseed
from rasa_electra.model.training import train
from rasa_electra.model.training_config import TrainingConfig
from rasa_electra.model.word_features import FeatureTables, FeatureVariables, FeatureVocab

logger = logging.getLogger(__name__)


@dataclass
class NerModel:
    """A fine-tuned token classifier with everything needed to predict spans on raw text."""

    spec: ModelSpec
    model: Any  # a transformers TF*ForTokenClassification
    labels: list[str]
    config: TrainingConfig
    history: History = field(default_factory=History)
    unrepresentable_train: int = 0
    scores: dict[str, dict] = field(default_factory=dict)  # "dev"/"test" → evaluate() output
    decoding: str = defaults.DECODING
    crf: Any = None  # model.crf.CrfScores when the head is a CRF
    word_features: Any = None  # model.word_features.FeatureVariables when trained with them
    memory: EntityMemory | None = None  # the training data's labels, relabelling decoded spans

    @property
    def transitions(self) -> Transitions | None:
        return self.crf.to_transitions() if self.crf is not None else None

    @property
    def feature_tables(self) -> FeatureTables | None:
        return self.word_features.to_tables() if self.word_features is not None else None

    @property
    def decoder(self) -> Decoder:
        """How the model's word probabilities become tags, as its export will decode them."""
        return Decoder(tuple(self.labels), self.transitions, self.decoding, self.config.o_bias)

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Label probabilities for a padded batch (the same maths the export serves)."""
        return self._serving_fn()(**{k: inputs[k] for k in features.INPUT_NAMES})[
            "probabilities"
        ].numpy()

    def _serving_fn(self):
        if not hasattr(self, "_serving"):
            from rasa_electra.model.export import serving_function

            self._serving = serving_function(self.model)
        return self._serving

    def predict(self, texts: Sequence[str] | Sequence[Example]) -> list[Example]:
        examples = [t if isinstance(t, Example) else Example(t) for t in texts]
        return features.predict(
            examples, self.spec.tokenizer, self.decoder, self.run, self.spec.max_seq_length,
            self.config.eval_batch_size, word_features=self.feature_tables, memory=self.memory,
        )  # fmt: skip

    def evaluate(self, data: DataLoader | Sequence[Example]) -> dict[str, Any]:
        """Span-level micro and per-label P/R/F1, plus how many gold spans the words cannot hold."""
        gold = list(data)
        scores = score_spans(gold, self.predict(gold))
        words = self.spec.tokenizer.words
        misaligned = count_misaligned(gold, words.offsets)
        return {
            "micro": scores.micro.as_dict(),
            "per_label": {label: s.as_dict() for label, s in scores.per_label.items()},
            "unrepresentable": misaligned.misaligned,
            "entities": misaligned.entities,
        }

    def export(self, directory: str | Path, saved_model: bool = True, **card: Any) -> Path:
        from rasa_electra.model.export import export_saved_model

        return export_saved_model(self, Path(directory), card, saved_model)


def create(
    train_data: DataLoader,
    model_spec: ModelSpec | None = None,
    validation_data: DataLoader | None = None,
    config: TrainingConfig | None = None,
    checkpoint_dir: Path | None = None,
    **settings: Any,
) -> NerModel:
    """Fine-tune the spec's encoder on ``train_data``; select the epoch on ``validation_data``.
    ``config``'s settings, with any ``TrainingConfig`` field given by name over them
    (``epochs=3``). ``checkpoint_dir`` keeps each epoch's state, and a rerun resumes from it."""
    spec = model_spec or train_data.spec
    config = replace(config or TrainingConfig(), **settings)
    labels = spec.tags(train_data.tag_labels)
    tokenized = [spec.tokenizer.tokenize(example.text) for example in train_data.examples]
    vocab = FeatureVocab.build(tokenized, config.word_features) if config.word_features else None
    encoded = features.encode(
        train_data.examples, spec.tokenizer, {label: i for i, label in enumerate(labels)},
        spec.max_seq_length, spec.label_scheme, tokenized=tokenized, feature_vocab=vocab,
    )  # fmt: skip
    if encoded.unrepresentable:
        logger.warning(
            "%d of %d training entities do not start and end on word boundaries and are "
            "trained as O (see NerModel.unrepresentable_train)",
            len(encoded.unrepresentable), sum(len(e.spans) for e in train_data),
        )  # fmt: skip
    strategy = make_strategy(config.distribute)
    init_seed = config.seed if config.init_seed is None else config.init_seed
    with deterministic(init_seed):
        with strategy.scope():  # variables are created once per replica device
            model = spec.build_model(labels, config.dropout, config.keep_layers)
            crf = CrfScores(labels) if config.head == "crf" else None
            word_features = FeatureVariables(vocab, len(labels)) if vocab else None
        if config.continue_scores:
            tables = continue_scores(spec, labels, crf, word_features)
            spec.notes.append(f"the start point's head scores: {tables} tables continued")
        if init_seed != config.seed:
            reseed(config.seed)  # dropout and every later draw: the run's own
        ner_model = NerModel(
            spec, model, labels, config, unrepresentable_train=len(encoded.unrepresentable),
            crf=crf, word_features=word_features, memory=learn_memory(train_data.examples, config),
        )  # fmt: skip

        def dev_f1() -> float:
            return score_spans(
                validation_data.examples, ner_model.predict(validation_data.examples)
            ).micro.f1

        ner_model.history = train(
            model, encoded, config, spec.tokenizer.pieces.pad_token_id,
            dev_f1 if validation_data is not None else None, strategy, crf, word_features,
            checkpoint_dir,
        )  # fmt: skip
    if validation_data is not None:
        ner_model.scores["dev"] = ner_model.evaluate(validation_data)
    return ner_model


def learn_memory(train_data: Iterable[Example], config: TrainingConfig) -> EntityMemory | None:
    """The training data's labels per entity text, when the config keeps a memory."""
    if config.entity_memory is None:
        return None
    return EntityMemory.learn(train_data, config.entity_memory)


@dataclass
class Trials:
    """Several fine-tunings that differ only in their seed: each trial's record, and the
    model of the trial with the best dev F1 (the one to export)."""

    records: list[dict]
    best: NerModel

    def summary(self, split: str) -> dict:
        return summarize_trials([record[split] for record in self.records])


def run_trials(
    train_data: DataLoader,
    validation_data: DataLoader,
    test_data: DataLoader,
    trials: int = 1,
    seed: int = 42,
    report: Any = print,
    checkpoints: Path | None = None,
    config: TrainingConfig | None = None,
    model_spec: ModelSpec | None = None,
) -> Trials:
    """``trials`` runs of ``create`` with seeds ``seed``, ``seed + 1``, …; each trial's epoch is
    selected on dev and test is read once, after that selection. ``checkpoints``: a folder per
    trial (``seed-N``) of epoch states, so an interrupted run resumes where it was."""
    records, best, best_f1 = [], None, -1.0
    for trial in range(trials):
        report(f"\n=== trial {trial + 1}/{trials} (seed {seed + trial}) ===")
        started = time.perf_counter()
        model = create(
            train_data, model_spec, validation_data, config, seed=seed + trial,
            checkpoint_dir=checkpoints / f"seed-{seed + trial}" if checkpoints else None,
        )  # fmt: skip
        model.scores["test"] = model.evaluate(test_data)
        record = {
            "seed": seed + trial,
            "dev": model.scores["dev"],
            "test": model.scores["test"],
            "best_epoch": model.history.best_epoch,
            # what the exported weights are: the best epoch, or the mean of the last epochs
            "chosen": model.history.chosen,
            "averaged_dev": model.history.averaged_dev_f1,
            "epochs": [vars(e) for e in model.history.epochs],
            "unrepresentable_train_entities": model.unrepresentable_train,
            "seconds": round(time.perf_counter() - started, 1),
        }
        records.append(record)
        report(f"trial {trial + 1}: dev F1 {record['dev']['micro']['f1']:.4f}, "
               f"test F1 {record['test']['micro']['f1']:.4f}")  # fmt: skip
        if record["dev"]["micro"]["f1"] > best_f1:
            best, best_f1 = model, record["dev"]["micro"]["f1"]
    return Trials(records, best)
