"""Where a message's time goes inside Rasa: each node of a trained model's prediction graph, the
graph runner around them, Rasa's processor around the graph, `rasa run`'s HTTP around that, and
the ELECTRA extractor's own stages.

The nodes are timed by a ``GraphNodeHook``, the interface Rasa's graph calls before and after
every node (its training uses one for fingerprints), on a graph runner built from the archive as
Rasa's loader builds it. For benchmark scripts only: timings are printed and recorded, never
asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphNodeHook

from lab.profiling import profile_stages
from rasa_electra.components.electra_entity_extractor import ElectraEntityExtractor
from rasa_electra.evaluation.rasa_agent import (
    benchmark_tracker,
    load_agent,
    parse_texts,
    quiet_rasa,
    run_nlu_graph,
)

GRAPH_RUNNER = "graph runner around the nodes"
PROCESSOR = "Rasa's processor around the graph"
HTTP = "rasa run: HTTP and JSON around the processor"


class NodeTimer(GraphNodeHook):
    """Milliseconds each graph node takes, per run, while ``recording``."""

    def __init__(self) -> None:
        self.recording = False
        self.timings: dict[str, list[float]] = defaultdict(list)

    def on_before_node(self, node_name, execution_context, config, received_inputs) -> dict:
        return {"started": time.perf_counter()}

    def on_after_node(self, node_name, execution_context, config, output, input_hook_data):
        if self.recording:
            elapsed = time.perf_counter() - input_hook_data["started"]
            self.timings[node_name].append(1000 * elapsed)


@dataclass
class GraphProfile:
    """Per-message milliseconds: each node, the whole graph run, Agent.parse_message, and (if
    measured) a POST /model/parse to `rasa run`; the extractor's stages on its own model."""

    nodes: dict[str, list[float]]
    graph_ms: list[float]
    agent_ms: list[float]
    http_ms: list[float] = field(default_factory=list)
    extractor_stages: dict[str, list[float]] = field(default_factory=dict)

    def parts(self) -> dict[str, float]:
        """Mean ms of each part of a message's time, the parts adding up to the outermost
        measurement. A wrapper's own part is its mean minus the mean of what it wraps, each
        measured in its own pass over the same messages, so a small one can read negative."""
        mean = statistics.fmean
        parts = {short_name(name): mean(values) for name, values in self.nodes.items()}
        parts[GRAPH_RUNNER] = mean(self.graph_ms) - sum(parts.values())
        parts[PROCESSOR] = mean(self.agent_ms) - mean(self.graph_ms)
        if self.http_ms:
            parts[HTTP] = mean(self.http_ms) - mean(self.agent_ms)
        return parts


def short_name(node_name: str) -> str:
    """``run_rasa_electra.components.japanese_tokenizer.JapaneseTokenizer0`` → its class and
    index, ``JapaneseTokenizer0``."""
    return node_name.removeprefix("run_").rsplit(".", 1)[-1]


def timed_graph(archive: Path, storage: Path) -> tuple[Any, Any, NodeTimer]:
    """(model metadata, prediction graph runner with a ``NodeTimer``, the timer), built from
    ``archive`` unpacked into ``storage`` as Rasa's loader builds its runner."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    model_storage, metadata = LocalModelStorage.from_model_archive(storage, archive)
    timer = NodeTimer()
    runner = DaskGraphRunner.create(
        graph_schema=metadata.predict_schema,
        model_storage=model_storage,
        execution_context=ExecutionContext(metadata.predict_schema, metadata.model_id),
        hooks=[timer],
    )
    return metadata, runner, timer


def extractor_stages(metadata, storage: Path, texts: Sequence[str]) -> dict[str, list[float]]:
    """The ELECTRA extractor's stages on the model it serves from this archive (loaded through
    its own ``load``, as Rasa loads it), or {} when the pipeline has none. The words come from
    the pipeline's tokenizer in Rasa, whose node already holds that time, so the analysis is
    left out here."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    model_storage = LocalModelStorage(storage)
    for node in metadata.predict_schema.nodes.values():
        if issubclass(node.uses, ElectraEntityExtractor) and node.resource is not None:
            config = {**node.uses.get_default_config(), **node.config}
            context = ExecutionContext(metadata.predict_schema, metadata.model_id)
            component = node.uses.load(config, model_storage, node.resource, context)
            if component.servable is None:
                return {}
            stages = profile_stages(component.servable, texts)
            stages.pop("mecab")
            return stages
    return {}


def profile_graph(archive: Path, texts: Sequence[str], http: bool = False) -> GraphProfile:
    """Every text once through the timed graph, once through Rasa's Agent and, with ``http``,
    once through a `rasa run` on 127.0.0.1; each pass after one warm-up message."""
    from rasa_electra.evaluation.serving import time_http

    quiet_rasa()
    with tempfile.TemporaryDirectory() as scratch:
        metadata, runner, timer = timed_graph(archive, Path(scratch))
        tracker = benchmark_tracker()
        run_nlu_graph(runner, metadata.nlu_target, texts[:1], tracker)
        timer.recording, graph_ms = True, []
        for text in texts:
            started = time.perf_counter()
            run_nlu_graph(runner, metadata.nlu_target, [text], tracker)
            graph_ms.append(1000 * (time.perf_counter() - started))
        stages = extractor_stages(metadata, Path(scratch), texts)

    async def through_agent() -> list[float]:
        agent, _ = load_agent(archive)
        await agent.parse_message(texts[0])
        return (await parse_texts(agent, texts, "agent"))[1]

    agent_ms = asyncio.run(through_agent())
    http_ms = time_http(archive, list(texts)).latencies_ms if http else []
    return GraphProfile(dict(timer.timings), graph_ms, agent_ms, http_ms, stages)


def graph_table(profile: GraphProfile) -> str:
    """Markdown: each part's mean ms and share of the outermost measurement's mean."""
    parts = profile.parts()
    total = sum(parts.values())
    lines = ["| part | mean ms | share |", "|---|---:|---:|"]
    lines += [f"| {name} | {ms:.3f} | {ms / total:.1%} |" for name, ms in parts.items()]
    outer = "a rasa run request" if profile.http_ms else "Agent.parse_message"
    p50 = statistics.median(profile.http_ms or profile.agent_ms)
    lines.append(f"| total: {outer} (p50 {p50:.3f}) | {total:.3f} | |")
    return "\n".join(lines)
