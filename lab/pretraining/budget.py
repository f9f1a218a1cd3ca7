"""Pretraining on a GPU lent by the minute: smoke test, a short speed sweep, then training
until a deadline, and the weights written where the machine sends files back.

One call of ``run_budget`` is one device command. Its order is the one a lease needs: prove the
step works (20 steps, counting the host synchronisations a step makes on a GPU), measure
tokens/s for the batch sizes eager, then compiled in each of torch.compile's modes tried (the
last lease's setting first, then CUDA graphs; bounded time), pick the fastest setting, size the
schedule to the time left (so the learning rate reaches zero as time runs out), train, and write
fp32 weights split into ≤ 15 MiB files, ``trainer_state.json``, ``log.jsonl`` and ``run.json``
(sweep, choice, hardware) to the delivery folder. A later call on the same warm machine resumes
from the local checkpoint (optimizer included) and reads the parts of the pack every call on it
carried (a second command brings other parts: ``make gpu-kit``'s second kit); on a fresh
machine, from the carried weights (new optimizer, recorded).

The recipe is ELECTRA-small's (Clark et al. 2020) with what budget pretraining found to matter
(Cramming, Geiping & Goldstein 2023): dropout off, a schedule fitted to the time budget (10%
warmup, linear decay to zero at the deadline), the learning rate at most the preset's (a larger
batch does not raise it: that collapsed the discriminator once, docs/journal).
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from lab.pretraining.electra import PRESETS
from lab.pretraining.pack import PACK_MANIFEST, merge_pack
from lab.pretraining.resume_kit import CONTINUES
from lab.pretraining.sequences import SequenceSet
from lab.pretraining.trainer import (
    COMPILE_MODES,
    LOG,
    STATE,
    PretrainConfig,
    RtdTraining,
    TrainerState,
    latest_checkpoint,
    load_sequences,
    make_accelerator,
    pretrain,
    save_carry,
)

RUN_REPORT = "run.json"
# the machine-local pack: every part this machine's commands have carried
MERGED_PACK = "pack"
# 5% (Cramming-like) collapsed the discriminator at 1e-3 on the H200 run (docs/journal)
WARMUP_FRACTION = 0.1


def scaled_learning_rate(preset: str, batch_size: int) -> float:
    """The preset's learning rate scaled by √(batch / preset batch) for smaller batches, and
    never above the preset's own: the √-scaled 1e-3 at batch 512 collapsed the discriminator
    on the H200 (run 1), the preset's 5e-4 at 512 did not (run 2; docs/journal)."""
    base = PRESETS[preset]
    return base.learning_rate * min(1.0, math.sqrt(batch_size / base.batch_size))


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_steps(config: PretrainConfig, data: SequenceSet, steps: int, warmup: int = 3) -> dict:
    """Train ``warmup`` + ``steps`` steps of a fresh model; seconds for the warmup (compile
    included) and steps/s, tokens/s after it; losses to show the step works; on a GPU, how
    many times a timed step made the host wait for the device (0 lets it queue ahead)."""
    accelerator = make_accelerator(config)
    training = RtdTraining(config.resolved(), data, accelerator)
    training.model.train()
    losses = []
    started = time.perf_counter()
    for step in range(warmup):
        metrics, _ = training.step(step)
        losses.append(metrics["loss"])
    _synchronize()
    warm = time.perf_counter()
    tokens = []
    with _host_syncs() as syncs:
        for step in range(warmup, warmup + steps):
            metrics, count = training.step(step)
            losses.append(metrics["loss"])
            tokens.append(count)
    _synchronize()
    seconds = time.perf_counter() - warm
    token_count = int(torch.stack(tokens).sum()) if tokens else 0
    losses = torch.stack(losses).float().tolist()
    del training
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {
        "batch_size": config.batch_size,
        "compile": config.compile,
        "compile_mode": config.compile_mode if config.compile else None,
        "host_syncs_per_step": None if syncs is None or not steps else round(syncs() / steps, 2),
        "warmup_seconds": round(warm - started, 2),
        "steps": steps,
        "steps_per_second": round(steps / seconds, 2) if steps else None,
        "tokens_per_second": round(token_count / seconds) if steps else None,
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "finite": all(math.isfinite(x) for x in losses),
    }


@contextmanager
def _host_syncs():
    """A count of the synchronising CUDA calls made inside (PyTorch's sync debug mode warns at
    each); None where there is no GPU."""
    if not torch.cuda.is_available():
        yield None
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            yield lambda: sum("synchroniz" in str(w.message) for w in caught)
        finally:
            torch.cuda.set_sync_debug_mode("default")


def smoke_test(config: PretrainConfig, data: SequenceSet, steps: int = 20) -> dict:
    """``steps`` real steps at a small batch: finite losses that fall, or an error."""
    # a short schedule of its own: the preset's 10,000 warmup steps would keep the rate at ~0
    smoke = replace(config, batch_size=min(128, len(data)), warmup_steps=5, train_steps=10_000)
    result = time_steps(smoke, data, steps - 3)
    if not result["finite"]:
        raise RuntimeError(f"smoke test: non-finite loss {result}")
    if not result["last_loss"] < result["first_loss"]:
        raise RuntimeError(f"smoke test: the loss did not fall {result}")
    return result


def speed_sweep(
    config: PretrainConfig,
    data: SequenceSet,
    batch_sizes: list[int],
    compile_modes: tuple[str, ...],
    seconds_budget: float,
    steps: int = 20,
) -> list[dict]:
    """Eager speed for each batch size, then compiled speed at the fastest eager batch size in
    each of ``compile_modes`` (compiling costs a warm-up of its own); stops starting new rows
    once over budget."""
    rows: list[dict] = []
    started = time.monotonic()
    for batch_size in batch_sizes:
        if batch_size > len(data) or time.monotonic() - started > seconds_budget:
            continue
        rows.append(time_steps(replace(config, batch_size=batch_size, compile=False), data, steps))
        print("speed", json.dumps(rows[-1]), flush=True)
    eager = [row for row in rows if row.get("tokens_per_second")]
    for mode in compile_modes:
        left = seconds_budget - (time.monotonic() - started)
        if not eager or left <= 10:
            break
        batch_size = max(eager, key=lambda r: r["tokens_per_second"])["batch_size"]
        compiled = replace(config, batch_size=batch_size, compile=True, compile_mode=mode)
        try:
            with _time_limit(int(left)):
                rows.append(time_steps(compiled, data, steps))
            print("speed", json.dumps(rows[-1]), flush=True)
        except Exception as error:  # a compiler failure or a slow compile must not cost the lease
            rows.append({"batch_size": batch_size, "compile": True, "compile_mode": mode,
                         "error": repr(error)})  # fmt: skip
            print(f"speed: torch.compile ({mode}) left out:", repr(error), flush=True)
    return rows


class SweepTimeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: int):
    """Raise ``SweepTimeout`` after ``seconds`` (main thread, POSIX); elsewhere no limit."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise SweepTimeout(f"longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def choose_setting(rows: list[dict], train_seconds: float) -> dict:
    """The row that sees the most tokens in ``train_seconds``, charging each setting its
    warm-up (a compiled run pays the compile again, usually from the cache)."""
    usable = [r for r in rows if r.get("tokens_per_second")]
    if not usable:
        raise RuntimeError(f"no setting could be timed: {rows}")
    return max(
        usable,
        key=lambda r: r["tokens_per_second"] * max(0.0, train_seconds - r["warmup_seconds"]),
    )


def run_budget(
    data_dir: str | Path,
    work_dir: str | Path,
    deliver_dir: str | Path,
    budget_seconds: float,
    base: PretrainConfig | None = None,
    batch_sizes: tuple[int, ...] = (128, 256, 512),
    compile_modes: tuple[str, ...] = COMPILE_MODES,
    sweep_seconds: float = 90.0,
    reserve_seconds: float = 25.0,
    init_weights: str | Path | None = None,
    smoke_steps: int = 20,
    warmup_fraction: float = WARMUP_FRACTION,
) -> dict:
    """The whole device command (see the module docstring); returns the run report."""
    t0 = time.monotonic()
    deadline = t0 + budget_seconds
    work_dir, deliver_dir = Path(work_dir), Path(deliver_dir)
    deliver_dir.mkdir(parents=True, exist_ok=True)
    base = base or PretrainConfig(preset="small", dropout=0.0, log_every=50)
    resuming = latest_checkpoint(work_dir) is not None or init_weights is not None
    if (Path(data_dir) / CONTINUES).is_file() and not resuming:
        raise RuntimeError(
            f"{data_dir} holds pack parts for a second command, and no command trained on this "
            "machine before: run the first kit first (a fresh machine keeps nothing)"
        )
    if (Path(data_dir) / PACK_MANIFEST).is_file():
        data_dir = merge_pack(data_dir, work_dir / MERGED_PACK)
    data = load_sequences(data_dir)
    report: dict = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": data.info,
        "hardware": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU",
        "versions": {"torch": torch.__version__},
        "budget_seconds": budget_seconds,
        "load_seconds": round(time.monotonic() - t0, 1),
    }
    print(f"data: {len(data)} sequences, {data.tokens} tokens", flush=True)
    previous = _previous_choice(work_dir, init_weights)
    report["smoke"] = smoke_test(replace(base, batch_size=128), data, smoke_steps)
    print("smoke", json.dumps(report["smoke"]), flush=True)
    if previous is None:
        report["sweep"] = speed_sweep(base, data, list(batch_sizes), compile_modes, sweep_seconds)
        train_seconds = deadline - time.monotonic() - reserve_seconds
        choice = choose_setting(report["sweep"], train_seconds)
    else:
        choice = previous
        report["sweep"] = []
    train_seconds = deadline - time.monotonic() - reserve_seconds
    start_step = _start_step(work_dir, init_weights)
    expected = choice["steps_per_second"] * max(0.0, train_seconds - choice["warmup_seconds"])
    new_steps = max(1, int(expected * 0.97))
    config = replace(
        base,
        batch_size=choice["batch_size"],
        compile=choice["compile"],
        compile_mode=choice.get("compile_mode") or "default",
        learning_rate=base.learning_rate or scaled_learning_rate(base.preset, choice["batch_size"]),
        schedule_start=start_step,
        train_steps=start_step + new_steps,
        warmup_steps=max(1, int(new_steps * warmup_fraction)),
        save_every=10**9,
        save_every_seconds=180.0,
    )
    report["choice"] = {**choice, "resumed": resuming}
    report["config"] = asdict(config)
    print("training", json.dumps(report["choice"]), f"{new_steps} steps", flush=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    _write(work_dir / RUN_REPORT, report)  # a later command on this machine keeps the choice
    _write(deliver_dir / RUN_REPORT, report)

    def deliver(model, state: TrainerState) -> None:
        paths = save_carry(model, state, deliver_dir)
        report["delivered"] = [p.name for p in paths]

    state = pretrain(
        data_dir, work_dir, config, deadline=deadline - reserve_seconds,
        init_weights=init_weights, data=data, on_end=deliver,
    )  # fmt: skip
    if (work_dir / LOG).is_file():
        shutil.copy2(work_dir / LOG, deliver_dir / LOG)
    report.update(
        steps=state.step, tokens_seen=state.tokens_seen, train_seconds=round(state.seconds, 1),
        final=state.history[-1] if state.history else None,
        total_seconds=round(time.monotonic() - t0, 1),
    )  # fmt: skip
    _write(deliver_dir / RUN_REPORT, report)
    return report


def _previous_choice(work_dir: Path, init_weights: str | Path | None) -> dict | None:
    """A resumed run keeps the setting its first run measured (no second sweep)."""
    for folder in (work_dir, Path(init_weights) if init_weights else None):
        if folder is not None and (folder / RUN_REPORT).is_file():
            return json.loads((folder / RUN_REPORT).read_text(encoding="utf-8")).get("choice")
    return None


def _start_step(work_dir: Path, init_weights: str | Path | None) -> int:
    checkpoint = latest_checkpoint(work_dir)
    if checkpoint is not None:
        return json.loads((checkpoint / STATE).read_text(encoding="utf-8"))["step"]
    if init_weights is not None:
        return json.loads((Path(init_weights) / STATE).read_text(encoding="utf-8"))["step"]
    return 0


def _write(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2, default=_plain) + "\n", encoding="utf-8")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else str(value)
