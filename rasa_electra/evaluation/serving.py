"""How fast a trained Rasa model loads and answers, in-process and through `rasa run`.

Only for benchmark scripts: timings vary with the machine, so they are printed and recorded,
never asserted in tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Timing:
    """Seconds to load, then per-message latencies in milliseconds."""

    load_seconds: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return (
            statistics.quantiles(self.latencies_ms, n=20)[18]
            if len(self.latencies_ms) > 1
            else self.p50
        )


def time_in_process(archive: Path, texts: list[str]) -> Timing:
    """Rasa's Agent in this process: load once, parse each text once (after one warm-up)."""
    from rasa.core.agent import Agent

    async def measure() -> Timing:
        started = time.perf_counter()
        agent = Agent.load(str(archive))
        load = time.perf_counter() - started
        await agent.parse_message(texts[0])  # first call builds TF functions
        latencies = []
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            latencies.append(1000 * (time.perf_counter() - started))
        return Timing(load, latencies)

    return asyncio.run(measure())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_http(archive: Path, texts: list[str], startup_timeout: float = 900) -> Timing:
    """`rasa run --enable-api` on 127.0.0.1: time to ready, then sequential POST /model/parse."""
    port = _free_port()
    rasa = Path(sys.executable).with_name("rasa")
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(rasa), "run", "--enable-api", "-m", str(archive), "-i", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"rasa run exited with {server.returncode} before it was ready")
            if time.perf_counter() - started > startup_timeout:
                raise TimeoutError(f"rasa run not ready after {startup_timeout}s")
            try:
                with urllib.request.urlopen(f"{base}/status", timeout=5) as response:
                    if json.load(response).get("model_file"):
                        break
            except OSError:
                time.sleep(0.5)
        load = time.perf_counter() - started

        def post(text: str) -> None:
            request = urllib.request.Request(
                f"{base}/model/parse",
                data=json.dumps({"text": text}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()

        post(texts[0])
        latencies = []
        for text in texts:
            begun = time.perf_counter()
            post(text)
            latencies.append(1000 * (time.perf_counter() - begun))
        return Timing(load, latencies)
    finally:
        server.terminate()
        server.wait(timeout=60)
