"""How fast a trained Rasa model loads and answers: in-process, batched, and through `rasa run`.

Only for benchmark scripts: timings vary with the machine, so they are printed and recorded,
never asserted in tests. Every HTTP measurement targets a `rasa run` this module starts on
127.0.0.1, with a fixed number of requests, each with a timeout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rasa_electra.evaluation.rasa_agent import (
    benchmark_tracker,
    load_agent,
    parse_texts,
    percentile,
    quiet_rasa,
    run_nlu_graph,
)


@dataclass
class Timing:
    """Seconds to load, per-message latencies (ms), and messages/s by batch size."""

    load_seconds: float
    latencies_ms: list[float]
    throughput: dict[int, float] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)


def _batch_throughput(agent, texts: list[str], batch_size: int) -> float:
    """Messages/s through the model's NLU graph, ``batch_size`` messages per graph run."""
    processor, tracker = agent.processor, benchmark_tracker()
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        run_nlu_graph(
            processor.graph_runner,
            processor.model_metadata.nlu_target,
            texts[start : start + batch_size],
            tracker,
        )
    return len(texts) / (time.perf_counter() - started)


def time_in_process(
    archive: Path, texts: list[str], batch_sizes: Sequence[int] = (1, 8, 32)
) -> Timing:
    """Rasa's Agent in this process: load once, parse each text (after one warm-up), then
    throughput at each batch size."""
    quiet_rasa()  # Rasa otherwise logs every parsed message at debug level

    async def measure() -> Timing:
        agent, load = load_agent(archive)
        await agent.parse_message(texts[0])  # first call builds TF functions
        _, latencies = await parse_texts(agent, texts, "latency")
        timing = Timing(load, latencies)
        for batch_size in batch_sizes:
            _batch_throughput(agent, texts[:batch_size], batch_size)  # warm-up for this shape
            timing.throughput[batch_size] = _batch_throughput(agent, texts, batch_size)
        return timing

    return asyncio.run(measure())


# --- `rasa run` on 127.0.0.1 ----------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `rasa run`: its base URL, process, and seconds it took to become ready."""

    url: str
    process: subprocess.Popen
    ready_seconds: float

    def rss_mb(self, peak: bool = False) -> float:
        """Resident memory (``VmRSS``) or its peak (``VmHWM``) from /proc, in MB."""
        key = "VmHWM:" if peak else "VmRSS:"
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
        return float("nan")

    def parse(self, text: str, timeout: float = 60) -> dict:
        return self._post("/model/parse", {"text": text}, timeout)

    def say(self, sender: str, message: str, timeout: float = 60) -> list[str]:
        """One user message over the REST channel (``credentials.yml`` with ``rest:``);
        the bot's text replies."""
        replies = self._post(
            "/webhooks/rest/webhook", {"sender": sender, "message": message}, timeout
        )
        return [reply["text"] for reply in replies if "text" in reply]

    def tracker(self, sender: str, timeout: float = 60) -> dict:
        """The conversation's state (``GET /conversations/{id}/tracker``, needs the API)."""
        with urllib.request.urlopen(
            f"{self.url}/conversations/{urllib.parse.quote(sender)}/tracker", timeout=timeout
        ) as response:
            return json.load(response)

    def _post(self, path: str, payload: dict, timeout: float):
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)


@contextmanager
def rasa_server(
    archive: Path,
    startup_timeout: float = 900,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """`rasa run --enable-api` on 127.0.0.1 at a free port, stopped on exit; ``extra_args``
    e.g. ``--credentials``/``--endpoints``, ``env`` added to this process's environment."""
    port = free_port()
    rasa = Path(sys.executable).with_name("rasa")
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(rasa), "run", "--enable-api", "-m", str(archive), "-i", "127.0.0.1", "-p", str(port),
         *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )  # fmt: skip
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"rasa run exited with {process.returncode} before it was ready")
            if time.perf_counter() - started > startup_timeout:
                raise TimeoutError(f"rasa run not ready after {startup_timeout}s")
            try:
                with urllib.request.urlopen(f"{url}/status", timeout=5) as response:
                    if json.load(response).get("model_file"):
                        break
            except OSError:
                time.sleep(0.5)
        yield Server(url, process, time.perf_counter() - started)
    finally:
        process.terminate()
        process.wait(timeout=60)


def time_http(archive: Path, texts: list[str]) -> Timing:
    """Time to ready, then one POST /model/parse at a time (after one warm-up)."""
    with rasa_server(archive) as server:
        server.parse(texts[0])
        latencies = []
        for text in texts:
            begun = time.perf_counter()
            server.parse(text)
            latencies.append(1000 * (time.perf_counter() - begun))
        return Timing(server.ready_seconds, latencies)


@dataclass
class LoadResult:
    """A fixed number of requests from ``concurrency`` clients against one `rasa run`."""

    requests: int
    concurrency: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    rss_mb: float
    peak_rss_mb: float
    ready_seconds: float  # from process start until /status names the model
    servers: int = 1

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "requests_per_second": round(self.requests_per_second, 2),
            "p50_ms": round(statistics.median(self.latencies_ms), 2) if self.latencies_ms else None,
            "p95_ms": round(percentile(self.latencies_ms, 95), 2) if self.latencies_ms else None,
            "errors": self.errors,
            "rss_mb": round(self.rss_mb, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "ready_seconds": round(self.ready_seconds, 1),
            "servers": self.servers,
        }


def load_test(
    archive: Path, texts: list[str], requests: int = 500, concurrency: int = 8,
    timeout: float = 60, servers: int = 1,
) -> LoadResult:  # fmt: skip
    """Bounded loopback load: ``requests`` POSTs (texts cycled) from ``concurrency`` threads.

    With ``servers`` > 1, that many `rasa run` processes share the requests round-robin (a
    load balancer in its simplest form); RSS is their sum, ready time the slowest's.
    An error is any failed request: a non-200 answer, a timeout, a refused connection, or an
    answer without an ``entities`` list.
    """
    with ExitStack() as stack:
        running = [stack.enter_context(rasa_server(archive)) for _ in range(servers)]
        for server in running:
            server.parse(texts[0])  # warm-up, not counted
        lock, latencies, errors = threading.Lock(), [], 0

        def one(index: int) -> None:
            nonlocal errors
            server, text = running[index % servers], texts[index % len(texts)]
            begun = time.perf_counter()
            try:
                ok = isinstance(server.parse(text, timeout).get("entities"), list)
            except (OSError, ValueError):
                ok = False
            with lock:
                if ok:
                    latencies.append(1000 * (time.perf_counter() - begun))
                else:
                    errors += 1

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(requests)))
        seconds = time.perf_counter() - started
        return LoadResult(
            requests, concurrency, seconds, latencies, errors,
            sum(s.rss_mb() for s in running), sum(s.rss_mb(peak=True) for s in running),
            max(s.ready_seconds for s in running), servers,
        )  # fmt: skip


def benchmark(
    archives: dict[str, Path],
    texts: list[str],
    batch_sizes: Sequence[int] = (1, 8, 32),
    http: bool = False,
    load_requests: int = 0,
    concurrency: int = 8,
    servers: int = 1,
) -> dict:
    """Every archive measured in this one run: size, load time, p50/p95 through Rasa's Agent,
    messages/s per batch size; with ``http`` sequential `rasa run` calls, with
    ``load_requests`` a bounded load test. The first archive is the ratios' reference."""
    machine = f"{platform.node()}, {os.cpu_count()} CPUs"
    report: dict = {"messages": len(texts), "date": str(dt.date.today()), "machine": machine,
                    "systems": {}}  # fmt: skip
    for name, archive in archives.items():
        print(f"{name}: in-process …", file=sys.stderr)
        timing = time_in_process(archive, texts, batch_sizes)
        row = {
            "archive_mb": round(archive.stat().st_size / 2**20, 2),
            "load_seconds": round(timing.load_seconds, 2),
            "p50_ms": round(timing.p50, 2),
            "p95_ms": round(timing.p95, 2),
            "messages_per_second": {str(b): round(v, 1) for b, v in timing.throughput.items()},
        }
        if http:
            print(f"{name}: rasa run, sequential …", file=sys.stderr)
            sequential = time_http(archive, texts)
            row["http"] = {"ready_seconds": round(sequential.load_seconds, 2),
                           "p50_ms": round(sequential.p50, 2),
                           "p95_ms": round(sequential.p95, 2)}  # fmt: skip
        if load_requests:
            print(f"{name}: rasa run, load test …", file=sys.stderr)
            row["load_test"] = load_test(
                archive, texts, load_requests, concurrency, servers=servers
            ).as_dict()
        report["systems"][name] = row
    return report
