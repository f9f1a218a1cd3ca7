"""The systems the harness compares, one small class each: its Rasa pipeline, what it trains
before `rasa train`, whether its trials differ by seed, and the words it labels.

``system_for("electra@tflite-dynamic")`` gives the system a name on the command line stands for;
the harness (``evaluation.harness``) trains, loads and scores any of them the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rasa_electra import defaults
from rasa_electra.components.entities import directory_fingerprint
from rasa_electra.data.rasa_nlu import read_rasa_data
from rasa_electra.data.spans import Example, relabel
from rasa_electra.evaluation import peers
from rasa_electra.model.export import TOKENIZER_DIR
from rasa_electra.serving.backends import split_format
from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.segmenters import settings_from_options, word_segmenter
from rasa_electra.tokenization.subwords import SubwordTokenizer

TOKENIZER = "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
EXTRACTOR = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"
FAST_CRF = "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor"
CRF_CLASSES = ("CRFEntityExtractor", FAST_CRF)

Offsets = Callable[[str], list[tuple[int, int]]]


@dataclass
class HarnessOptions:
    """What the systems need beyond the data; ELECTRA needs a start point or an export."""

    electra_start_point: str | None = None  # fine-tuned during `rasa train` (trainable mode)
    electra_export: str | None = None  # or an export made by rasa_electra.cli.finetune
    # or one export per fine-tuning seed of one recipe: trial i serves the i-th
    electra_seed_exports: tuple[str, ...] = ()
    electra_epochs: int = defaults.EPOCHS
    electra_min_train_steps: int = defaults.MIN_TRAIN_STEPS  # the component's small-data floor
    # the component's learning_rate; None: its default (chosen by whether the start point's
    # entity head knows the data's labels)
    electra_learning_rate: float | None = None
    electra_batch_size: int = defaults.BATCH_SIZE
    electra_max_seq_length: int = defaults.MAX_SEQ_LENGTH
    # the component's entity_map (a GSD export's labels → the data's names); with a start
    # point that is an export, it also seeds the new labels' head rows (continued fine-tuning)
    electra_entity_map: dict[str, str] | None = None
    electra_o_bias: float | None = None  # the component's o_bias; None: each model's own
    electra_average_seeds: int | None = None  # trainable mode's; None: the component's default
    crf_config: Path = Path("config.yml")  # the project's baseline pipeline, read, not retyped
    crf_max_iterations: int | None = None  # None: config.yml's own value
    # the CRF config's tokenizer options replaced, e.g. {"dictionary": "sudachi", "split_mode": "C"}
    crf_tokenizer: dict[str, Any] = field(default_factory=dict)
    # DIET's epochs; several are a grid chosen on dev (57 s an epoch on GSD train, 2 cores)
    diet_epochs: tuple[int, ...] = (10, 20)
    spacy_config: Path = Path("config-spacy.cfg")
    spacy_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. training.max_steps
    ginza_model: str = "ja_ginza"
    electra_threads: int = 0  # per model call; 0 = all cores


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

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        raise NotImplementedError

    def pipeline(self, options: HarnessOptions, seed: int, spacy_model: str | None = None) -> str:
        """The Rasa config as YAML text."""
        import yaml

        config = {"recipe": "default.v1", "language": "ja", "assistant_id": f"eval-{self.name}",
                  "pipeline": self.steps(options, seed, spacy_model), "policies": []}  # fmt: skip
        return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)

    def recipe(self, options: HarnessOptions, seed: int, dev_file: Path | None) -> list:
        """What besides the training file decides the trained model (texts or files)."""
        return [self.pipeline(options, seed, spacy_model="-")]

    def prepare(self, options: HarnessOptions, train_file: Path, dev_file: Path | None,
                workdir: Path, seed: int) -> Prepared:  # fmt: skip
        return Prepared()

    def earlier_training_seconds(self, options: HarnessOptions) -> float:
        """Training that happened before the harness (an export's fine-tuning)."""
        return 0.0

    def map_predictions(self, predictions: list[Example]) -> tuple[list[Example], Counter]:
        return predictions, Counter()

    def is_stochastic(self, options: HarnessOptions) -> bool:
        return False

    def trial_count(self, options: HarnessOptions, trials: int) -> int:
        return trials if self.is_stochastic(options) else 1

    def trial_options(self, options: HarnessOptions, trial: int) -> HarnessOptions:
        return options

    def dev_choices(self, options: HarnessOptions) -> dict[int, HarnessOptions]:
        """Candidate settings to choose among on dev (empty: the recipe is fixed)."""
        return {}

    def token_offsets(self, options: HarnessOptions) -> Offsets:
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

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        steps = crf_steps(options)
        for step in steps:
            if step["name"] in CRF_CLASSES:
                step["name"] = self.crf_class or step["name"]
                if options.crf_max_iterations is not None:
                    step["max_iterations"] = options.crf_max_iterations
        return steps

    def token_offsets(self, options: HarnessOptions) -> Offsets:
        return word_segmenter(settings_from_options(crf_steps(options)[0])).offsets


class RasaCrf(Crf):
    name = "crf-rasa"
    description = "config.yml with Rasa's own CRFEntityExtractor (refits its CRF at every load)"
    crf_class = "CRFEntityExtractor"


class Diet(System):
    name = "diet"
    description = "Rasa's DIETClassifier on MeCab words and char n-grams, epochs chosen on dev"
    dev_parameter = "epochs"

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        if len(options.diet_epochs) != 1:
            raise ValueError(f"DIET's epochs {options.diet_epochs}: choose one on dev first")
        (epochs,) = options.diet_epochs
        return [
            mecab_step(),
            {"name": "LexicalSyntacticFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 3,
            },
            {
                "name": "DIETClassifier",
                "intent_classification": False,
                "epochs": epochs,
                "random_seed": seed,
            },
        ]

    def is_stochastic(self, options: HarnessOptions) -> bool:
        return True

    def dev_choices(self, options: HarnessOptions) -> dict[int, HarnessOptions]:
        if len(options.diet_epochs) == 1:
            return {}
        return {epochs: replace(options, diet_epochs=(epochs,)) for epochs in options.diet_epochs}


class Spacy(System):
    """spaCy 3 NER trained by `spacy train`, served by Rasa's spaCy components over spaCy's
    own tokenizer (``spacy_model``: the trained pipeline's folder)."""

    name = "spacy"
    description = "spaCy 3 NER trained by `spacy train` (config-spacy.cfg), best on dev"
    token_level = False

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        if not spacy_model:
            raise ValueError("the spacy system's pipeline needs the trained spaCy model's folder")
        return spacy_steps(spacy_model)

    def recipe(self, options: HarnessOptions, seed: int, dev_file: Path | None) -> list:
        if dev_file is None:
            raise ValueError("the spacy system selects its checkpoint on dev: give a dev file")
        settings = json.dumps({"seed": seed, **options.spacy_overrides}, sort_keys=True)
        return [options.spacy_config, dev_file, settings]

    def prepare(self, options: HarnessOptions, train_file: Path, dev_file: Path | None,
                workdir: Path, seed: int) -> Prepared:  # fmt: skip
        model, report = peers.train_spacy(
            read_rasa_data(train_file), read_rasa_data(dev_file), workdir / "spacy", seed,
            options.spacy_config, options.spacy_overrides, workdir / "spacy-train.log",
        )  # fmt: skip
        return Prepared(str(model), peers.folder_bytes(model), report.as_dict())

    def is_stochastic(self, options: HarnessOptions) -> bool:
        return True

    def token_offsets(self, options: HarnessOptions) -> Offsets:
        return peers.spacy_offsets(peers.blank_japanese())


class Ginza(System):
    name = "ginza"
    description = "ja_ginza off the shelf, ENE labels mapped to GSD's"
    token_level = False

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        return spacy_steps(options.ginza_model)

    def prepare(self, options: HarnessOptions, train_file: Path, dev_file: Path | None,
                workdir: Path, seed: int) -> Prepared:  # fmt: skip
        return Prepared(external_bytes=peers.folder_bytes(
            peers.installed_package_path(options.ginza_model)))  # fmt: skip

    def map_predictions(self, predictions: list[Example]) -> tuple[list[Example], Counter]:
        """GiNZA's ENE labels → GSD's (the documented table in peers)."""
        return relabel(predictions, peers.ginza_label_map())

    def token_offsets(self, options: HarnessOptions) -> Offsets:
        import spacy

        return peers.spacy_offsets(spacy.load(options.ginza_model))


class Electra(System):
    """ElectraEntityExtractor on the shared tokenizer: an export (``model_path``), or a start
    point fine-tuned inside `rasa train`, on the component's default backend (``auto``);
    ``electra@FORMAT`` serves the export from one format (``savedmodel``, ``tflite``,
    ``tflite-dynamic``, ``tflite-float16``, ``onnx``, ``onnx-dynamic``)."""

    name = "electra"
    description = "ElectraEntityExtractor (an export, or fine-tuned inside `rasa train`)"

    def __init__(self, backend_format: str | None = None) -> None:
        self.backend_format = backend_format

    def steps(self, options: HarnessOptions, seed: int, spacy_model: str | None) -> list[dict]:
        if bool(options.electra_start_point) == bool(options.electra_export):
            raise ValueError("the electra system needs exactly one of a start point or an export")
        step: dict[str, Any] = {"name": EXTRACTOR}
        if options.electra_export:
            step["model_path"] = options.electra_export
        else:
            step.update(
                pretrained=options.electra_start_point,
                epochs=options.electra_epochs,
                min_train_steps=options.electra_min_train_steps,
                train_batch_size=options.electra_batch_size,
                max_seq_length=options.electra_max_seq_length,
                random_seed=seed,
            )
        if options.electra_entity_map:
            step["entity_map"] = dict(options.electra_entity_map)
        if options.electra_learning_rate is not None and options.electra_start_point:
            step["learning_rate"] = options.electra_learning_rate
        if options.electra_o_bias is not None:
            step["o_bias"] = options.electra_o_bias
        if options.electra_average_seeds is not None and options.electra_start_point:
            step["average_seeds"] = options.electra_average_seeds
        if self.backend_format:  # else the component's default backend, as a user gets it
            backend, quantization = split_format(self.backend_format)
            step.update(backend=backend, quantization=quantization)
        step["intra_op_threads"] = options.electra_threads
        return [mecab_step(), step]

    def recipe(self, options: HarnessOptions, seed: int, dev_file: Path | None) -> list:
        """The start point's or export's bytes, not its path; in trainable mode the package's
        defaults too, which decide the fine-tuning the pipeline leaves unsaid."""
        source = options.electra_export or options.electra_start_point
        parts = super().recipe(options, seed, dev_file)
        if source and Path(source).is_dir():
            parts.append(directory_fingerprint(Path(source)))
        if not options.electra_export:
            parts.append(defaults.as_text())
        return parts

    def earlier_training_seconds(self, options: HarnessOptions) -> float:
        """model_path mode: `rasa train` only copies; the export's model card times its
        fine-tuning, a soup's the fine-tunings it averages."""
        if not options.electra_export:
            return 0.0
        card = json.loads((Path(options.electra_export) / "model_card.json").read_text("utf-8"))
        ingredients = sum(i.get("training_seconds", 0.0) for i in card.get("soup") or [])
        return float(sum(card["training"]["seconds_per_epoch"]) + ingredients)

    def is_stochastic(self, options: HarnessOptions) -> bool:
        return not options.electra_export

    def trial_count(self, options: HarnessOptions, trials: int) -> int:
        """One trial per seed export, when there are several."""
        if options.electra_seed_exports:
            return len(options.electra_seed_exports)
        return super().trial_count(options, trials)

    def trial_options(self, options: HarnessOptions, trial: int) -> HarnessOptions:
        if options.electra_seed_exports:
            return replace(options, electra_export=options.electra_seed_exports[trial])
        return options

    def token_offsets(self, options: HarnessOptions) -> Offsets:
        """An export labels the words its tokenizer cuts (each word's first subword)."""
        if options.electra_export:
            tokenizer = Path(options.electra_export) / TOKENIZER_DIR
            return SubwordTokenizer.from_directory(tokenizer).words.offsets
        return super().token_offsets(options)


SYSTEM_CLASSES: dict[str, type[System]] = {
    cls.name: cls for cls in (Crf, RasaCrf, Electra, Diet, Spacy, Ginza)
}
# every system the harness can train and score, with what it is
SYSTEMS = {name: cls.description for name, cls in SYSTEM_CLASSES.items()}


def system_for(name: str) -> System:
    """``electra@tflite-dynamic`` → the ELECTRA system on that backend; ``crf`` → the CRF."""
    base, _, backend_format = name.partition("@")
    if base not in SYSTEM_CLASSES:
        raise ValueError(f"unknown system {name!r}; choose one of {', '.join(SYSTEMS)}")
    if backend_format:
        if base != "electra":
            raise ValueError(f"only electra runs on other backends, got {name!r}")
        return Electra(backend_format)
    return SYSTEM_CLASSES[base]()


def crf_steps(options: HarnessOptions) -> list[dict[str, Any]]:
    """``options.crf_config``'s pipeline, its tokenizer's options updated by
    ``options.crf_tokenizer`` (e.g. the CRF on Sudachi words)."""
    import yaml

    config = yaml.safe_load(Path(options.crf_config).read_text(encoding="utf-8"))
    steps = config["pipeline"]
    if not steps or steps[0]["name"] != TOKENIZER:
        raise ValueError(f"{options.crf_config}: the pipeline must start with {TOKENIZER}")
    steps[0].update(options.crf_tokenizer)
    return steps


def spacy_steps(model: str) -> list[dict[str, Any]]:
    return [{"name": "SpacyNLP", "model": model}, {"name": "SpacyTokenizer"},
            {"name": "SpacyEntityExtractor"}]  # fmt: skip
