"""``ElectraEntityExtractor``: an exported ELECTRA/BERT NER model inside a Rasa 3 pipeline.

    pipeline:
      - name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer
      - name: rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor
        model_path: exported/electra-gsd      # a directory written by NerModel.export
        # or, to fine-tune on the bot's own entity annotations during `rasa train`:
        # pretrained: path/to/electra-discriminator

At ``rasa train`` the export is copied into Rasa's model storage (or, in trainable mode, written
there by the fine-tuning), so ``models/*.tar.gz`` is self-contained. ``fingerprint_addon`` hashes
the export's files, so Rasa retrains when the model on disk changes.

Entities are predicted on the message's original text with the model's own MeCab + subword
tokenization (character offsets, spaces kept), then appended to the message's entities like
Rasa's own extractors do. The pipeline's tokenizer is not needed for this, but Rasa requires one.
"""

from __future__ import annotations

import hashlib
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
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException, RasaException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra import defaults, serving
from rasa_electra.components.japanese_tokenizer import FORM_KEY, POS_TAG_KEY, SEGMENTER_KEY
from rasa_electra.components.rasa_checks import register_trainable_extractor
from rasa_electra.data.rasa_nlu import example_from_message
from rasa_electra.data.spans import Example, Span, SpanError
from rasa_electra.data.tags import ATTRIBUTES, entity_labels, tag_label
from rasa_electra.model.export import LABELS_FILE, ExportError, read_labels
from rasa_electra.model.model_spec import head_file_tags
from rasa_electra.tokenization.word_features import check_names
from rasa_electra.tokenization.words import Word

if TYPE_CHECKING:
    from rasa_electra.serving.servable import Servable

logger = logging.getLogger(__name__)

EXPORT_SUBDIR = "export"
TRAINED_ON = "rasa train (the bot's NLU data)"  # the export card's data


class ModelLoadError(RasaException):
    """The configured model cannot be used; says which path and what is wrong. A
    ``RasaException``, so `rasa train`/`rasa shell` print it as one line."""


class ElectraConfigError(InvalidConfigException, ModelLoadError):
    """A configuration the component cannot work with (Rasa's ``InvalidConfigException``; a
    ``ModelLoadError`` too, for code that caught those before)."""


class EntityAnnotationError(RasaException):
    """Training annotations the tagger cannot learn from, with the message's text."""


# keys only fine-tuning (trainable mode) reads, and those only a TF1 legacy export reads
TRAINING_KEYS = ("epochs", "min_train_steps", "learning_rate", "warmup_ratio",
                 "train_batch_size", "head", "word_features", "label_scheme",
                 "random_seed", "average_seeds", "keep_layers")  # fmt: skip
TF1_KEYS = ("label_map", "do_lower_case")


def ignored_keys(config: dict[str, Any], defaults: dict[str, Any]) -> list[str]:
    """The keys set away from their default that this mode does not read."""
    if config.get("pretrained"):
        unread = TF1_KEYS
    elif config.get("model_format") == "tf1_legacy":
        unread = TRAINING_KEYS
    else:  # a SavedModel export records its own sequence length
        unread = (*TRAINING_KEYS, *TF1_KEYS, "max_seq_length")
    return [key for key in unread if key in config and config[key] != defaults.get(key)]


def directory_fingerprint(path: Path) -> str:
    """A hash of every file's relative name and bytes under ``path``."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def check_entity_map(entity_map: dict[str, str] | None, known: list[str], where: str) -> None:
    """Every label the map names must be one the model predicts: a typo would otherwise leave
    a slot that is never filled, silently."""
    if not entity_map:
        return
    if not isinstance(entity_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in entity_map.items()
    ):
        raise ElectraConfigError(
            f"entity_map must map model labels to entity names: {entity_map!r}"
        )
    unknown = sorted(set(entity_map) - set(known))
    if unknown and not set(known) <= set(entity_map.values()):  # else: continued on the bot's names
        raise ElectraConfigError(
            f"entity_map names labels that {where} does not predict: {', '.join(unknown)}; "
            f"it predicts {', '.join(known)}"
        )


def bot_name(label: str, entity_map: dict[str, str] | None) -> str | None:
    """The bot's name for a model label: mapped, or kept when it already is one of the bot's
    names (a model continued on the bot's data), or None (dropped); no map keeps every label."""
    if not entity_map:
        return label
    return entity_map.get(label) or (label if label in entity_map.values() else None)


def origins(entity_map: dict[str, str] | None) -> dict[str, list[str]]:
    """The map turned round: the bot's name → the model labels it comes from."""
    inverted: dict[str, list[str]] = {}
    for label, name in (entity_map or {}).items():
        inverted.setdefault(name, []).append(label)
    return inverted


def overlaps(span: Span, entities: list[dict[str, Any]]) -> bool:
    """Whether ``span`` shares a character with any of ``entities`` (Rasa entity dicts)."""
    return any(span.start < e["end"] and e["start"] < span.end for e in entities)


def to_rasa_entity(text: str, span: Span, name: str | None = None) -> dict[str, Any]:
    """The edge from the core type to Rasa's entity dict, under the bot's ``name`` for the
    span's label when one is given."""
    entity: dict[str, Any] = {
        "entity": name or span.label,
        "start": span.start,
        "end": span.end,
        "value": text[span.start : span.end],
    }
    if span.confidence is not None:
        entity["confidence_entity"] = span.confidence
    # a role or group is decoded with its entity (one tag), so it shares the confidence
    for attribute in ATTRIBUTES:
        if getattr(span, attribute) is not None:
            entity[attribute] = getattr(span, attribute)
            if span.confidence is not None:
                entity[f"confidence_{attribute}"] = span.confidence
    return entity


@register_trainable_extractor
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ElectraEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Japanese NER with a fine-tuned ELECTRA (or BERT-family) SavedModel."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # an export directory (NerModel.export / rasa_electra.cli.finetune --out …/export)
            "model_path": None,
            # trainable mode instead: a start point fine-tuned on the bot's NLU data at `rasa train`
            # (an encoder, or a GSD export to continue from: its head rows for labels it knows
            # are kept, and entity_map seeds the bot's names from the labels they map from)
            "pretrained": None,
            "epochs": defaults.EPOCHS,
            # a bot's few messages are few batches an epoch: at least this many optimizer
            # steps are trained, in more epochs (0: exactly `epochs`)
            "min_train_steps": defaults.MIN_TRAIN_STEPS,
            "learning_rate": defaults.LEARNING_RATE,
            "warmup_ratio": defaults.WARMUP_RATIO,
            "train_batch_size": defaults.BATCH_SIZE,
            # "softmax", or "crf": a linear-chain CRF over word tags whose learned transitions
            # every backend decodes with (trainable mode; an export says which it has)
            "head": defaults.HEAD,
            # the analyser's facts about each word added to the tagger (model.word_features):
            # any of pos, pos-1, pos+1, shape, word, prefix2, suffix2
            "word_features": list(defaults.WORD_FEATURES),
            "max_seq_length": defaults.MAX_SEQ_LENGTH,
            "label_scheme": defaults.LABEL_SCHEME,
            "random_seed": 42,
            # fine-tune this many times (seeds random_seed, +1, …, each drawing the same new
            # weights from random_seed, so every run starts alike) and serve the mean of their
            # weights (model.soup): one model's latency, this many times the training
            "average_seeds": defaults.AVERAGE_SEEDS,
            # fine-tune only the start point's first N encoder layers: a smaller model that
            # answers faster, for some accuracy (docs/results.md, the 6-layer student); None: all
            "keep_layers": None,
            # "savedmodel" (our export) or "tf1_legacy" (the original write-up's TF1 export:
            # outputs chunk_probs/chunk_predictions, vocab.txt and a pickled label map beside it)
            "model_format": "savedmodel",
            "label_map": "label2id.pkl",  # tf1_legacy only
            "do_lower_case": False,  # tf1_legacy only
            # serving: "auto" (the export's fastest format that kept dev F1 within 0.5 points
            # of the SavedModel, else the SavedModel; logged at load), "savedmodel", or a
            # converted format (python -m rasa_electra.cli.export_formats): "tflite" or "onnx",
            # with `quantization` "none", "dynamic" (int8 weights) or "float16" (tflite only)
            "backend": defaults.BACKEND,
            "quantization": "none",
            # the model served by TensorFlow Serving instead (e.g.
            # http://tf-serving:8501/v1/models/electra); tokenization and decoding stay here
            "serving_url": None,
            # "viterbi": the best tag sequence the scheme allows (with a CRF head's learned
            # transitions); "argmax": each word's most likely tag. A span's confidence is the
            # mean probability of its words' decoded tags
            "decoding": defaults.DECODING,
            # a decoded entity whose exact text the training data labelled with one label at
            # least this share of the time takes that label (data.entity_memory: the export
            # keeps the counts); null: the model's labels only
            "entity_memory": defaults.ENTITY_MEMORY,
            # added to O's log-probability at every word before decoding: the model needs more
            # evidence to open an entity (fewer, surer entities); 0: its probabilities as they
            # are. null: the model's own, which its card records (trainable mode trains with
            # defaults.O_BIAS when it continues the start point's head, else
            # defaults.TRAINABLE_O_BIAS; the fine-tuning command's is O_BIAS), chosen on GSD dev
            "o_bias": None,
            # messages per model call at inference (`batch_size` before; still read, with a
            # deprecation warning, since DIET's `batch_size` means training)
            "inference_batch_size": 32,
            "confidence_threshold": 0.0,  # drop entities below this confidence
            # the bot's entity names for the model's labels, e.g. {GPE: place, LOC: place,
            # DATE: date, PERSON: name, QUANTITY: people}; labels left out are dropped.
            # None keeps every label under its own name. Checked against the model's labels.
            "entity_map": None,
            # an entity of ours that overlaps one an earlier extractor (a regex, a lookup
            # table, Duckling) already put on the message is dropped: theirs is the more
            # specific rule; True keeps both
            "keep_overlapping": False,
            # threads for one model call (TF intra-op, TFLite, ONNX Runtime); 0 = all cores
            "intra_op_threads": 0,
            "inter_op_threads": 0,  # TF only; 0 = TensorFlow's choice
        }

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer: Rasa needs one before any entity extractor, though this component
        segments the original text itself (so its offsets never depend on another's)."""
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
        model=None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model  # an ExportedModel, or None before training
        self._batch_size = config.get("inference_batch_size", 32)
        self._segmenter_checked = False
        if "batch_size" in config:  # the old key, which DIET uses for training
            rasa.shared.utils.io.raise_deprecation_warning(
                "ElectraEntityExtractor's `batch_size` is now `inference_batch_size` (messages "
                "per model call); `batch_size` is read for now"
            )
            self._batch_size = config["batch_size"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ElectraEntityExtractor:
        if bool(config.get("model_path")) == bool(config.get("pretrained")):
            raise ElectraConfigError(
                "ElectraEntityExtractor needs exactly one of `model_path` (an exported model "
                "directory) or `pretrained` (a start point to fine-tune during `rasa train`)"
            )
        if config.get("model_path") and not Path(config["model_path"]).is_dir():
            raise ElectraConfigError(f"model_path {config['model_path']} is not a directory")
        if config.get("head", defaults.HEAD) not in defaults.HEADS:
            raise ElectraConfigError(
                f"head must be one of {defaults.HEADS}, got {config['head']!r}"
            )
        average_seeds = config.get("average_seeds", defaults.AVERAGE_SEEDS)
        if not isinstance(average_seeds, int) or average_seeds < 1:
            raise ElectraConfigError(
                f"average_seeds must be a whole number ≥ 1, got {average_seeds!r}"
            )
        rate = config.get("learning_rate", defaults.LEARNING_RATE)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
            raise ElectraConfigError(f"learning_rate must be a number > 0, got {rate!r}")
        keep_layers = config.get("keep_layers")
        if keep_layers is not None and (not isinstance(keep_layers, int) or keep_layers < 1):
            raise ElectraConfigError(
                f"keep_layers must be a whole number ≥ 1 or null, got {keep_layers!r}"
            )
        try:
            check_names(config.get("word_features") or ())
        except ValueError as error:
            raise ElectraConfigError(f"word_features: {error}") from error
        try:  # before `rasa train` copies or fine-tunes anything
            serving.check(
                serving.ServingOptions.from_config(config),
                Path(config["model_path"]) if config.get("model_path") else None,
            )
        except ExportError as error:
            raise ElectraConfigError(str(error)) from error
        unread = ignored_keys(config, cls.get_default_config())
        if unread:
            mode = "trainable mode (`pretrained`)" if config.get("pretrained") else "`model_path`"
            rasa.shared.utils.io.raise_warning(
                f"ElectraEntityExtractor ignores {', '.join(unread)} with {mode}: "
                "only the other mode reads them"
            )
        # an export to serve, or a start point whose head is continued: its labels meet the map
        start = Path(config.get("model_path") or config["pretrained"])
        if (start / LABELS_FILE).is_file():
            check_entity_map(
                config.get("entity_map"), entity_labels(read_labels(start)), f"the export {start}"
            )
        elif config.get("pretrained") and start.is_dir():
            tags = head_file_tags(start)
            if tags is not None:
                where = f"the entity head of {start}"
                check_entity_map(config.get("entity_map"), entity_labels(tags), where)
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune in trainable mode, then ``persist`` the export into Rasa's model storage
        and serve it from there (what `rasa run` will load)."""
        if self._config.get("model_path"):
            self._persist_served(Path(self._config["model_path"]), training_data)
        elif not training_data.entity_examples:  # as Rasa's CRFEntityExtractor does
            rasa.shared.utils.io.raise_warning(
                "ElectraEntityExtractor: no training examples with entities; nothing to "
                "fine-tune, so this model extracts no entities"
            )
            return self._resource
        else:
            with tempfile.TemporaryDirectory() as scratch:
                fine_tuned = Path(scratch) / EXPORT_SUBDIR
                self._fine_tune(training_data, fine_tuned)
                self._persist_served(fine_tuned, training_data)
        with self._model_storage.read_from(self._resource) as directory:
            self._model = self._load_export(Path(directory) / EXPORT_SUBDIR)
        return self._resource

    def _persist_served(self, export_dir: Path, training_data: TrainingData) -> None:
        """``persist``, converting first when ``backend: auto`` finds an export without its
        formats (trainable mode's, or an older one), in a copy: the user's export directory is
        never written to. With no dev split at `rasa train`, a format is offered when its
        entities on the bot's messages stay within the F1 limit of the SavedModel's."""
        from rasa_electra.serving import backends, formats

        options = serving.ServingOptions.from_config(self._config)
        if options.backend != backends.AUTO or options.serving_url or \
                backends.read_formats(export_dir) or not backends.can_convert():  # fmt: skip
            self.persist(export_dir)
            return
        check = [Example(m.get(TEXT)) for m in training_data.nlu_examples if m.get(TEXT)]
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / EXPORT_SUBDIR
            shutil.copytree(export_dir, copy)
            formats.convert_for_auto(copy, check, against_savedmodel=True)
            self.persist(copy)

    def persist(self, export_dir: Path) -> None:
        """Copy what the configured backend serves from ``export_dir`` into the model storage,
        so the trained archive is self-contained."""
        with self._model_storage.write_to(self._resource) as directory:
            serving.copy_export(
                serving.ServingOptions.from_config(self._config), export_dir,
                Path(directory) / EXPORT_SUBDIR,
            )  # fmt: skip

    def _fine_tune(self, training_data: TrainingData, target: Path) -> None:
        from rasa_electra.model import model_spec

        examples = []
        for message in training_data.nlu_examples:
            if not message.get(TEXT):
                continue
            try:
                example = example_from_message(message.get(TEXT), message.get(ENTITIES) or [], None)
                for span in example.spans:
                    tag_label(span)  # a role or group name the tags cannot carry fails here
                examples.append(example)
            except SpanError as error:
                raise EntityAnnotationError(
                    f"ElectraEntityExtractor cannot train on {message.get(TEXT)!r}: {error}"
                ) from error
        try:
            self._train_seeds(examples, training_data, target)
        except model_spec.StartPointError as error:  # e.g. more keep_layers than it has
            raise ElectraConfigError(f"pretrained {self._config['pretrained']}: {error}") from error

    def _train_seeds(
        self, examples: list[Example], training_data: TrainingData, target: Path
    ) -> None:
        """Fine-tune once per seed from one start and export the one model, or their soup."""
        from rasa_electra.model import DataLoader, model_spec, ner, soup

        spec = model_spec.get(
            self._config["pretrained"], self._config["max_seq_length"], self._config["label_scheme"]
        )
        self._train_on_pipeline_words(spec, training_data)
        # continuing from a GSD export: place's head rows start from GPE's, LOC's and FAC's
        spec.label_origins = origins(self._config.get("entity_map"))
        train = DataLoader(examples, spec)
        continued = spec.continues_head(spec.tags(train.tag_labels))
        seed = self._config["random_seed"]
        seeds = [seed + k for k in range(self._config["average_seeds"])]
        with tempfile.TemporaryDirectory() as scratch:
            exports, ingredients = [], []
            for seed in seeds:
                model = ner.create(
                    train,
                    epochs=self._config["epochs"],
                    min_steps=self._config["min_train_steps"],
                    batch_size=self._config["train_batch_size"],
                    learning_rate=self._config["learning_rate"],
                    warmup_ratio=self._config["warmup_ratio"],
                    head=self._config["head"],
                    word_features=tuple(self._config["word_features"] or ()),
                    keep_layers=self._config.get("keep_layers"),
                    entity_memory=self._config.get("entity_memory", defaults.ENTITY_MEMORY),
                    o_bias=self._trained_o_bias(continued),
                    seed=seed,
                    init_seed=seeds[0],  # one start for every seed: their soup is safe
                )
                if len(seeds) == 1:
                    model.export(target, data=TRAINED_ON)
                    return
                exports.append(model.export(Path(scratch) / f"seed-{seed}", data=TRAINED_ON))
                seconds = round(sum(e.seconds for e in model.history.epochs), 1)
                ingredients.append(
                    {"seed": seed, "init_seed": seeds[0], "training_seconds": seconds}
                )
            averaged = soup.average(exports)
            averaged.spec = spec  # the card names the real start point, not a scratch export
            averaged.export(target, data=TRAINED_ON, soup=ingredients)

    def _trained_o_bias(self, continued: bool) -> float:
        """The O bias the export records and serves with: the config's, else the one chosen
        on dev for a continued head (the recipe's) or a new one (trainable mode's)."""
        o_bias = self._config.get("o_bias")
        if o_bias is not None:
            return o_bias
        return defaults.O_BIAS if continued else defaults.TRAINABLE_O_BIAS

    @staticmethod
    def _train_on_pipeline_words(spec, training_data: TrainingData) -> None:
        """Train on the words the pipeline's tokenizer cuts (its dictionary, split mode, user
        dictionary, normalization), the words this extractor will tag when it serves; the
        export records them. A tokenizer that does not say what it is (not ours) leaves the
        start point's own analyser."""
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

    def _load_export(self, directory: Path):
        try:
            model = serving.open_export(directory, serving.ServingOptions.from_config(self._config))
        except ExportError as error:
            raise ModelLoadError(str(error)) from error
        check_entity_map(
            self._config.get("entity_map"), entity_labels(model.labels), f"the model in {directory}"
        )
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
                # the storage directory is temporary: the SavedModel is read fully into memory
                component._model = component._load_export(Path(directory) / EXPORT_SUBDIR)
        except ValueError:  # nothing was persisted: trained on no entities, as the CRF does
            logger.warning(
                f"ElectraEntityExtractor: no model in resource '{resource.name}'; it extracts "
                "no entities"
            )
        return component

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
        texts = [m.get(TEXT) if isinstance(m.get(TEXT), str) else "" for m in messages]
        words = [self._pipeline_words(m, t) for m, t in zip(messages, texts, strict=True)]
        predictions = self._model.predict([Example(t) for t in texts], self._batch_size, words)
        for message, text, prediction in zip(messages, texts, predictions, strict=True):
            existing = message.get(ENTITIES, [])
            entities = self.add_extractor_name(self._rasa_entities(text, prediction, existing))
            message.set(ENTITIES, existing + entities, add_to_output=True)
        return messages

    def _pipeline_words(self, message: Message, text: str) -> list[Word] | None:
        """The pipeline tokenizer's tokens as this model's words (one analysis per message),
        or None to segment the text with the export's own analyser: no tokens, or tokens
        whose offsets do not spell the text (a token pattern rewrote them)."""
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return None
        words = [
            Word(t.text, t.start, t.end, t.get(POS_TAG_KEY), None, t.get(FORM_KEY)) for t in tokens
        ]
        ends = [0] + [w.end for w in words[:-1]]
        if any(
            text[w.start : w.end] != w.text or w.start < e for w, e in zip(words, ends, strict=True)
        ):
            return None
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
        threshold = self._config["confidence_threshold"]
        kept = []
        for span in prediction.spans:
            name = bot_name(span.label, self._config.get("entity_map"))
            if name is None or (span.confidence is not None and span.confidence < threshold):
                continue
            if not self._config.get("keep_overlapping") and overlaps(span, existing):
                continue
            kept.append(to_rasa_entity(text, span, name))
        return kept
