"""Messages through a trained Rasa model with Rasa's own ``Agent`` (what a deployed bot does),
timed: the one place the harness, the parse command and the serving benchmark do this.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rasa_electra.data.rasa_nlu import example_from_message
from rasa_electra.data.spans import Example
from rasa_electra.quiet import quiet_third_party


def quiet_rasa() -> None:
    """Rasa logs every parsed message at debug level through structlog unless told otherwise;
    the third-party deprecations stay filtered (``quiet_third_party``)."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    quiet_third_party()


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (q in 1..99) by the exclusive method; the value itself for one."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


@dataclass
class ParsedMessages:
    """Each text's parse as an ``Example``, the model's load time and per-message latency."""

    predictions: list[Example]
    load_seconds: float
    latencies_ms: list[float]
    # `rasa test nlu`'s token-level entity report per extractor (weighted averages), if asked
    token_level: dict[str, Any] = field(default_factory=dict)


def load_agent(archive: Path):
    """Rasa's Agent for ``archive`` and the seconds it took (Rasa 3.6's CRFEntityExtractor
    refits its CRF here)."""
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(str(archive))
    return agent, time.perf_counter() - started


async def parse_texts(agent, texts: Sequence[str], label: str = "parsing") -> tuple:
    """(parses, latencies in ms), one message at a time."""
    results, latencies = [], []
    for text in tqdm(texts, desc=label, unit="msg", leave=False):
        started = time.perf_counter()
        results.append(await agent.parse_message(text))
        latencies.append(1000 * (time.perf_counter() - started))
    return results, latencies


def benchmark_tracker():
    """An empty conversation for graph runs made outside one; made once per timing loop, so
    its construction is not timed with every message."""
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker("benchmark", [])


def run_nlu_graph(runner, nlu_target: str, texts: Sequence[str], tracker) -> None:
    """One run of a model's prediction graph up to its NLU target, the call Rasa's processor
    makes for a message (``graph_runner.run``); given several texts, every component's
    ``process`` sees them as one batch."""
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER

    runner.run(
        inputs={
            PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
            PLACEHOLDER_TRACKER: tracker,
        },
        targets=[nlu_target],
    )


def parse_examples(
    archive: Path, texts: Sequence[str], label: str = "parsing", rasa_test: Path | None = None
) -> ParsedMessages:
    """Load ``archive`` and parse every text once, in order; with ``rasa_test`` (a Rasa NLU
    file), then `rasa test nlu`'s evaluation of that file on the same loaded model."""
    quiet_rasa()

    async def run() -> ParsedMessages:
        agent, load_seconds = load_agent(archive)
        results, latencies = await parse_texts(agent, texts, label)
        predictions = [example_from_message(r["text"], r["entities"], None) for r in results]
        parsed = ParsedMessages(predictions, load_seconds, latencies)
        if rasa_test is not None:  # after the timed parse, so it times nothing
            parsed.token_level = await token_level_report(agent, rasa_test, archive.parent)
        return parsed

    return asyncio.run(run())


async def token_level_report(agent, test_file: Path, workdir: Path) -> dict[str, Any]:
    """`rasa test nlu`'s entity reports (token-level, weighted averages) for each extractor,
    from Rasa's own evaluation of the loaded model, written to ``workdir/rasa_test`` as the
    command writes them (its defaults: errors kept, no plots)."""
    from rasa.nlu.test import run_evaluation

    out = workdir / "rasa_test"
    out.mkdir(parents=True, exist_ok=True)
    domain = out / "domain.yml"  # an NLU model has none; Rasa reads domain.yml otherwise
    domain.write_text('version: "3.1"\n', encoding="utf-8")
    await run_evaluation(str(test_file), agent.processor, output_directory=str(out),
                         errors=True, disable_plotting=True, domain_path=str(domain))  # fmt: skip
    reports = {}
    for path in sorted(out.glob("*_report.json")):
        if path.name in ("intent_report.json", "response_selection_report.json"):
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        reports[path.name.removesuffix("_report.json")] = report.get("weighted avg", {})
    return reports
