"""Trainable mode: the extractor fine-tunes its start point on the bot's NLU data inside
`rasa train`, then exports one model (or the soup of several seeds) for the component to serve."""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra import defaults
from rasa_electra.components.electra_config import ElectraConfigError, ExtractorConfig
from rasa_electra.components.entities import origins
from rasa_electra.components.japanese_tokenizer import SEGMENTER_KEY
from rasa_electra.data.rasa_nlu import example_from_message
from rasa_electra.data.spans import Example, SpanError
from rasa_electra.data.tags import tag_label
from rasa_electra.model.export import CARD_FILE
from rasa_electra.model.model_spec import ModelSpec
from rasa_electra.model.training_config import TrainingConfig

logger = logging.getLogger(__name__)

TRAINED_ON = "rasa train (the bot's NLU data)"  # the export card's data


class EntityAnnotationError(RasaException):
    """Training annotations the tagger cannot learn from, with the message's text."""


def training_examples(training_data: TrainingData) -> list[Example]:
    """The bot's messages as the core type; an annotation the tags cannot carry (a role or group
    name) is an ``EntityAnnotationError`` naming the message."""
    examples = []
    for message in training_data.nlu_examples:
        if not message.get(TEXT):
            continue
        try:
            example = example_from_message(message.get(TEXT), message.get(ENTITIES) or [], None)
            for span in example.spans:
                tag_label(span)
        except SpanError as error:
            raise EntityAnnotationError(
                f"ElectraEntityExtractor cannot train on {message.get(TEXT)!r}: {error}"
            ) from error
        examples.append(example)
    return examples


def message_texts(training_data: TrainingData) -> list[Example]:
    """The bot's messages without their entities: what a conversion is checked on at `rasa
    train`, where no dev split with gold exists."""
    return [Example(m.get(TEXT)) for m in training_data.nlu_examples if m.get(TEXT)]


def fine_tune(
    config: ExtractorConfig, training_data: TrainingData, target: Path,
    previous: Path | None = None, conversions: Sequence[Sequence[str]] = (),
) -> None:  # fmt: skip
    """Fine-tune once per seed from one start and export the one model, or their soup, to
    ``target``; with ``previous`` (`rasa train --finetune`), continue that model once instead,
    for the epochs Rasa scaled by its epoch fraction. ``conversions``: the formats
    ``backend: auto`` may serve, made from the model in memory (``Serving.export``)."""
    from rasa_electra.model import DataLoader, model_spec
    from rasa_electra.model.weights import StartPointError

    examples = training_examples(training_data)
    serve = Serving(conversions, message_texts(training_data))
    start = previous or config.own.pretrained
    try:
        spec = model_spec.get(start, config.spec.max_seq_length, config.spec.label_scheme)
        use_pipeline_words(spec, training_data)
        train = DataLoader(examples, spec)
        if previous is not None:
            continue_previous(config, train, previous, serve.to(target))
            return
        spec.label_origins = label_origins(config, spec, examples)
        continued = spec.continues_head(spec.tags(train.tag_labels))
        training = for_data_size(trained_config(config, continued), config, len(examples), spec)
        train_seeds(config, train, training, serve.to(target))
    except StartPointError as error:  # e.g. more keep_layers than it has
        where = "the previous model" if previous is not None else f"pretrained {start}"
        raise ElectraConfigError(f"{where}: {error}") from error


def label_origins(config: ExtractorConfig, spec, examples: list[Example]) -> dict:
    """Where the bot's new labels' head rows start: the ``entity_map``'s labels (place's from
    GPE's, LOC's and FAC's), else with ``align_labels`` the start point's head labels that tag
    the bot's spans (``model.label_alignment``), one log line per label; else nowhere."""
    if config.own.entity_map:
        return origins(config.own.entity_map)
    if not config.own.align_labels:
        return {}
    from rasa_electra.model.label_alignment import align

    alignment = align(spec, examples)
    if alignment is None:
        return {}
    for line in alignment.lines():
        logger.info("ElectraEntityExtractor: %s", line)
    return alignment.origins()


def continue_previous(config: ExtractorConfig, train, previous: Path, serve: Serving) -> None:
    """The previous model trained further on the changed data: one seed, the O bias it was
    served with unless the config says, the small-data floor scaled like the epochs, and the
    whole encoder kept as it is unless ``freeze_layers`` says otherwise (the head learns the
    few new examples; the step is cheaper to trace and to run). Labels and roles it never saw
    get new head rows; the ones it knows keep theirs, and so do the CRF's transitions and the
    word-feature tables (``continue_scores``), which a few continued steps could not learn
    again from 0."""
    from rasa_electra.model import ner

    card = json.loads((previous / CARD_FILE).read_text(encoding="utf-8"))
    recorded = card.get("hyperparameters", {}).get("o_bias")
    o_bias = config.serving.o_bias if config.serving.o_bias is not None else recorded
    seed = config.own.random_seed
    training = replace(
        trained_config(config, continued=True),
        o_bias=defaults.O_BIAS if o_bias is None else o_bias,
        min_steps=math.ceil(config.training.min_steps * config.epoch_fraction),
        max_steps=math.ceil(config.training.max_steps * config.epoch_fraction),
        seed=seed, init_seed=seed, continue_scores=True,
    )  # fmt: skip
    if training.freeze_layers is None:  # the encoder as it is: the head learns the new data
        training = replace(training, freeze_layers=encoder_layers(train.spec, training))
    training = for_data_size(training, config, len(train.examples), train.spec)
    logger.info(
        "ElectraEntityExtractor continues the previous model (rasa train --finetune): %d "
        "epochs, at least %d steps, one seed", training.epochs, training.min_steps,
    )  # fmt: skip
    model = ner.create(train, config=training)
    model.spec.source = card["start_point"]["source"]  # not the scratch copy it continued
    previous_model = {"date": card.get("date"), "labels": card.get("labels")}
    serve.export(model, data=TRAINED_ON, continued_from=previous_model)


def trained_config(config: ExtractorConfig, continued: bool):
    """Trainable mode's ``TrainingConfig``: the component's training keys, its memory, and the
    O bias the export records: the config's, else the one chosen on dev for a continued head
    (the recipe's) or a new one (docs/defaults.md#o-bias)."""
    o_bias = config.serving.o_bias
    if o_bias is None:
        o_bias = defaults.O_BIAS if continued else defaults.TRAINABLE_O_BIAS
    return replace(config.training, entity_memory=config.serving.entity_memory, o_bias=o_bias)


def small_data(config: ExtractorConfig, messages: int) -> bool:
    """A bot's data, not a corpus (the ``small_data_messages`` key): where trainable mode trains
    one model with the lower half of the encoder frozen and a faster head (``seeds_for``,
    ``for_data_size``)."""
    return messages <= config.own.small_data_messages


def seeds_for(config: ExtractorConfig, messages: int) -> int:
    """How many fine-tunings trainable mode averages: ``average_seeds`` when set; else one on
    ``small_data`` (a bot's hundred messages: one seed scored 88.61 ± 1.16 on the booking bot's
    held-out split against the three-seed soup's 87.72), and ``defaults.AVERAGE_SEEDS`` above
    it (GSD train: one seed lost 2 dev F1 to the soup). docs/defaults.md#average-seeds."""
    if config.own.average_seeds is not None:
        return config.own.average_seeds
    return 1 if small_data(config, messages) else defaults.AVERAGE_SEEDS


def encoder_layers(spec: ModelSpec, training: TrainingConfig) -> int:
    """How many encoder layers the fine-tuned model has: the start point's, or ``keep_layers``."""
    layers = getattr(spec.config, "num_hidden_layers", 0)
    return layers if training.keep_layers is None else min(layers, training.keep_layers)


def for_data_size(
    training: TrainingConfig, config: ExtractorConfig, messages: int, spec: ModelSpec
) -> TrainingConfig:
    """``training`` as the data's size asks, where the config leaves it open: on
    ``small_data`` the lower half of the start point's encoder layers frozen
    (``defaults.SMALL_DATA_FROZEN_SHARE``: a step then costs its upper half) and the CRF's
    scores and word-feature tables at ``defaults.SMALL_DATA_HEAD_LEARNING_RATE`` (else a bot's
    few hundred steps leave the analyser's facts, a place name's part of speech, too faint to
    count); above it every layer trained, at ``defaults.HEAD_LEARNING_RATE``.
    docs/defaults.md#small-data."""
    small = small_data(config, messages)
    layers = encoder_layers(spec, training)
    frozen = training.freeze_layers
    if frozen is None:
        frozen = int(layers * defaults.SMALL_DATA_FROZEN_SHARE) if small else 0
    rate = training.head_learning_rate
    if rate is None:
        rate = defaults.SMALL_DATA_HEAD_LEARNING_RATE if small else defaults.HEAD_LEARNING_RATE
    if small:
        logger.info(
            "ElectraEntityExtractor: %d messages, small data: the embeddings and the lowest %d "
            "of %d encoder layers stay as the start point has them; the CRF's scores and the "
            "word-feature tables learn at %g", messages, frozen, layers, rate,
        )  # fmt: skip
    return replace(training, freeze_layers=frozen, head_learning_rate=rate)


def train_seeds(config: ExtractorConfig, train, training, serve: Serving) -> None:
    """``seeds_for`` fine-tunings (seeds ``random_seed``, +1, …), every one drawing its new
    weights from the first seed, so their soup is safe; one seed exports its model alone.
    The soup's ingredients keep float32 weights files and no SavedModel."""
    from rasa_electra.model import ner, soup
    from rasa_electra.model.weights import write_weights

    first = config.own.random_seed
    seeds = [first + k for k in range(seeds_for(config, len(train.examples)))]
    with tempfile.TemporaryDirectory() as scratch:
        exports, ingredients = [], []
        for number, seed in enumerate(seeds, start=1):
            logger.info("ElectraEntityExtractor: fine-tuning %d of %d (seed %d)",
                        number, len(seeds), seed)  # fmt: skip
            model = ner.create(train, config=replace(training, seed=seed, init_seed=first))
            if len(seeds) == 1:
                serve.export(model, data=TRAINED_ON)
                return
            ingredient = model.export(Path(scratch) / f"seed-{seed}", saved_model=False)
            exports.append(write_weights(ingredient, model.model, np.float32).parent)
            seconds = round(sum(e.seconds for e in model.history.epochs), 1)
            ingredients.append({"seed": seed, "init_seed": first, "training_seconds": seconds})
        averaged = soup.average(exports)
        averaged.spec = train.spec  # the card names the real start point, not a scratch export
        serve.export(averaged, data=TRAINED_ON, soup=ingredients)


@dataclass(frozen=True)
class Serving:
    """How trainable mode exports the model the component will serve: the formats
    ``backend: auto`` may serve (``conversions``), checked on the bot's ``messages``."""

    conversions: Sequence[Sequence[str]]  # tiers: formats.convert_in_tiers
    messages: list[Example]
    target: Path | None = None

    def to(self, target: Path) -> Serving:
        return replace(self, target=target)

    def export(self, model, **card) -> None:
        """``model`` exported to ``target`` with its weights kept as ``WEIGHTS_FILE``, so an
        archive that stores a converted format only can still be fine-tuned further. The
        conversions are written from those weights and checked against the model in memory;
        the SavedModel (most of an export's time) is written only where nothing converted
        serves: no conversions asked, an encoder the fused ONNX writer cannot write, or a
        conversion that failed or was not offered."""
        from rasa_electra.model.export import write_saved_model
        from rasa_electra.model.weights import write_weights
        from rasa_electra.serving import formats, onnx_graph
        from rasa_electra.serving.servable import TrainedModel

        direct = bool(self.conversions) and onnx_graph.supports(model.model.config) is None
        model.export(self.target, saved_model=not direct, **card)
        if direct:  # converted from the float32 weights, as from a SavedModel
            write_weights(self.target, model.model, np.float32)
            report = formats.convert_in_tiers(
                self.target, self.messages, self.conversions, reference=TrainedModel(model)
            )
            if report is None or report.get("fastest") is None:
                write_saved_model(model, self.target)
        write_weights(self.target, model.model)


def use_pipeline_words(spec, training_data: TrainingData) -> None:
    """Train on the words the pipeline's tokenizer cuts (its dictionary, split mode, user
    dictionary, normalization), the words this extractor will tag when it serves; the export
    records them. A tokenizer that does not say what it is (not ours) leaves the start point's
    own analyser."""
    from rasa_electra.tokenization.segmenters import word_segmenter

    pipeline = next((m.get(SEGMENTER_KEY) for m in training_data.nlu_examples
                     if m.get(SEGMENTER_KEY)), None)  # fmt: skip
    own = spec.tokenizer.words.settings()
    if pipeline is None or pipeline == own:
        return
    logger.info(
        "ElectraEntityExtractor trains on the pipeline tokenizer's words (%s) instead of "
        "those its start point was cut with (%s)", pipeline, own,
    )  # fmt: skip
    spec.tokenizer.use_words(word_segmenter(pipeline))
