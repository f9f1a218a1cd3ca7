"""ELECTRA against its peers through Rasa: train each pipeline, load it, parse the test split.

Everything a Rasa user would get is measured on the trained ``models/*.tar.gz``: span-level
scores on characters (exact start, end, label), training time, model load time, per-message
latency, archive size. ``rasa test nlu``'s own token-level numbers are collected once per system
so users can relate the two: Rasa's evaluation run on the model the harness has loaded.
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rasa_electra import defaults
from rasa_electra.data.alignment import MisalignmentReport, count_misaligned
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.span_metrics import SpanScores, mean_std, score_spans, summarize_trials
from rasa_electra.data.spans import Example, boundaries_only
from rasa_electra.data.tags import ATTRIBUTES, with_attribute
from rasa_electra.evaluation.errors import to_rows
from rasa_electra.evaluation.rasa_agent import ParsedMessages, parse_examples, percentile
from rasa_electra.evaluation.systems import System

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
    # each test message's predicted spans (evaluation.errors.to_rows), for the error analysis
    predictions: list = field(default_factory=list)


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


def trial_key(test_file: Path) -> str:
    """What a kept trial result is reused under: the test file's bytes, this package's version
    and its defaults (``defaults``), since a serving default such as the O bias changes what
    the same archive predicts."""
    return file_digest(test_file, package_version(), defaults.as_text())


def _recipe(system: System, seed: int, train_file: Path, dev_file: Path | None) -> str:
    """Everything that decides what training produces, as one digest: the recipe, the data
    files' and the ELECTRA start point's or export's bytes (not their paths), the version."""
    parts = system.recipe(seed, dev_file)
    return file_digest(*parts, train_file, f"rasa-electra {package_version()}")


def train_system(
    system: System,
    train_file: Path,
    models_dir: Path,
    seed: int = 42,
    dev_file: Path | None = None,
) -> TrainedSystem:
    """`rasa train nlu` of one system's pipeline (after `spacy train` for spacy) in a folder of
    ``models_dir`` named by everything that decides the result, so a rerun with the same recipe
    reuses the model instead of training it again."""
    key = _recipe(system, seed, train_file, dev_file)
    workdir = models_dir / f"{system.name.replace('@', '-')}-{key}"
    record = workdir / "trained.json"
    archive = workdir / "model.tar.gz"  # wherever the folder is now
    if record.is_file():
        return TrainedSystem(archive, **json.loads(record.read_text(encoding="utf-8")))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepared = system.prepare(train_file, dev_file, workdir, seed)
    config = workdir / "config.yml"
    config.write_text(system.pipeline(seed, prepared.spacy_model), encoding="utf-8")
    rasa_command(
        "train", "nlu", "--config", str(config), "--nlu", str(train_file), "--out", str(workdir),
        "--fixed-model-name", "model", cwd=workdir, log_path=workdir / "rasa-train.log",
        label=f"[{system.name} seed {seed}] ",
    )  # fmt: skip
    train_seconds = time.perf_counter() - started + system.earlier_training_seconds()
    trained = TrainedSystem(
        archive, round(train_seconds, 2), prepared.external_bytes, prepared.misaligned
    )
    kept = {k: v for k, v in vars(trained).items() if k != "archive"}
    record.write_text(json.dumps(kept, indent=2), encoding="utf-8")
    return trained


@dataclass
class Scores:
    """Predictions against gold, scored every way the report shows."""

    exact: SpanScores
    boundary: SpanScores  # labels ignored
    attributes: dict[str, SpanScores]  # entity+role, entity+group: as `rasa test` scores them


def score_predictions(gold: list[Example], predictions: list[Example]) -> Scores:
    """Exact and boundary-only span scores, and with the role or group joined to the label
    where the gold data has roles or groups."""
    present = [a for a in ATTRIBUTES
               if any(getattr(s, a) is not None for e in gold for s in e.spans)]  # fmt: skip
    return Scores(
        score_spans(gold, predictions),
        score_spans(boundaries_only(gold), boundaries_only(predictions)),
        {a: score_spans(with_attribute(gold, a), with_attribute(predictions, a)) for a in present},
    )


def score_archive(
    system: System, archive: Path, gold: list[Example], label: str, rasa_test: Path | None = None
) -> tuple[ParsedMessages, Scores, Counter]:
    """Load ``archive`` in Rasa's Agent, parse every gold text and score the predictions (the
    system's labels mapped to gold's first); also the predictions dropped by that map. With
    ``rasa_test`` (gold's file), Rasa's own token-level report of the same loaded model."""
    parsed = parse_examples(archive, [example.text for example in gold], label, rasa_test)
    predictions, dropped = system.map_predictions(parsed.predictions)
    parsed.predictions = predictions  # under gold's labels, as scored
    return parsed, score_predictions(gold, predictions), dropped


def _as_dict(scores: SpanScores) -> dict[str, Any]:
    return {
        "micro": scores.micro.as_dict(),
        "per_label": {k: v.as_dict() for k, v in scores.per_label.items()},
    }


def run_trial(
    system: System,
    trial: int,
    seed: int,
    train_file: Path,
    test_file: Path,
    gold: list[Example],
    models_dir: Path,
    dev_file: Path | None = None,
) -> TrialResult:
    """One system, one seed: `rasa train nlu` (or reuse), load, parse the test split, score.
    The result is kept beside the model under the test file's digest, so reruns are free."""
    # `rasa test nlu` (once per system) leaves SpacyEntityExtractor out as "pretrained"
    trained = train_system(system, train_file, models_dir, seed, dev_file)
    cached = trained.archive.parent / f"trial-{trial_key(test_file)}.json"
    train_unrepresentable = trained.train_misaligned.get("misaligned")
    if cached.is_file():
        result = json.loads(cached.read_text(encoding="utf-8"))
        return TrialResult(
            **{**result, "trial": trial, "train_unrepresentable": train_unrepresentable}
        )
    rasa_test = test_file if trial == 0 and system.token_level else None
    parsed, scored, dropped = score_archive(
        system, trained.archive, gold, f"{system.name}: parsing test", rasa_test
    )
    latencies = parsed.latencies_ms
    result = TrialResult(
        system.name, trial, seed, trained.train_seconds, round(parsed.load_seconds, 2),
        {"p50": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 95), 2)},
        trained.archive.stat().st_size + trained.external_bytes,
        _as_dict(scored.exact),
        parsed.token_level,
        _as_dict(scored.boundary),
        {name: _as_dict(scores) for name, scores in scored.attributes.items()},
        dict(dropped.most_common()),
        train_unrepresentable,
        to_rows(parsed.predictions),
    )  # fmt: skip
    cached.write_text(json.dumps(vars(result), ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def select_on_dev(
    system: System,
    train_file: Path,
    dev_file: Path | None,
    models_dir: Path,
    seed: int,
) -> tuple[System, dict[str, Any]]:
    """A system's setting among its dev choices (DIET's epochs) by span F1 on dev (the first
    seed's models; trial 0 then reuses the chosen one). spaCy selects its own checkpoint on dev
    while it trains; the CRF and ELECTRA come with their recipe chosen beforehand."""
    choices = system.dev_choices()
    if not choices:
        return system, {}
    if dev_file is None:
        raise ValueError(f"choosing {system.name}'s setting among {list(choices)} needs a dev file")
    dev_gold = read_rasa_data(dev_file)
    dev_f1 = {}
    for value, candidate in choices.items():
        trained = train_system(candidate, train_file, models_dir, seed)
        scored = trained.archive.parent / f"dev-{file_digest(dev_file)}.json"  # kept for reruns
        if not scored.is_file():
            exact = score_archive(
                candidate, trained.archive, dev_gold, f"{system.name} {value}: dev"
            )[1].exact
            scored.write_text(json.dumps({"f1": round(exact.micro.f1, 6)}), encoding="utf-8")
        dev_f1[value] = json.loads(scored.read_text(encoding="utf-8"))["f1"]
    chosen = max(dev_f1, key=lambda value: (dev_f1[value], -value))
    selection = {"parameter": system.dev_parameter, "dev": str(dev_file),
                 "dev_f1": dev_f1, "chosen": chosen}  # fmt: skip
    return choices[chosen], selection


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
    systems: list[System],
    trials: int,
    out_dir: Path,
    seed: int = 42,
    limit_train: int | None = None,
    limit_test: int | None = None,
    dev_file: Path | None = None,
    models_dir: Path | None = None,
) -> dict[str, Any]:
    """Train, load and score every system: ``trials`` seeds for a stochastic one, one trial
    for a deterministic one; choices (DIET's epochs) are made on ``dev_file`` first. Trained
    models are kept in ``models_dir`` (``out_dir/models``) under their recipe, so a run that
    names an earlier run's folder scores those models on its own test file instead of
    training them again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if limit_train or limit_test:  # quick mode: slices written beside the report
        train_file, test_file, dev_file = write_slices(
            out_dir, train_file, test_file, dev_file, limit_train, limit_test
        )
    gold = read_rasa_data(test_file)
    results: dict[str, Any] = {
        "train": str(train_file), "test": str(test_file), "dev": str(dev_file or ""),
        "test_messages": len(gold), "systems": {}, "trials": {}, "predictions": {},
    }  # fmt: skip
    models_dir = models_dir or out_dir / "models"
    for system in systems:
        chosen, selection = select_on_dev(system, train_file, dev_file, models_dir, seed)
        seeds = [seed + t for t in range(system.trial_count(trials))]
        trial_results = [
            run_trial(
                chosen.for_trial(trial),
                trial,
                trial_seed,
                train_file,
                test_file,
                gold,
                models_dir,
                dev_file,
            )
            for trial, trial_seed in enumerate(
                tqdm(seeds, desc=f"{system.name} trials", unit="trial")
            )
        ]
        results["trials"][system.name] = [
            {k: v for k, v in vars(t).items() if k != "predictions"} for t in trial_results
        ]
        results["predictions"][system.name] = trial_results[0].predictions
        misaligned = count_misaligned(gold, system.token_offsets())
        results["systems"][system.name] = summarize(trial_results, misaligned, selection)
    return results


def write_slices(
    out_dir: Path, train_file: Path, test_file: Path, dev_file: Path | None,
    limit_train: int | None, limit_test: int | None,
) -> tuple[Path, Path, Path | None]:  # fmt: skip
    """Quick mode's first sentences of each file, written beside the report."""
    slices = {"train": (train_file, limit_train), "test": (test_file, limit_test)}
    if dev_file:
        slices["dev"] = (dev_file, limit_test)
    written = {}
    for name, (path, limit) in slices.items():
        written[name] = out_dir / f"{name}_slice.yml"
        write_rasa_yaml(read_rasa_data(path)[:limit], written[name])
    return written["train"], written["test"], written.get("dev")
