"""ELECTRA against its peers through Rasa: train each pipeline, load it, parse the test split.

Everything a Rasa user would get is measured on the trained ``models/*.tar.gz``: span-level
scores on characters (exact start, end, label), training time, model load time, per-message
latency, archive size. ``rasa test nlu``'s own token-level numbers are collected once per system
so users can relate the two.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rasa_electra import defaults
from rasa_electra.components.electra_entity_extractor import directory_fingerprint
from rasa_electra.data.alignment import MisalignmentReport, count_misaligned
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.span_metrics import SpanScores, mean_std, score_spans, summarize_trials
from rasa_electra.data.spans import Example, boundaries_only, relabel
from rasa_electra.data.tags import ATTRIBUTES, with_attribute
from rasa_electra.evaluation import peers
from rasa_electra.evaluation.rasa_agent import ParsedMessages, parse_examples, percentile
from rasa_electra.model.export import TOKENIZER_DIR
from rasa_electra.serving.backends import split_format
from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.segmenters import settings_from_options, word_segmenter
from rasa_electra.tokenization.subwords import SubwordTokenizer

TOKENIZER = "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
EXTRACTOR = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"
FAST_CRF = "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor"
CRF_CLASSES = ("CRFEntityExtractor", FAST_CRF)
# every system the harness can train and score, with what it is
SYSTEMS = {
    "crf": "config.yml: MeCab words, featurizers, the fast-loading CRF",
    "crf-rasa": "config.yml with Rasa's own CRFEntityExtractor (refits its CRF at every load)",
    "electra": "ElectraEntityExtractor (an export, or fine-tuned inside `rasa train`)",
    "diet": "Rasa's DIETClassifier on MeCab words and char n-grams, epochs chosen on dev",
    "spacy": "spaCy 3 NER trained by `spacy train` (config-spacy.cfg), best on dev",
    "ginza": "ja_ginza off the shelf, ENE labels mapped to GSD's",
}


@dataclass
class HarnessOptions:
    """What the systems need beyond the data; ELECTRA needs a start point or an export."""

    electra_start_point: str | None = None  # fine-tuned during `rasa train` (trainable mode)
    electra_export: str | None = None  # or an export made by rasa_electra.cli.finetune
    # or one export per fine-tuning seed of one recipe: trial i serves the i-th
    electra_seed_exports: tuple[str, ...] = ()
    electra_epochs: int = defaults.EPOCHS
    electra_learning_rate: float = defaults.LEARNING_RATE
    electra_batch_size: int = defaults.BATCH_SIZE
    electra_max_seq_length: int = defaults.MAX_SEQ_LENGTH
    # the component's entity_map (a GSD export's labels → the data's names); with a start
    # point that is an export, it also seeds the new labels' head rows (continued fine-tuning)
    electra_entity_map: dict[str, str] | None = None
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


def split_system(system: str) -> tuple[str, str | None]:
    """``electra@tflite-dynamic`` → (``electra``, ``tflite-dynamic``): a system on a backend."""
    base, _, backend_format = system.partition("@")
    if backend_format and base != "electra":
        raise ValueError(f"only electra runs on other backends, got {system!r}")
    return base, backend_format or None


def _crf_steps(options: HarnessOptions) -> list[dict[str, Any]]:
    """``options.crf_config``'s pipeline, its tokenizer's options updated by
    ``options.crf_tokenizer`` (e.g. the CRF on Sudachi words)."""
    import yaml

    config = yaml.safe_load(Path(options.crf_config).read_text(encoding="utf-8"))
    steps = config["pipeline"]
    if not steps or steps[0]["name"] != TOKENIZER:
        raise ValueError(f"{options.crf_config}: the pipeline must start with {TOKENIZER}")
    steps[0].update(options.crf_tokenizer)
    return steps


def _baseline_steps(options: HarnessOptions, crf_class: str | None = None) -> str:
    """The pipeline steps of the CRF config after its tokenizer, as YAML lines, the tokenizer's
    options first; its CRF swapped for ``crf_class`` when given (Rasa's own, for the baseline
    row)."""
    import yaml

    steps = _crf_steps(options)
    for step in steps:
        if step["name"] not in CRF_CLASSES:
            continue
        step["name"] = crf_class or step["name"]
        if options.crf_max_iterations is not None:
            step["max_iterations"] = options.crf_max_iterations
    # the tokenizer's own options (dictionary, normalization) stay with the baseline
    tokenizer_options = "".join(
        f"    {k}: {json.dumps(v, ensure_ascii=False)}\n"
        for k, v in steps[0].items()
        if k != "name"
    )  # JSON values are YAML: null stays null, a string stays a string
    text = yaml.safe_dump(steps[1:], allow_unicode=True, sort_keys=False, default_flow_style=None)
    return tokenizer_options + "".join(f"  {line}\n" for line in text.splitlines())


def pipeline(
    system: str, options: HarnessOptions, seed: int, spacy_model: str | None = None
) -> str:
    """The Rasa config (YAML text) of one system.

    Rasa's components and ELECTRA share the MeCab tokenizer; ``spacy`` and ``ginza`` are served
    by Rasa's spaCy components over their own tokenizer (``spacy_model``: the trained spaCy
    pipeline's folder). ``electra@FORMAT`` is the ELECTRA export served by a converted format
    (``tflite``, ``tflite-dynamic``, ``tflite-float16``, ``onnx``, ``onnx-dynamic``; see
    serving.backends).
    """
    system, backend_format = split_system(system)
    head = f"recipe: default.v1\nlanguage: ja\nassistant_id: eval-{system}\npipeline:\n"
    mecab = f"  - name: {TOKENIZER}\n"
    if system in ("crf", "crf-rasa"):
        # config.yml's baseline, featurizers included: Rasa 3.6's CRFEntityExtractor silently
        # trains on no examples when no featurizer has run (it keeps only featurized messages).
        # crf-rasa: the same with Rasa's own CRFEntityExtractor (refits at every load)
        body = mecab + _baseline_steps(
            options, "CRFEntityExtractor" if system == "crf-rasa" else None
        )
    elif system == "diet":
        if len(options.diet_epochs) != 1:
            raise ValueError(f"DIET's epochs {options.diet_epochs}: choose one on dev first")
        (epochs,) = options.diet_epochs
        body = mecab + (
            "  - name: LexicalSyntacticFeaturizer\n"
            "  - name: CountVectorsFeaturizer\n"
            "    analyzer: char_wb\n    min_ngram: 1\n    max_ngram: 3\n"
            "  - name: DIETClassifier\n    intent_classification: false\n"
            f"    epochs: {epochs}\n"
            f"    random_seed: {seed}\n"
        )
    elif system in ("spacy", "ginza"):
        model = options.ginza_model if system == "ginza" else spacy_model
        if not model:
            raise ValueError("the spacy system's pipeline needs the trained spaCy model's folder")
        body = (
            f"  - name: SpacyNLP\n    model: {model}\n"
            "  - name: SpacyTokenizer\n  - name: SpacyEntityExtractor\n"
        )
    elif system == "electra":
        if bool(options.electra_start_point) == bool(options.electra_export):
            raise ValueError("the electra system needs exactly one of a start point or an export")
        source = (
            f"    model_path: {options.electra_export}\n"
            if options.electra_export
            else (
                f"    pretrained: {options.electra_start_point}\n"
                f"    epochs: {options.electra_epochs}\n"
                f"    learning_rate: {options.electra_learning_rate}\n"
                f"    train_batch_size: {options.electra_batch_size}\n"
                f"    max_seq_length: {options.electra_max_seq_length}\n"
                f"    random_seed: {seed}\n"
            )
        )
        if options.electra_entity_map:
            entity_map = json.dumps(options.electra_entity_map, ensure_ascii=False)
            source += f"    entity_map: {entity_map}\n"
        backend, quantization = split_format(backend_format or "savedmodel")
        serving = (
            f"    backend: {backend}\n    quantization: {quantization}\n"
            f"    intra_op_threads: {options.electra_threads}\n"
        )
        body = f"{mecab}  - name: {EXTRACTOR}\n{source}{serving}"
    else:
        raise ValueError(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")
    return head + body + "policies: []\n"


# what a `rasa train` prints that says how far it is: our epochs and dev F1, DIET's epoch bar
PROGRESS = re.compile(r"(?i)\bepochs?\b|dev span F1|\d+%\|")


def rasa_command(
    *args: str, cwd: Path, log_path: Path | None = None, label: str = "", timeout: int = 24 * 3600
) -> str:
    """Run ``rasa ARGS`` in ``cwd``; returns its output (stdout and stderr together).

    The whole output goes to ``log_path``; lines that report progress (epochs, batches, dev
    F1; tqdm bars redrawn in place) are echoed to stderr as they come, prefixed with ``label``,
    so a long `rasa train` shows where it is while the report stays clean."""
    rasa = Path(sys.executable).with_name("rasa")
    # parsing in this process (quiet_rasa) sets LOG_LEVEL=WARNING, which would also switch off
    # DIET's progress bar in every later `rasa train`: the child gets Rasa's default level
    env = {k: v for k, v in os.environ.items() if k != "LOG_LEVEL"}
    process = subprocess.Popen(
        [str(rasa), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline, output, pending = time.monotonic() + timeout, bytearray(), b""
    log = open(log_path, "wb") if log_path else None  # noqa: SIM115 (closed below)
    stream = process.stdout.fileno()
    try:
        while True:
            ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:  # silent past the deadline: a hang
                process.kill()
                raise TimeoutError(f"rasa {' '.join(args[:2])} ran past {timeout} s")
            chunk = os.read(stream, 65536)
            if not chunk:
                break
            output += chunk
            if log:
                log.write(chunk)
                log.flush()
            *lines, pending = re.split(rb"(?<=[\r\n])", pending + chunk)
            for line in lines:
                text = line.decode("utf-8", "replace")
                if PROGRESS.search(text):
                    sys.stderr.write(f"{label}{text.rstrip()}{text[-1]}")
                    sys.stderr.flush()
    finally:
        process.wait()
        if log:
            log.close()
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        where = f" (whole output: {log_path})" if log_path else ""
        raise RuntimeError(f"rasa {' '.join(args[:2])} failed{where}:\n{text[-4000:]}")
    return text


def token_level_report(archive: Path, test_file: Path, workdir: Path) -> dict[str, Any]:
    """``rasa test nlu``'s entity report (token-level, weighted averages) for each extractor."""
    out = workdir / "rasa_test"
    rasa_command("test", "nlu", "--model", str(archive), "--nlu", str(test_file), "--out", str(out),
                 "--no-plot", cwd=workdir, log_path=workdir / "rasa-test.log")  # fmt: skip
    reports = {}
    for path in sorted(out.glob("*_report.json")):
        if path.name in ("intent_report.json", "response_selection_report.json"):
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        reports[path.name.removesuffix("_report.json")] = report.get("weighted avg", {})
    return reports


@dataclass
class TrialResult:
    system: str
    trial: int
    seed: int
    train_seconds: float
    load_seconds: float
    latency_ms: dict[str, float]
    archive_bytes: int
    scores: dict[str, Any]
    token_level: dict[str, Any] = field(default_factory=dict)
    boundary_scores: dict[str, Any] = field(default_factory=dict)  # labels ignored
    # "role"/"group" → entity+role (entity+group) scores, when the test data has any
    attribute_scores: dict[str, Any] = field(default_factory=dict)
    dropped_predictions: dict[str, int] = field(default_factory=dict)  # labels with no map
    # training entities left out of a spaCy DocBin: their edges fall inside a spaCy word
    train_unrepresentable: int | None = None


@dataclass
class TrainedSystem:
    """A trained Rasa model and what training it cost; kept in its folder for reruns."""

    archive: Path  # always the folder's model.tar.gz: not stored in trained.json
    train_seconds: float
    # bytes of a model the archive refers to but does not hold (a spaCy pipeline, ja_ginza)
    external_bytes: int = 0
    # training entities the system's own tokenizer cannot represent (spaCy; MeCab: reported once)
    train_misaligned: dict[str, Any] = field(default_factory=dict)


def file_digest(*parts: str | Path) -> str:
    """A short digest of texts and files' contents: the key a trained model is reused under."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(Path(part).read_bytes() if isinstance(part, Path) else part.encode())
    return digest.hexdigest()[:12]


def package_version() -> str:
    """This package's version: a model or trial result from another version is not reused."""
    try:
        return metadata.version("rasa-electra")
    except metadata.PackageNotFoundError:
        return "unknown"


def _recipe(system: str, options: HarnessOptions, seed: int, train_file: Path,
            dev_file: Path | None) -> str:  # fmt: skip
    """Everything that decides what training produces, as one digest: the recipe, the data
    files' and the ELECTRA start point's or export's bytes (not their paths), the version."""
    base = split_system(system)[0]
    version = f"rasa-electra {package_version()}"
    if base == "spacy":
        if dev_file is None:
            raise ValueError("the spacy system selects its checkpoint on dev: give a dev file")
        settings = json.dumps({"seed": seed, **options.spacy_overrides}, sort_keys=True)
        return file_digest(options.spacy_config, train_file, dev_file, settings, version)
    recipe = pipeline(system, options, seed, spacy_model="-")
    source = options.electra_export or options.electra_start_point
    if base == "electra" and source and Path(source).is_dir():
        recipe += directory_fingerprint(Path(source))
    return file_digest(recipe, train_file, version)


def train_system(
    system: str,
    options: HarnessOptions,
    train_file: Path,
    models_dir: Path,
    seed: int = 42,
    dev_file: Path | None = None,
) -> TrainedSystem:
    """`rasa train nlu` of one system's pipeline (after `spacy train` for spacy) in a folder of
    ``models_dir`` named by everything that decides the result, so a rerun with the same recipe
    reuses the model instead of training it again."""
    base = split_system(system)[0]
    key = _recipe(system, options, seed, train_file, dev_file)
    workdir = models_dir / f"{system.replace('@', '-')}-{key}"
    record = workdir / "trained.json"
    archive = workdir / "model.tar.gz"  # wherever the folder is now
    if record.is_file():
        kept = json.loads(record.read_text(encoding="utf-8"))
        kept.pop("archive", None)  # written by the first version of this record
        return TrainedSystem(archive, **kept)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    spacy_model, external, misaligned = None, 0, {}
    if base == "spacy":
        model, report = peers.train_spacy(
            read_rasa_data(train_file), read_rasa_data(dev_file), workdir / "spacy", seed,
            options.spacy_config, options.spacy_overrides, workdir / "spacy-train.log",
        )  # fmt: skip
        spacy_model, external, misaligned = str(model), peers.folder_bytes(model), report.as_dict()
    elif base == "ginza":
        external = peers.folder_bytes(peers.installed_package_path(options.ginza_model))
    config = workdir / "config.yml"
    config.write_text(pipeline(system, options, seed, spacy_model), encoding="utf-8")
    rasa_command("train", "nlu", "--config", str(config), "--nlu", str(train_file), "--out",
                 str(workdir), "--fixed-model-name", "model", cwd=workdir,
                 log_path=workdir / "rasa-train.log", label=f"[{system} seed {seed}] ")  # fmt: skip
    train_seconds = time.perf_counter() - started
    if base == "electra" and options.electra_export:
        # model_path mode: `rasa train` only copies; the fine-tuning happened before, timed in
        # the export's model card
        card = json.loads((Path(options.electra_export) / "model_card.json").read_text("utf-8"))
        train_seconds += sum(card["training"]["seconds_per_epoch"])
    trained = TrainedSystem(archive, round(train_seconds, 2), external, misaligned)
    kept = {k: v for k, v in vars(trained).items() if k != "archive"}
    record.write_text(json.dumps(kept, indent=2), encoding="utf-8")
    return trained


def map_predictions(system: str, options: HarnessOptions, predictions: list[Example]):
    """GiNZA's ENE labels → GSD's (the documented table in peers); others pass unchanged."""
    if split_system(system)[0] != "ginza":
        return predictions, Counter()
    return relabel(predictions, peers.ginza_label_map())


@dataclass
class ArchiveScores:
    """One trained model's predictions on gold, scored every way the report shows."""

    parsed: ParsedMessages
    exact: SpanScores
    boundary: SpanScores  # labels ignored
    attributes: dict[str, SpanScores]  # entity+role, entity+group: as `rasa test` scores them
    dropped: Counter


def score_archive(
    system: str, options: HarnessOptions, archive: Path, gold: list[Example], label: str
) -> ArchiveScores:
    """Load ``archive`` in Rasa's Agent, parse every gold text, score exact and boundary-only,
    and with the role or group joined to the label where the gold data has roles or groups."""
    parsed = parse_examples(archive, [example.text for example in gold], label)
    predictions, dropped = map_predictions(system, options, parsed.predictions)
    present = [a for a in ATTRIBUTES
               if any(getattr(s, a) is not None for e in gold for s in e.spans)]  # fmt: skip
    return ArchiveScores(
        parsed,
        score_spans(gold, predictions),
        score_spans(boundaries_only(gold), boundaries_only(predictions)),
        {a: score_spans(with_attribute(gold, a), with_attribute(predictions, a)) for a in present},
        dropped,
    )


def _as_dict(scores: SpanScores) -> dict[str, Any]:
    return {
        "micro": scores.micro.as_dict(),
        "per_label": {k: v.as_dict() for k, v in scores.per_label.items()},
    }


def run_trial(
    system: str,
    trial: int,
    seed: int,
    train_file: Path,
    test_file: Path,
    gold: list[Example],
    options: HarnessOptions,
    models_dir: Path,
    dev_file: Path | None = None,
) -> TrialResult:
    """One system, one seed: `rasa train nlu` (or reuse), load, parse the test split, score.
    The result is kept beside the model under the test file's digest, so reruns are free."""
    # `rasa test nlu` (once per system) leaves SpacyEntityExtractor out as "pretrained"
    base = split_system(system)[0]
    trained = train_system(system, options, train_file, models_dir, seed, dev_file)
    cached = trained.archive.parent / f"trial-{file_digest(test_file, package_version())}.json"
    train_unrepresentable = trained.train_misaligned.get("misaligned")
    if cached.is_file():
        result = json.loads(cached.read_text(encoding="utf-8"))
        return TrialResult(
            **{**result, "trial": trial, "train_unrepresentable": train_unrepresentable}
        )
    scored = score_archive(system, options, trained.archive, gold, f"{system}: parsing test")
    latencies = scored.parsed.latencies_ms
    result = TrialResult(
        system, trial, seed, trained.train_seconds, round(scored.parsed.load_seconds, 2),
        {"p50": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 95), 2)},
        trained.archive.stat().st_size + trained.external_bytes,
        _as_dict(scored.exact),
        token_level_report(trained.archive, test_file, trained.archive.parent)
        if trial == 0 and base not in ("spacy", "ginza") else {},
        _as_dict(scored.boundary),
        {name: _as_dict(scores) for name, scores in scored.attributes.items()},
        dict(scored.dropped.most_common()),
        train_unrepresentable,
    )  # fmt: skip
    cached.write_text(json.dumps(vars(result), ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def is_stochastic(system: str, options: HarnessOptions) -> bool:
    """Whether trials with other seeds can differ: the CRF's L-BFGS fit, an export and an
    off-the-shelf model are deterministic, so one trial says all there is."""
    base = split_system(system)[0]
    return base in ("diet", "spacy") or (base == "electra" and not options.electra_export)


def trial_count(system: str, options: HarnessOptions, trials: int) -> int:
    """``trials`` for a stochastic system, one per seed export for ELECTRA exports, else 1."""
    if split_system(system)[0] == "electra" and options.electra_seed_exports:
        return len(options.electra_seed_exports)
    return trials if is_stochastic(system, options) else 1


def trial_options(system: str, options: HarnessOptions, trial: int) -> HarnessOptions:
    """One trial's options: the trial's own export when ELECTRA has one per seed."""
    if split_system(system)[0] == "electra" and options.electra_seed_exports:
        return replace(options, electra_export=options.electra_seed_exports[trial])
    return options


def select_on_dev(
    system: str,
    options: HarnessOptions,
    train_file: Path,
    dev_file: Path | None,
    models_dir: Path,
    seed: int,
) -> tuple[HarnessOptions, dict[str, Any]]:
    """DIET's epochs from ``options.diet_epochs`` by span F1 on dev (the first seed's models;
    trial 0 then reuses the chosen one). spaCy selects its own checkpoint on dev while it
    trains; the CRF and ELECTRA come with their recipe chosen beforehand."""
    if split_system(system)[0] != "diet" or len(options.diet_epochs) == 1:
        return options, {}
    if dev_file is None:
        raise ValueError(f"choosing DIET's epochs among {options.diet_epochs} needs a dev file")
    dev_gold = read_rasa_data(dev_file)
    dev_f1 = {}
    for epochs in options.diet_epochs:
        candidate = replace(options, diet_epochs=(epochs,))
        trained = train_system(system, candidate, train_file, models_dir, seed)
        scored = trained.archive.parent / f"dev-{file_digest(dev_file)}.json"  # kept for reruns
        if not scored.is_file():
            exact = score_archive(
                system, candidate, trained.archive, dev_gold, f"{system} {epochs} epochs: dev"
            ).exact
            scored.write_text(json.dumps({"f1": round(exact.micro.f1, 6)}), encoding="utf-8")
        dev_f1[epochs] = json.loads(scored.read_text(encoding="utf-8"))["f1"]
    chosen = max(dev_f1, key=lambda epochs: (dev_f1[epochs], -epochs))
    selection = {"parameter": "epochs", "dev": str(dev_file), "dev_f1": dev_f1, "chosen": chosen}
    return replace(options, diet_epochs=(chosen,)), selection


def system_token_offsets(system: str, options: HarnessOptions):
    """The offsets of the words a system labels: spaCy's own tokenizer for spacy and ginza, the
    CRF config's tokenizer (its dictionary and normalization) for the CRFs, the export's words
    for an ELECTRA export (it labels each word's first subword), MeCab + ipadic otherwise."""
    base = split_system(system)[0]
    if base in ("spacy", "ginza"):
        if base == "ginza":
            import spacy

            return peers.spacy_offsets(spacy.load(options.ginza_model))
        return peers.spacy_offsets(peers.blank_japanese())
    if base in ("crf", "crf-rasa"):
        return word_segmenter(settings_from_options(_crf_steps(options)[0])).offsets
    if base == "electra" and options.electra_export:
        tokenizer = Path(options.electra_export) / TOKENIZER_DIR
        return SubwordTokenizer.from_directory(tokenizer).words.offsets
    return MecabTokenizer().offsets


def summarize(
    trials: list[TrialResult], misaligned: MisalignmentReport, selection: dict[str, Any]
) -> dict[str, Any]:
    """Mean ± std over a system's trials of every figure the report shows."""
    boundary = summarize_trials([t.boundary_scores for t in trials])
    return {
        "trials": len(trials),
        "seeds": [t.seed for t in trials],
        **summarize_trials([t.scores for t in trials]),
        "boundary_micro": boundary["micro"],
        **{
            f"{name}_micro": summarize_trials([t.attribute_scores[name] for t in trials])["micro"]
            for name in trials[0].attribute_scores
        },
        "train_seconds": mean_std([t.train_seconds for t in trials]),
        "load_seconds": mean_std([t.load_seconds for t in trials]),
        "latency_ms_p50": mean_std([t.latency_ms["p50"] for t in trials]),
        "latency_ms_p95": mean_std([t.latency_ms["p95"] for t in trials]),
        "archive_mb": round(trials[0].archive_bytes / 2**20, 2),
        "unrepresentable_gold_entities": misaligned.misaligned,
        "gold_entities": misaligned.entities,
        "dropped_predictions": trials[0].dropped_predictions,
        "train_unrepresentable": trials[0].train_unrepresentable,
        "selection": selection,
        "token_level_weighted_avg": trials[0].token_level,
    }


def evaluate_systems(
    train_file: Path,
    test_file: Path,
    systems: list[str],
    trials: int,
    out_dir: Path,
    options: HarnessOptions,
    seed: int = 42,
    limit_train: int | None = None,
    limit_test: int | None = None,
    dev_file: Path | None = None,
) -> dict[str, Any]:
    """Train, load and score every system: ``trials`` seeds for a stochastic one, one trial
    for a deterministic one; choices (DIET's epochs) are made on ``dev_file`` first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if limit_train or limit_test:  # quick mode: slices written beside the report
        slices = {"train": (train_file, limit_train), "test": (test_file, limit_test)}
        if dev_file:
            slices["dev"] = (dev_file, limit_test)
        written = {}
        for name, (path, limit) in slices.items():
            written[name] = out_dir / f"{name}_slice.yml"
            write_rasa_yaml(read_rasa_data(path)[:limit], written[name])
        train_file, test_file, dev_file = written["train"], written["test"], written.get("dev")
    gold = read_rasa_data(test_file)
    results: dict[str, Any] = {
        "train": str(train_file), "test": str(test_file), "dev": str(dev_file or ""),
        "test_messages": len(gold), "systems": {}, "trials": {},
    }  # fmt: skip
    models_dir = out_dir / "models"
    for system in systems:
        system_options, selection = select_on_dev(
            system, options, train_file, dev_file, models_dir, seed
        )
        seeds = [seed + t for t in range(trial_count(system, options, trials))]
        trial_results = [
            run_trial(
                system,
                trial,
                trial_seed,
                train_file,
                test_file,
                gold,
                trial_options(system, system_options, trial),
                models_dir,
                dev_file,
            )
            for trial, trial_seed in enumerate(tqdm(seeds, desc=f"{system} trials", unit="trial"))
        ]
        results["trials"][system] = [vars(t) for t in trial_results]
        misaligned = count_misaligned(gold, system_token_offsets(system, options))
        results["systems"][system] = summarize(trial_results, misaligned, selection)
    return results
