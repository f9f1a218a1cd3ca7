"""The systems the harness compares, one small class each with its own options: its Rasa
pipeline, what it trains before `rasa train`, whether its trials differ by seed, and the words
it labels.

``build_systems`` is the one place a name on the command line (``crf``, ``electra@onnx``) becomes
a system; the harness (``evaluation.harness``) trains, loads and scores any of them the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rasa_electra import defaults
from rasa_electra.components.electra_config import ExtractorConfig
from rasa_electra.components.entities import directory_fingerprint
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.spans import Example, relabel
from rasa_electra.evaluation import peers
from rasa_electra.model.export import TOKENIZER_DIR
from rasa_electra.serving.backends import split_format
from rasa_electra.settings import Settings, setting
from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.segmenters import settings_from_options, word_segmenter
from rasa_electra.tokenization.subwords import SubwordTokenizer

TOKENIZER = "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
EXTRACTOR = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"
FAST_CRF = "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor"
CRF_CLASSES = ("CRFEntityExtractor", FAST_CRF)
# the CRF's pipeline, then ELECTRA joining it: the electra+crf system reads it as written
JOINED_CONFIG = Path("config-electra-crf.yml")
# trainable mode's keys the harness always writes (the component's defaults unless set), so a
# trial's pipeline says how it was fine-tuned
TRAINABLE_KEYS = ("epochs", "min_train_steps", "max_train_steps", "train_batch_size",
                  "max_seq_length")  # fmt: skip

Offsets = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True)
class CrfOptions(Settings):
    config: Path = setting(Path("config.yml"), "the CRF system's pipeline (read, not retyped)")
    # the config's tokenizer options replaced, e.g. {"dictionary": "sudachi", "split_mode": "C"}
    tokenizer: dict[str, Any] = setting(factory=dict, flag=False)
    max_iterations: int | None = setting(None, "the CRF's iterations; none: the config's")


@dataclass(frozen=True)
class DietOptions(Settings):
    epochs: tuple[int, ...] = setting(
        (10, 20), "DIET's epochs; several are a grid chosen on dev (57 s an epoch on GSD train)"
    )


@dataclass(frozen=True)
class SpacyOptions(Settings):
    config: Path = setting(peers.SPACY_CONFIG, "spaCy's training config")
    overrides: dict[str, Any] = setting(factory=dict, flag=False)  # e.g. training.max_steps


@dataclass(frozen=True)
class GinzaOptions(Settings):
    model: str = setting(peers.GINZA_MODEL, "the GiNZA pipeline package")


@dataclass(frozen=True)
class ElectraOptions:
    """An ELECTRA system: what it serves or fine-tunes, and the component keys the run sets
    beyond the component's defaults (checked by the component's own config)."""

    source: str  # an export (served) or a start point (fine-tuned in `rasa train`)
    keys: Mapping[str, Any] = field(default_factory=dict)
    threads: int = 0  # the component's intra_op_threads for every model call; 0: all cores

    def __post_init__(self) -> None:
        ExtractorConfig.parse({**ExtractorConfig.defaults(), **self.keys})


@dataclass
class Prepared:
    """What a system trained or found before `rasa train`: a spaCy pipeline's folder, the
    bytes of a model the archive refers to, the training entities that system had to drop."""

    spacy_model: str | None = None
    external_bytes: int = 0
    misaligned: dict[str, Any] = field(default_factory=dict)


class System:
    """A system through Rasa: the shared MeCab tokenizer, then its own steps."""

    name = ""
    description = ""
    token_level = True  # `rasa test nlu` reports its extractor (not Rasa's spaCy one)
    dev_parameter = ""  # what ``dev_choices`` varies, for the report

    def __init__(self, options: Any = None) -> None:
        self.options = options

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        raise NotImplementedError

    def pipeline(self, seed: int, spacy_model: str | None = None) -> str:
        """The Rasa config as YAML text."""
        import yaml

        config = {"recipe": "default.v1", "language": "ja", "assistant_id": f"eval-{self.name}",
                  "pipeline": self.steps(seed, spacy_model), "policies": []}  # fmt: skip
        return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)

    def recipe(self, seed: int, dev_file: Path | None) -> list:
        """What besides the training file decides the trained model (texts or files)."""
        return [self.pipeline(seed, spacy_model="-")]

    def prepare(
        self, train_file: Path, dev_file: Path | None, workdir: Path, seed: int
    ) -> Prepared:
        return Prepared()

    def earlier_training_seconds(self) -> float:
        """Training that happened before the harness (an export's fine-tuning)."""
        return 0.0

    def map_predictions(self, predictions: list[Example]) -> tuple[list[Example], Counter]:
        return predictions, Counter()

    def is_stochastic(self) -> bool:
        return False

    def trial_count(self, trials: int) -> int:
        return trials if self.is_stochastic() else 1

    def for_trial(self, trial: int) -> System:
        """The system a trial runs (an export per seed: that trial's)."""
        return self

    def dev_choices(self) -> dict[int, System]:
        """Candidate settings to choose among on dev (empty: the recipe is fixed)."""
        return {}

    def token_offsets(self) -> Offsets:
        """The offsets of the words the system labels."""
        return MecabTokenizer().offsets


def mecab_step() -> dict[str, Any]:
    return {"name": TOKENIZER}


class Crf(System):
    """config.yml's baseline, featurizers included: Rasa 3.6's CRFEntityExtractor silently
    trains on no examples when no featurizer has run (it keeps only featurized messages)."""

    name = "crf"
    description = "config.yml: its words (the dev choice), featurizers, the fast-loading CRF"
    crf_class: str | None = None  # None: config.yml's own (the fast-loading CRF)
    options: CrfOptions

    def __init__(self, options: CrfOptions | None = None) -> None:
        super().__init__(options or CrfOptions())

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        steps = crf_steps(self.options)
        for step in steps:
            if step["name"] in CRF_CLASSES:
                step["name"] = self.crf_class or step["name"]
                if self.options.max_iterations is not None:
                    step["max_iterations"] = self.options.max_iterations
        return steps

    def token_offsets(self) -> Offsets:
        return word_segmenter(settings_from_options(crf_steps(self.options)[0])).offsets


class RasaCrf(Crf):
    name = "crf-rasa"
    description = "config.yml with Rasa's own CRFEntityExtractor (refits its CRF at every load)"
    crf_class = "CRFEntityExtractor"


class Diet(System):
    name = "diet"
    description = "Rasa's DIETClassifier on MeCab words and char n-grams, epochs chosen on dev"
    dev_parameter = "epochs"
    options: DietOptions

    def __init__(self, options: DietOptions | None = None) -> None:
        super().__init__(options or DietOptions())

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        if len(self.options.epochs) != 1:
            raise ValueError(f"DIET's epochs {self.options.epochs}: choose one on dev first")
        (epochs,) = self.options.epochs
        return [
            mecab_step(),
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 3},
            {"name": "DIETClassifier", "intent_classification": False, "epochs": epochs,
             "random_seed": seed},
        ]  # fmt: skip

    def is_stochastic(self) -> bool:
        return True

    def dev_choices(self) -> dict[int, System]:
        if len(self.options.epochs) == 1:
            return {}
        return {e: Diet(replace(self.options, epochs=(e,))) for e in self.options.epochs}


class Spacy(System):
    """spaCy 3 NER trained by `spacy train`, served by Rasa's spaCy components over spaCy's
    own tokenizer (``spacy_model``: the trained pipeline's folder)."""

    name = "spacy"
    description = "spaCy 3 NER trained by `spacy train` (config-spacy.cfg), best on dev"
    token_level = False
    options: SpacyOptions

    def __init__(self, options: SpacyOptions | None = None) -> None:
        super().__init__(options or SpacyOptions())

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        if not spacy_model:
            raise ValueError("the spacy system's pipeline needs the trained spaCy model's folder")
        return spacy_steps(spacy_model)

    def recipe(self, seed: int, dev_file: Path | None) -> list:
        if dev_file is None:
            raise ValueError("the spacy system selects its checkpoint on dev: give a dev file")
        settings = json.dumps({"seed": seed, **self.options.overrides}, sort_keys=True)
        return [self.options.config, dev_file, settings]

    def prepare(
        self, train_file: Path, dev_file: Path | None, workdir: Path, seed: int
    ) -> Prepared:
        model, report = peers.train_spacy(
            read_rasa_data(train_file), read_rasa_data(dev_file), workdir / "spacy", seed,
            self.options.config, self.options.overrides, workdir / "spacy-train.log",
        )  # fmt: skip
        return Prepared(str(model), peers.folder_bytes(model), report.as_dict())

    def is_stochastic(self) -> bool:
        return True

    def token_offsets(self) -> Offsets:
        return peers.spacy_offsets(peers.blank_japanese())


class Ginza(System):
    name = "ginza"
    description = "ja_ginza off the shelf, ENE labels mapped to GSD's"
    token_level = False
    options: GinzaOptions

    def __init__(self, options: GinzaOptions | None = None) -> None:
        super().__init__(options or GinzaOptions())

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        return spacy_steps(self.options.model)

    def prepare(
        self, train_file: Path, dev_file: Path | None, workdir: Path, seed: int
    ) -> Prepared:
        package = peers.installed_package_path(self.options.model)
        return Prepared(external_bytes=peers.folder_bytes(package))

    def map_predictions(self, predictions: list[Example]) -> tuple[list[Example], Counter]:
        """GiNZA's ENE labels → GSD's (the documented table in peers)."""
        return relabel(predictions, peers.ginza_label_map())

    def token_offsets(self) -> Offsets:
        import spacy

        return peers.spacy_offsets(spacy.load(self.options.model))


class ElectraExport(System):
    """An export made by `rasa-electra finetune`, served by ElectraEntityExtractor
    (``model_path``) on the component's default backend (``auto``); ``electra@FORMAT`` serves it
    from one format (``savedmodel``, ``tflite``, ``tflite-dynamic``, ``tflite-float16``,
    ``onnx``, ``onnx-dynamic``). Several exports of one recipe are one trial each."""

    name = "electra"
    description = "ElectraEntityExtractor serving an export (model_path)"
    options: ElectraOptions

    def __init__(self, options: ElectraOptions, backend_format: str | None = None,
                 seed_exports: Sequence[str] = ()) -> None:  # fmt: skip
        super().__init__(options)
        self.backend_format = backend_format
        self.seed_exports = tuple(seed_exports)
        if backend_format:
            self.name = f"electra@{backend_format}"

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        step: dict[str, Any] = {"name": EXTRACTOR, "model_path": self.options.source}
        step.update(self.options.keys)
        if self.backend_format:  # else the component's default backend, as a user gets it
            backend, quantization = split_format(self.backend_format)
            step.update(backend=backend, quantization=quantization)
        step["intra_op_threads"] = self.options.threads
        return [mecab_step(), step]

    def recipe(self, seed: int, dev_file: Path | None) -> list:
        """The export's bytes, not its path."""
        parts = super().recipe(seed, dev_file)
        if Path(self.options.source).is_dir():
            parts.append(directory_fingerprint(Path(self.options.source)))
        return parts

    def earlier_training_seconds(self) -> float:
        """`rasa train` only copies; the export's model card times its fine-tuning, a soup's
        the fine-tunings it averages."""
        card = json.loads((Path(self.options.source) / "model_card.json").read_text("utf-8"))
        ingredients = sum(i.get("training_seconds", 0.0) for i in card.get("soup") or [])
        return float(sum(card["training"]["seconds_per_epoch"]) + ingredients)

    def trial_count(self, trials: int) -> int:
        return len(self.seed_exports) or 1

    def for_trial(self, trial: int) -> System:
        if not self.seed_exports:
            return self
        options = replace(self.options, source=self.seed_exports[trial])
        return ElectraExport(options, self.backend_format, self.seed_exports)

    def token_offsets(self) -> Offsets:
        """An export labels the words its tokenizer cuts (each word's first subword)."""
        tokenizer = Path(self.options.source) / TOKENIZER_DIR
        return SubwordTokenizer.from_directory(tokenizer).words.offsets


class ElectraTrainable(System):
    """ElectraEntityExtractor fine-tuning a start point inside `rasa train` (``pretrained``),
    with the component's defaults but for the keys the run sets."""

    name = "electra"
    description = "ElectraEntityExtractor fine-tuned inside `rasa train` (pretrained)"
    options: ElectraOptions

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        component = ExtractorConfig.defaults()
        step: dict[str, Any] = {"name": EXTRACTOR, "pretrained": self.options.source}
        step.update({key: self.options.keys.get(key, component[key]) for key in TRAINABLE_KEYS})
        step["random_seed"] = seed
        step.update({k: v for k, v in self.options.keys.items() if k not in TRAINABLE_KEYS})
        step["intra_op_threads"] = self.options.threads
        return [mecab_step(), step]

    def recipe(self, seed: int, dev_file: Path | None) -> list:
        """The start point's bytes, not its path, and the package's defaults, which decide the
        fine-tuning the pipeline leaves unsaid."""
        parts = super().recipe(seed, dev_file)
        if Path(self.options.source).is_dir():
            parts.append(directory_fingerprint(Path(self.options.source)))
        return [*parts, defaults.as_text()]

    def is_stochastic(self) -> bool:
        return True


class ElectraJoined(ElectraTrainable):
    """``JOINED_CONFIG`` as written: the CRF's pipeline, then ElectraEntityExtractor fine-tuned
    on the same words, weighing the CRF's entities into its decoding and answering in their
    place (``join_extractors``); the run sets its start point, seed and keys."""

    name = "electra+crf"
    description = (
        "config-electra-crf.yml: the CRF's pipeline, then ElectraEntityExtractor joining it"
    )

    def steps(self, seed: int, spacy_model: str | None) -> list[dict]:
        import yaml

        config = yaml.safe_load(JOINED_CONFIG.read_text(encoding="utf-8"))
        *crf, electra = config["pipeline"]
        electra.update(pretrained=self.options.source, random_seed=seed,
                       intra_op_threads=self.options.threads, **self.options.keys)  # fmt: skip
        return [*crf, electra]

    def token_offsets(self) -> Offsets:
        return word_segmenter(settings_from_options(self.steps(0, None)[0])).offsets


PEERS: dict[str, type[System]] = {cls.name: cls for cls in (Crf, RasaCrf, Diet, Spacy, Ginza)}
# every system the harness can train and score, with what it is
SYSTEMS = {
    **{name: cls.description for name, cls in PEERS.items()},
    "electra": "ElectraEntityExtractor: an export (model_path), or fine-tuned inside `rasa "
    "train` (pretrained)",
    ElectraJoined.name: ElectraJoined.description + " (a start point, fine-tuned in `rasa train`)",
}


@dataclass(frozen=True)
class SystemOptions:
    """Each system's options, for ``build_systems``: ELECTRA's export(s) or start point."""

    crf: CrfOptions = field(default_factory=CrfOptions)
    diet: DietOptions = field(default_factory=DietOptions)
    spacy: SpacyOptions = field(default_factory=SpacyOptions)
    ginza: GinzaOptions = field(default_factory=GinzaOptions)
    electra_exports: tuple[str, ...] = ()  # one per fine-tuning seed of one recipe
    electra_start_point: str | None = None
    electra_keys: Mapping[str, Any] = field(default_factory=dict)
    electra_threads: int = 0


def build_systems(names: Sequence[str], options: SystemOptions) -> list[System]:
    """``crf,electra@tflite-dynamic`` → the systems those names stand for, with their options;
    a name that cannot be run as given is a ``ValueError`` saying why."""
    return [build_system(name, options) for name in names]


def build_system(name: str, options: SystemOptions) -> System:
    base, _, backend_format = name.partition("@")
    if base in PEERS:
        if backend_format:
            raise ValueError(f"only electra runs on other backends, got {name!r}")
        chosen = {"crf": options.crf, "crf-rasa": options.crf, "diet": options.diet,
                  "spacy": options.spacy, "ginza": options.ginza}[base]  # fmt: skip
        return PEERS[base](chosen)
    if base == ElectraJoined.name and not backend_format and options.electra_start_point:
        keys = dict(options.electra_keys)
        electra = ElectraOptions(options.electra_start_point, keys, options.electra_threads)
        return ElectraJoined(electra)
    if base != "electra":
        raise ValueError(
            f"unknown system {name!r}; choose one of {', '.join(SYSTEMS)} "
            f"({ElectraJoined.name} fine-tunes a start point, on no backend)"
        )
    if bool(options.electra_exports) == bool(options.electra_start_point):
        raise ValueError("the electra system needs exactly one of a start point or exports")
    if options.electra_exports:
        exports = options.electra_exports
        electra = ElectraOptions(exports[0], options.electra_keys, options.electra_threads)
        return ElectraExport(electra, backend_format or None, exports if len(exports) > 1 else ())
    if backend_format:
        raise ValueError(f"{name}: a converted format needs exports (made by export-formats)")
    keys = dict(options.electra_keys)
    electra = ElectraOptions(options.electra_start_point, keys, options.electra_threads)
    return ElectraTrainable(electra)


def crf_steps(options: CrfOptions) -> list[dict[str, Any]]:
    """``options.config``'s pipeline, its tokenizer's options updated by ``options.tokenizer``
    (e.g. the CRF on Sudachi words)."""
    import yaml

    config = yaml.safe_load(Path(options.config).read_text(encoding="utf-8"))
    steps = config["pipeline"]
    if not steps or steps[0]["name"] != TOKENIZER:
        raise ValueError(f"{options.config}: the pipeline must start with {TOKENIZER}")
    steps[0].update(options.tokenizer)
    return steps


def spacy_steps(model: str) -> list[dict[str, Any]]:
    return [{"name": "SpacyNLP", "model": model}, {"name": "SpacyTokenizer"},
            {"name": "SpacyEntityExtractor"}]  # fmt: skip
