"""CRF vs ELECTRA (vs DIET) through Rasa: train each pipeline, load it, parse the test split.

Everything a Rasa user would get is measured on the trained ``models/*.tar.gz``: span-level
scores on characters (exact start, end, label), training time, model load time, per-message
latency, archive size. ``rasa test nlu``'s own token-level numbers are collected once per system
so users can relate the two.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rasa_electra import defaults
from rasa_electra.data.alignment import count_misaligned
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.span_metrics import mean_std, score_spans, summarize_trials
from rasa_electra.data.spans import Example
from rasa_electra.evaluation.rasa_agent import parse_examples, percentile
from rasa_electra.serving.backends import split_format
from rasa_electra.tokenization.mecab import MecabTokenizer

TOKENIZER = "rasa_electra.components.japanese_tokenizer.JapaneseTokenizer"
EXTRACTOR = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"
FAST_CRF = "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor"
CRF_CLASSES = ("CRFEntityExtractor", FAST_CRF)


@dataclass
class HarnessOptions:
    """What the systems need beyond the data; ELECTRA needs a start point or an export."""

    electra_start_point: str | None = None  # fine-tuned during `rasa train` (trainable mode)
    electra_export: str | None = None  # or an export made by rasa_electra.cli.finetune
    electra_epochs: int = defaults.EPOCHS
    electra_learning_rate: float = defaults.LEARNING_RATE
    electra_batch_size: int = defaults.BATCH_SIZE
    electra_max_seq_length: int = defaults.MAX_SEQ_LENGTH
    # the component's entity_map (a GSD export's labels → the data's names); with a start
    # point that is an export, it also seeds the new labels' head rows (continued fine-tuning)
    electra_entity_map: dict[str, str] | None = None
    crf_config: Path = Path("config.yml")  # the project's baseline pipeline, read, not retyped
    crf_max_iterations: int | None = None  # None: config.yml's own value
    diet_epochs: int = 100
    electra_threads: int = 0  # per model call; 0 = all cores


def split_system(system: str) -> tuple[str, str | None]:
    """``electra@tflite-dynamic`` → (``electra``, ``tflite-dynamic``): a system on a backend."""
    base, _, backend_format = system.partition("@")
    if backend_format and base != "electra":
        raise ValueError(f"only electra runs on other backends, got {system!r}")
    return base, backend_format or None


def _baseline_steps(options: HarnessOptions, crf_class: str | None = None) -> str:
    """The pipeline steps of ``options.crf_config`` after its tokenizer, as YAML lines; its
    CRF swapped for ``crf_class`` when given (Rasa's own, for the baseline row)."""
    import yaml

    config = yaml.safe_load(Path(options.crf_config).read_text(encoding="utf-8"))
    steps = config["pipeline"]
    if not steps or steps[0]["name"] != TOKENIZER:
        raise ValueError(f"{options.crf_config}: the pipeline must start with {TOKENIZER}")
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


def pipeline(system: str, options: HarnessOptions, seed: int) -> str:
    """The Rasa config (YAML text) of one system; all share the MeCab tokenizer.

    ``electra@FORMAT`` is the ELECTRA export served by a converted format (``tflite``,
    ``tflite-dynamic``, ``tflite-float16``, ``onnx``, ``onnx-dynamic``; see serving.backends).
    """
    system, backend_format = split_system(system)
    head = (
        f"recipe: default.v1\nlanguage: ja\nassistant_id: eval-{system}\n"
        f"pipeline:\n  - name: {TOKENIZER}\n"
    )
    if system in ("crf", "crf-rasa"):
        # config.yml's baseline, featurizers included: Rasa 3.6's CRFEntityExtractor silently
        # trains on no examples when no featurizer has run (it keeps only featurized messages).
        # crf-rasa: the same with Rasa's own CRFEntityExtractor (refits at every load)
        body = _baseline_steps(options, "CRFEntityExtractor" if system == "crf-rasa" else None)
    elif system == "diet":
        body = (
            "  - name: LexicalSyntacticFeaturizer\n"
            "  - name: CountVectorsFeaturizer\n"
            "    analyzer: char_wb\n    min_ngram: 1\n    max_ngram: 3\n"
            "  - name: DIETClassifier\n    intent_classification: false\n"
            f"    epochs: {options.diet_epochs}\n"
            f"    random_seed: {seed}\n"
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
        body = f"  - name: {EXTRACTOR}\n{source}{serving}"
    else:
        raise ValueError(f"unknown system {system!r}; choose crf, crf-rasa, electra or diet")
    return head + body + "policies: []\n"


def rasa_command(*args: str, cwd: Path, timeout: int = 24 * 3600) -> subprocess.CompletedProcess:
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [str(rasa), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"rasa {' '.join(args[:2])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result


def token_level_report(archive: Path, test_file: Path, workdir: Path) -> dict[str, Any]:
    """``rasa test nlu``'s entity report (token-level, weighted averages) for each extractor."""
    out = workdir / "rasa_test"
    rasa_command("test", "nlu", "--model", str(archive), "--nlu", str(test_file), "--out", str(out),
                 "--no-plot", cwd=workdir)  # fmt: skip
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


def train_system(
    system: str, options: HarnessOptions, train_file: Path, workdir: Path, seed: int = 42
) -> Path:
    """`rasa train nlu` of one system's pipeline in ``workdir``; returns the model archive."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(pipeline(system, options, seed), encoding="utf-8")
    rasa_command("train", "nlu", "--config", str(config), "--nlu", str(train_file), "--out",
                 str(workdir), "--fixed-model-name", "model", cwd=workdir)  # fmt: skip
    return workdir / "model.tar.gz"


def run_trial(
    system: str,
    trial: int,
    seed: int,
    train_file: Path,
    test_file: Path,
    gold: list[Example],
    options: HarnessOptions,
    workdir: Path,
) -> TrialResult:
    """One system, one seed: `rasa train nlu`, load, parse the test split, score."""
    started = time.perf_counter()
    archive = train_system(system, options, train_file, workdir, seed)
    train_seconds = time.perf_counter() - started
    if split_system(system)[0] == "electra" and options.electra_export:
        # model_path mode: `rasa train` only copies; the fine-tuning happened before, timed in
        # the export's model card
        card = json.loads((Path(options.electra_export) / "model_card.json").read_text("utf-8"))
        train_seconds += sum(card["training"]["seconds_per_epoch"])
    parsed = parse_examples(archive, [example.text for example in gold], f"{system}: parsing test")
    predictions, load_seconds, latencies = (
        parsed.predictions,
        parsed.load_seconds,
        parsed.latencies_ms,
    )
    scores = score_spans(gold, predictions)
    return TrialResult(
        system, trial, seed, round(train_seconds, 2), round(load_seconds, 2),
        {"p50": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 95), 2)},
        archive.stat().st_size,
        {
            "micro": scores.micro.as_dict(),
            "per_label": {k: v.as_dict() for k, v in scores.per_label.items()},
        },
        token_level_report(archive, test_file, workdir) if trial == 0 else {},
    )  # fmt: skip


def summarize(trials: list[TrialResult], unrepresentable: int, entities: int) -> dict[str, Any]:
    """Mean ± std over a system's trials of every figure the report shows."""
    return {
        "trials": len(trials),
        **summarize_trials([t.scores for t in trials]),
        "train_seconds": mean_std([t.train_seconds for t in trials]),
        "load_seconds": mean_std([t.load_seconds for t in trials]),
        "latency_ms_p50": mean_std([t.latency_ms["p50"] for t in trials]),
        "latency_ms_p95": mean_std([t.latency_ms["p95"] for t in trials]),
        "archive_mb": round(trials[0].archive_bytes / 2**20, 2),
        "unrepresentable_gold_entities": unrepresentable,
        "gold_entities": entities,
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
) -> dict[str, Any]:
    """Train, load and score every system ``trials`` times; returns the results dict."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if limit_train or limit_test:  # quick mode: slices written beside the report
        train_slice = read_rasa_data(train_file)[:limit_train]
        test_slice = read_rasa_data(test_file)[:limit_test]
        train_file, test_file = out_dir / "train_slice.yml", out_dir / "test_slice.yml"
        write_rasa_yaml(train_slice, train_file)
        write_rasa_yaml(test_slice, test_file)
    gold = read_rasa_data(test_file)
    mecab = MecabTokenizer()
    # every system here reads MeCab words (ELECTRA labels the first subword of each word)
    misaligned = count_misaligned(gold, mecab.offsets)
    results: dict[str, Any] = {
        "train": str(train_file), "test": str(test_file), "test_messages": len(gold),
        "systems": {}, "trials": {},
    }  # fmt: skip
    runs = [(s, t) for s in systems for t in range(trials)]
    for system, trial in tqdm(runs, desc="systems × trials", unit="run"):
        result = run_trial(system, trial, seed + trial, train_file, test_file, gold, options,
                           out_dir / "runs" / f"{system}-{trial}")  # fmt: skip
        results["trials"].setdefault(system, []).append(vars(result))
    for system in systems:
        trial_results = [TrialResult(**t) for t in results["trials"][system]]
        results["systems"][system] = summarize(
            trial_results, misaligned.misaligned, misaligned.entities
        )
    return results
