"""``ElectraEntityExtractor``: Japanese NER with a fine-tuned ELECTRA inside a Rasa 3 pipeline.

    pipeline:
      - name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer
      - name: rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor
        pretrained: pretrained/electra-small-ja   # fine-tuned on the bot's entities at `rasa train`
        # or an export made by `rasa-electra finetune`, served as it is:
        # model_path: exported/electra-gsd/export

At ``rasa train`` the export is copied into Rasa's model storage (or, in trainable mode, written
there by the fine-tuning), so ``models/*.tar.gz`` is self-contained. ``fingerprint_addon`` hashes
the model's files, so Rasa retrains when the model on disk changes. The keys are parsed once
(``electra_config``): an unknown key or a wrong value is an ``InvalidConfigException`` naming it.

Entities are predicted on the message's original text, on the pipeline tokenizer's words cut into
the model's subwords (character offsets exact, spaces kept), then appended to the message's
entities as Rasa's own extractors do.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra import serving
from rasa_electra.components.electra_config import (
    ElectraConfigError,
    ExtractorConfig,
    ModelLoadError,
)
from rasa_electra.components.entities import (
    bot_name,
    directory_fingerprint,
    overlaps,
    split_joined,
    to_rasa_entity,
    unknown_map_labels,
)
from rasa_electra.components.japanese_tokenizer import SEGMENTER_KEY, message_words
from rasa_electra.components.rasa_checks import register_trainable_extractor
from rasa_electra.data.rasa_nlu import example_from_message
from rasa_electra.data.spans import Example
from rasa_electra.data.tags import entity_labels
from rasa_electra.model.export import LABELS_FILE, ExportError, read_labels
from rasa_electra.model.features import Hint
from rasa_electra.model.head import head_file_tags
from rasa_electra.model.weights import SAVED_MODEL_FILE, WEIGHTS_FILE
from rasa_electra.tokenization.words import Word

if TYPE_CHECKING:
    from rasa_electra.serving.servable import Servable

logger = logging.getLogger(__name__)

EXPORT_SUBDIR = "export"
# `rasa train`'s conversions for backend auto, in tiers (formats.convert_in_tiers): int8 ONNX,
# the fastest on every CPU measured, else the exact float32 ONNX (finetune converts every format)
TRAINABLE_CONVERSIONS = (("onnx-dynamic",), ("onnx",))
# the stages `rasa train` logs, which benchmark-training times
STORED = "the model is stored in the archive"
__all__ = ["ElectraConfigError", "ElectraEntityExtractor", "ModelLoadError"]


def check_entity_map(entity_map: dict[str, str] | None, known: list[str], where: str) -> None:
    """Every label the map names must be one the model predicts."""
    unknown = unknown_map_labels(entity_map, known)
    if unknown:
        raise ElectraConfigError(
            f"entity_map names labels that {where} does not predict: {', '.join(unknown)}; "
            f"it predicts {', '.join(known)}"
        )


@register_trainable_extractor
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ElectraEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Japanese NER with a fine-tuned ELECTRA (or BERT-family) model: an export served as it is
    (``model_path``), or a start point fine-tuned at `rasa train` (``pretrained``)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return ExtractorConfig.defaults()

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer: Rasa needs one before any entity extractor; its words are tagged."""
        from rasa.nlu.tokenizers.tokenizer import Tokenizer

        return [Tokenizer]

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ja"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["tensorflow", "transformers", "fugashi", "ipadic"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        path = config.get("model_path") or config.get("pretrained")
        if path and Path(path).is_dir():
            return directory_fingerprint(Path(path))
        return None

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Servable | None = None,
    ) -> None:
        self._settings = self.parse_config(config)
        self._model_storage = model_storage
        self._resource = resource
        self._model = model  # the servable, or None before training
        self._segmenter_checked = False
        # `rasa train --finetune`: a copy of the previous model's export, continued by `train`
        self._previous: tempfile.TemporaryDirectory | None = None

    @classmethod
    def parse_config(cls, config: dict[str, Any]) -> ExtractorConfig:
        return ExtractorConfig.parse(config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ElectraEntityExtractor:
        """Refuse what cannot work before `rasa train` copies or fine-tunes anything."""
        settings = cls.parse_config(config)
        settings.check_mode()
        cls.check_model(settings)
        return cls(config, model_storage, resource)

    @classmethod
    def check_model(cls, settings: ExtractorConfig) -> None:
        """The export exists and offers the backend; the entity map meets its labels (or those
        of the start point's head, when it is continued)."""
        own = settings.own
        if own.model_path:
            if not Path(own.model_path).is_dir():
                raise ElectraConfigError(f"model_path {own.model_path} is not a directory")
            try:
                serving.check(settings.serving, Path(own.model_path))
            except ExportError as error:
                raise ElectraConfigError(str(error)) from error
        start = Path(own.model_path or own.pretrained)
        if (start / LABELS_FILE).is_file():
            known, where = entity_labels(read_labels(start)), f"the export {start}"
        elif own.pretrained and start.is_dir() and head_file_tags(start) is not None:
            known, where = entity_labels(head_file_tags(start)), f"the entity head of {start}"
        else:
            return
        check_entity_map(own.entity_map, known, where)

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune in trainable mode, then ``persist`` the export into Rasa's model storage
        and serve it from there (what `rasa run` will load)."""
        if self._settings.own.model_path:
            self._persist_served(Path(self._settings.own.model_path), training_data)
        elif not training_data.entity_examples:  # as Rasa's CRFEntityExtractor does
            rasa.shared.utils.io.raise_warning(
                "ElectraEntityExtractor: no training examples with entities; nothing to "
                "fine-tune, so this model extracts no entities"
            )
            return self._resource
        else:
            from rasa_electra.components.trainable import fine_tune

            previous = Path(self._previous.name) / EXPORT_SUBDIR if self._previous else None
            conversions = TRAINABLE_CONVERSIONS if serving.converts(self._settings.serving) else ()
            with tempfile.TemporaryDirectory() as scratch:
                fine_tuned = Path(scratch) / EXPORT_SUBDIR
                fine_tune(self._settings, training_data, fine_tuned, previous, conversions)
                self._persist_served(fine_tuned, training_data)
        with self._model_storage.read_from(self._resource) as directory:
            self._model = self._load_export(Path(directory) / EXPORT_SUBDIR)
        return self._resource

    def _persist_served(self, export_dir: Path, training_data: TrainingData) -> None:
        """``persist``, converting first when ``backend: auto`` finds an export without its
        formats (a ``model_path`` export made without them; trainable mode converts its own),
        in a copy: the user's export directory is never written to. With no dev split at
        `rasa train`, a format is offered when its entities on the bot's messages stay within
        the F1 limit of the SavedModel's."""
        from rasa_electra.components.trainable import message_texts
        from rasa_electra.serving import backends, formats

        if not serving.converts(self._settings.serving) or backends.read_formats(export_dir):
            self.persist(export_dir)
            return
        check = message_texts(training_data)
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / EXPORT_SUBDIR
            shutil.copytree(export_dir, copy)
            formats.convert_in_tiers(copy, check, TRAINABLE_CONVERSIONS)
            self.persist(copy)

    def persist(self, export_dir: Path) -> None:
        """Copy what the configured backend serves from ``export_dir`` into the model storage,
        so the trained archive is self-contained."""
        with self._model_storage.write_to(self._resource) as directory:
            target = Path(directory) / EXPORT_SUBDIR
            shutil.rmtree(target, ignore_errors=True)  # a fine-tuned model replaces its previous
            serving.copy_export(self._settings.serving, export_dir, target)
            weights = export_dir / WEIGHTS_FILE  # trainable mode's, for `rasa train --finetune`
            if self._settings.own.incremental and weights.is_file() and not \
                    (target / SAVED_MODEL_FILE).is_file():  # fmt: skip
                shutil.copy2(weights, target / WEIGHTS_FILE)
        logger.info("%s: %s", type(self).__name__, STORED)

    def _open(self, directory: Path) -> Servable:
        return serving.open_export(directory, self._settings.serving)

    def _load_export(self, directory: Path) -> Servable:
        try:
            model = self._open(directory)
        except ExportError as error:
            raise ModelLoadError(str(error)) from error
        where = f"the model in {directory}"
        check_entity_map(self._settings.own.entity_map, entity_labels(model.labels), where)
        return model

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ElectraEntityExtractor:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = Path(directory) / EXPORT_SUBDIR
                if execution_context.is_finetuning and component._settings.own.pretrained:
                    component._keep_previous(stored)
                else:  # the storage directory is temporary: the model is read into memory
                    component._model = component._load_export(stored)
        except ValueError:  # nothing was persisted: trained on no entities, as the CRF does
            logger.warning(
                f"ElectraEntityExtractor: no model in resource '{resource.name}'; it extracts "
                "no entities"
            )
        return component

    def _keep_previous(self, stored: Path) -> None:
        """Rasa's incremental training loads the previous model to train it further: its
        export is copied aside, since the storage it sits in receives the new model. An
        archive that keeps only a converted format (``incremental: false``) has no weights to
        train: fine-tuning then starts from ``pretrained`` again, and says so."""
        if not any((stored / name).is_file() for name in (SAVED_MODEL_FILE, WEIGHTS_FILE)):
            rasa.shared.utils.io.raise_warning(
                "ElectraEntityExtractor: the previous model keeps no trainable weights (its "
                f"archive holds the {self._settings.serving.backend} backend's format only), "
                f"so `rasa train --finetune` fine-tunes {self._settings.own.pretrained} again; "
                "with `incremental: true` an archive can be continued"
            )
            return
        self._previous = tempfile.TemporaryDirectory(prefix="electra-previous-")
        shutil.copytree(stored, Path(self._previous.name) / EXPORT_SUBDIR)

    @property
    def servable(self) -> Servable | None:
        """The model this component serves on its chosen backend (None when nothing was
        trained), for tools that time its stages on the very model Rasa loaded."""
        return self._model

    def process(self, messages: list[Message]) -> list[Message]:
        """Predict entities for a batch of messages and append them to each message's entities."""
        if self._model is None:  # nothing was trained (no entities): like Rasa's CRF, none
            for message in messages:
                message.set(ENTITIES, message.get(ENTITIES, []), add_to_output=True)
            return messages
        own = self._settings.own
        texts = [m.get(TEXT) if isinstance(m.get(TEXT), str) else "" for m in messages]
        words = [self._pipeline_words(m, t) for m, t in zip(messages, texts, strict=True)]
        split = [split_joined(m.get(ENTITIES, []), own.join_extractors) for m in messages]
        hints = [Hint(example_from_message(t, joined, None).spans, own.join_weight)
                 for t, (joined, _) in zip(texts, split, strict=True)] \
            if own.join_extractors else None  # fmt: skip
        predictions = self._model.predict(
            [Example(t) for t in texts], own.inference_batch_size, words, hints
        )
        for message, text, prediction, (_, kept) in zip(
            messages, texts, predictions, split, strict=True
        ):
            entities = self.add_extractor_name(self._rasa_entities(text, prediction, kept))
            message.set(ENTITIES, kept + entities, add_to_output=True)
        return messages

    def _pipeline_words(self, message: Message, text: str) -> list[Word] | None:
        """The pipeline tokenizer's tokens as this model's words, or None to segment the text
        with the export's own analyser (``message_words``)."""
        words = message_words(message, text)
        if words is not None:
            self._check_segmenter(message.get(SEGMENTER_KEY))
        return words

    def _check_segmenter(self, pipeline: dict[str, Any] | None) -> None:
        """Say once when the pipeline's words are not those the export was trained on."""
        if self._segmenter_checked:
            return
        self._segmenter_checked = True
        own = self._model.tokenizer.words.settings()
        if pipeline != own:
            logger.warning(
                "ElectraEntityExtractor tags the pipeline tokenizer's words (%s), not the "
                "words its model was trained on (%s): entities follow the pipeline's word "
                "boundaries; for the model's own accuracy, train it on the same words",
                pipeline or "a tokenizer that does not say",
                own,
            )

    def _rasa_entities(
        self, text: str, prediction: Example, existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The predicted spans the options keep (confidence, entity_map, overlaps), as Rasa
        entities under the bot's names."""
        own = self._settings.own
        kept = []
        for span in prediction.spans:
            name = bot_name(span.label, own.entity_map)
            if name is None or (
                span.confidence is not None and span.confidence < own.confidence_threshold
            ):
                continue
            if not own.keep_overlapping and overlaps(span, existing):
                continue
            kept.append(to_rasa_entity(text, span, name))
        return kept
