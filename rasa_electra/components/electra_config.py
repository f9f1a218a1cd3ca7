"""The ELECTRA extractor's configuration: Rasa's dict for the component, parsed once into typed
settings, each declared where it belongs.

- ``ExtractorOptions``: the component's own keys (what to serve or fine-tune, the bot's names,
  which entities to keep);
- ``TrainingConfig`` (``model.training_config``): trainable mode's fine-tuning, under the keys in
  ``TRAINING_KEYS``;
- ``SpecOptions`` (``model.model_spec``): the start point's input windows and tags;
- ``ServingOptions`` (``serving``): runtime, threads and decoding.

``USER_KEYS`` are what a bot builder sets (the README's table); the rest are advanced keys
(docs/component.md). A key none of them declares, or a value a check refuses, is an
``InvalidConfigException`` naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from rasa.shared.exceptions import InvalidConfigException, RasaException

from rasa_electra import defaults
from rasa_electra.model.model_spec import SpecOptions
from rasa_electra.model.training_config import TrainingConfig
from rasa_electra.serving import ServingOptions
from rasa_electra.settings import SettingError, Settings, add_arguments, at_least, setting

T = TypeVar("T")


class ModelLoadError(RasaException):
    """The configured model cannot be used; says which path and what is wrong. A
    ``RasaException``, so `rasa train`/`rasa shell` print it as one line."""


class ElectraConfigError(InvalidConfigException, ModelLoadError):
    """A configuration the component cannot work with (Rasa's ``InvalidConfigException``)."""


def check_entity_map_shape(entity_map: Any) -> None:
    if entity_map is None:
        return
    if not isinstance(entity_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in entity_map.items()
    ):
        raise ValueError(f"must map model labels to entity names, got {entity_map!r}")


@dataclass(frozen=True)
class ExtractorOptions(Settings):
    """The component's own keys."""

    model_path: str | None = setting(
        None, "an export directory to serve (finetune --out DIR writes DIR/export)"
    )
    pretrained: str | None = setting(
        None,
        "trainable mode instead: a start point fine-tuned on the bot's NLU data at `rasa "
        "train` (an encoder, or an export to continue: its head rows for labels it knows are "
        "kept, and entity_map seeds the bot's names from the labels they map from)",
    )
    entity_map: dict[str, str] | None = setting(
        None,
        "the bot's entity names for the model's labels, e.g. {GPE: place, DATE: date}; "
        "labels left out are dropped; none keeps every label under its own name",
        check=check_entity_map_shape,
    )
    confidence_threshold: float = setting(
        0.0,
        "drop entities below this confidence (the mean probability of their words' tags)",
        check=at_least(0.0),
    )
    keep_overlapping: bool = setting(
        False,
        "keep an entity that overlaps one an earlier extractor (a regex, a lookup table, "
        "Duckling) already put on the message; by default theirs, the more specific rule, wins",
    )
    join_extractors: tuple[str, ...] = setting(
        (),
        "extractors earlier in the pipeline (e.g. FastCRFEntityExtractor) whose entities this "
        "model weighs into its decoding, then replaces with its own: the CRF's memorised "
        "strings and the encoder's context in one answer (config-electra-crf.yml)",
    )
    join_weight: float = setting(
        defaults.JOIN_WEIGHT,
        "what a joined extractor's entity counts against the model: added to its tag's "
        "log-probability, times its confidence (0: the model alone)",
        check=at_least(0.0),
    )
    align_labels: bool = setting(
        False,
        "without an entity_map, seed the data's labels from the start point's head labels "
        "that tag their spans (model.label_alignment), one log line per label; off: it helps "
        "data annotated the way GSD is and costs a bot's own conventions (docs/component.md)",
    )
    incremental: bool = setting(
        True,
        "trainable mode: keep the fine-tuned weights in the archive (float16, 27 MB for the "
        "shipped encoder) beside the served format, so `rasa train --finetune` continues the "
        "model; false: a smaller archive, and --finetune starts from `pretrained` again",
    )
    inference_batch_size: int = setting(
        defaults.INFERENCE_BATCH_SIZE, "messages per model call", check=at_least(1)
    )
    random_seed: int = setting(defaults.RANDOM_SEED, "trainable mode's first seed")
    average_seeds: int | None = setting(
        None,
        "fine-tune this many times (seeds random_seed, +1, …, each "
        "drawing the same new weights) and serve the mean of their weights: one model's "
        "latency, this many times the training; none: one on small data (at most "
        f"small_data_messages messages), else {defaults.AVERAGE_SEEDS} (trainable.seeds_for)",
        check=at_least(1, allow_none=True),
    )
    small_data_messages: int = setting(
        defaults.SMALL_DATA_MESSAGES,
        "trainable mode: at most this many messages are a bot's data, not a corpus: one "
        "fine-tuning with the lower half of the encoder frozen and a faster head "
        "(trainable.for_data_size); config-electra-crf.yml's is lower, since the CRF beside it "
        "keeps the memorised strings that a fully trained encoder would otherwise overwrite",
        check=at_least(0),
    )


# the component's key for each TrainingConfig field trainable mode reads
TRAINING_KEYS = {
    "epochs": "epochs",
    "min_train_steps": "min_steps",
    "max_train_steps": "max_steps",
    "average_last_epochs": "average_last",
    "learning_rate": "learning_rate",
    "warmup_ratio": "warmup_ratio",
    "head_learning_rate": "head_learning_rate",
    "train_batch_size": "batch_size",
    "head": "head",
    "word_features": "word_features",
    "keep_layers": "keep_layers",
    "freeze_layers": "freeze_layers",
}
# trainable mode's own defaults where the fine-tuning command's differ: the step count follows
# the data's size (training.epochs_for), a floor for a bot's few batches an epoch and a ceiling
# for the time a bot builder waits (docs/defaults.md#min-train-steps, #max-train-steps)
TRAINABLE_DEFAULTS = {"min_steps": defaults.MIN_TRAIN_STEPS, "max_steps": defaults.MAX_TRAIN_STEPS}
# what a bot builder sets; the rest are advanced (docs/component.md)
USER_KEYS = (
    "model_path",
    "pretrained",
    "entity_map",
    "epochs",
    "learning_rate",
    "confidence_threshold",
    "backend",
    "quantization",
    "serving_url",
    "keep_overlapping",
    "random_seed",
    "inference_batch_size",
)
# set by Rasa itself: `rasa train --finetune --epoch-fraction F` scales `epochs`
RASA_KEYS = ("finetuning_epoch_fraction",)


def parse_checked(
    component: str, values: Mapping[str, Any], known: Iterable[str], hint: str,
    build: Callable[[], T],
) -> T:  # fmt: skip
    """``build()`` of a component's settings: a key it does not have, or a value a setting's
    check refuses, is an ``ElectraConfigError`` (Rasa's ``InvalidConfigException``) naming it."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ElectraConfigError(f"{component} has no key {unknown[0]!r}; {hint}")
    try:
        return build()
    except SettingError as error:
        raise ElectraConfigError(f"{component}: {error}") from error


def trainable_defaults() -> TrainingConfig:
    return TrainingConfig(**TRAINABLE_DEFAULTS)


@dataclass(frozen=True)
class ExtractorConfig:
    """Every setting the component reads, typed and checked."""

    own: ExtractorOptions
    training: TrainingConfig
    spec: SpecOptions
    serving: ServingOptions
    # `rasa train --finetune --epoch-fraction F`: Rasa has scaled `epochs` by it already; the
    # small-data floor of steps is scaled here
    epoch_fraction: float = 1.0

    @staticmethod
    def defaults() -> dict[str, Any]:
        """The component's default config: each key once, from the class that declares it."""
        training = trainable_defaults()
        return {
            **ExtractorOptions.defaults(),
            **{key: getattr(training, name) for key, name in TRAINING_KEYS.items()},
            **SpecOptions.defaults(),
            **ServingOptions.defaults(),
        }

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> ExtractorConfig:
        """Rasa's dict (the defaults merged with the user's keys) as typed settings."""
        values = {k: v for k, v in config.items() if k not in RASA_KEYS}
        training = {TRAINING_KEYS[k]: v for k, v in values.items() if k in TRAINING_KEYS}
        hint = f"its keys are {', '.join(USER_KEYS)} (and the advanced ones in docs/component.md)"
        return parse_checked(
            "ElectraEntityExtractor", values, cls.defaults(), hint,
            lambda: cls(
                own=ExtractorOptions.from_mapping(values, strict=False),
                training=replace(trainable_defaults(), **training),
                spec=SpecOptions.from_mapping(values, strict=False),
                serving=ServingOptions.from_mapping(values, strict=False),
                epoch_fraction=float(config.get("finetuning_epoch_fraction") or 1.0),
            ),
        )  # fmt: skip

    def check_mode(self) -> None:
        """Exactly one of an export to serve or a start point to fine-tune."""
        if bool(self.own.model_path) == bool(self.own.pretrained):
            raise ElectraConfigError(
                "ElectraEntityExtractor needs exactly one of `model_path` (an exported model "
                "directory) or `pretrained` (a start point to fine-tune during `rasa train`)"
            )


def declaring(key: str) -> tuple[type[Settings], str]:
    """The settings class that declares a component key, and the key's field there."""
    if key in TRAINING_KEYS:
        return TrainingConfig, TRAINING_KEYS[key]
    for cls in (ExtractorOptions, SpecOptions, ServingOptions):
        if key in cls.names():
            return cls, key
    raise KeyError(f"ElectraEntityExtractor has no key {key!r}")


# trainable mode's keys: an export served as it is reads none of them
TRAINABLE_ONLY = (*TRAINING_KEYS, *SpecOptions.names(), "random_seed", "average_seeds")


def add_component_arguments(parser: Any, keys: Sequence[str], prefix: str) -> None:
    """``--PREFIX-KEY`` for component keys, typed and described by the field that declares each;
    unset (None) unless given, so the component's own default applies."""
    for key in keys:
        cls, name = declaring(key)
        add_arguments(parser, cls, prefix, only=[name], defaults={name: None}, rename={name: key})


def component_keys(args: Any, keys: Sequence[str], prefix: str) -> dict[str, Any]:
    """The component keys ``add_component_arguments`` made flags for that were given, as a Rasa
    config holds them (a list where the setting keeps a tuple)."""
    given = {key: getattr(args, prefix.replace("-", "_") + key) for key in keys}
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in given.items()
        if value is not None
    }


def key_table() -> str:
    """docs/component.md's table of every key: its declaring class, help and default."""
    rows = []
    for key, default in ExtractorConfig.defaults().items():
        cls, name = declaring(key)
        field = next(f for f in dataclasses.fields(cls) if f.name == name)
        shown = ", ".join(default) if isinstance(default, tuple) else default
        rows.append(f"| `{key}` | `{cls.__name__}` | {field.metadata['help']} (default: {shown}) |")
    return "\n".join(rows)
