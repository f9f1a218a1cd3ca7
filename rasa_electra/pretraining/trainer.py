"""The pretraining loop, driven by Hugging Face Accelerate (one CPU, GPUs, machines or TPU with
the same code: ``accelerate launch -m training.pretrain …``).

Exact resume: the batch order and each step's masks, samples and dropout are functions of
(seed, step), and the learning rate is computed from the step, so a run interrupted after a
checkpoint and resumed ends with the same weights as one that never stopped (tested on CPU).
A checkpoint is only used once its ``complete`` marker exists, so an interruption while saving
loses nothing but the partial checkpoint.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rasa_electra.pretraining.curves import plot_curves
from rasa_electra.pretraining.electra import PRESETS, ElectraRTD, electra_configs
from rasa_electra.pretraining.shards import TOKENIZER_DIR, ShardedSequences
from rasa_electra.tokenization.subwords import SubwordTokenizer

CHECKPOINTS = "checkpoints"
COMPLETE = "complete"
STATE = "trainer_state.json"
LOG = "log.jsonl"
DISCRIMINATOR = "discriminator"
METRICS = ("loss", "mlm_loss", "disc_loss", "disc_accuracy", "replaced_fraction")
GENERATOR = "generator"


@dataclass
class PretrainConfig:
    """Preset values unless given; ``batch_size`` is global (split over processes)."""

    preset: str = "small"
    train_steps: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    warmup_steps: int | None = None
    mask_prob: float | None = None
    disc_weight: float = 50.0
    temperature: float = 1.0
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    seed: int = 42
    save_every: int = 1000
    keep_checkpoints: int = 2
    log_every: int = 10
    mixed_precision: str | None = None  # None: bf16 on a GPU that has it, else no

    def resolved(self) -> PretrainConfig:
        """A copy with every preset value filled in."""
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}")
        preset = PRESETS[self.preset]
        values = asdict(self)
        for name in ("train_steps", "batch_size", "learning_rate", "warmup_steps", "mask_prob"):
            if values[name] is None:
                values[name] = getattr(preset, name)
        return PretrainConfig(**values)


@dataclass
class TrainerState:
    step: int = 0
    tokens_seen: int = 0
    seconds: float = 0.0
    history: list[dict] = field(default_factory=list)


def warmup_linear(step: int, total_steps: int, warmup_steps: int) -> float:
    """Learning-rate factor: linear warmup to 1, then linear decay to 0 at ``total_steps``
    (the pretraining loop and the probe both use it)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def learning_rate(step: int, config: PretrainConfig) -> float:
    return config.learning_rate * warmup_linear(step, config.train_steps, config.warmup_steps)


@lru_cache(maxsize=1)
def _epoch_order(seed: int, epoch: int, sequences: int) -> np.ndarray:
    """One permutation per epoch, made once and reused by every step of that epoch."""
    return np.random.default_rng([seed, epoch]).permutation(sequences)


def batch_indices(step: int, global_batch: int, sequences: int, seed: int) -> np.ndarray:
    """The sequences of one global batch: a fresh permutation per epoch, set by (seed, epoch)."""
    steps_per_epoch = sequences // global_batch
    if steps_per_epoch == 0:
        raise ValueError(f"{sequences} sequences are fewer than one batch of {global_batch}")
    epoch, position = divmod(step, steps_per_epoch)
    order = _epoch_order(seed, epoch, sequences)
    return order[position * global_batch : (position + 1) * global_batch]


def build_model(config: PretrainConfig, tokenizer: SubwordTokenizer, max_seq_length: int):
    preset = PRESETS[config.preset]
    discriminator, generator = electra_configs(
        preset, tokenizer.vocab_size, max(512, max_seq_length)
    )
    pieces = tokenizer.pieces
    special = [pieces.cls_token_id, pieces.sep_token_id, pieces.pad_token_id]
    if pieces.mask_token_id is None:
        raise ValueError("the vocabulary has no [MASK] token")
    return ElectraRTD(discriminator, generator, special, pieces.mask_token_id,
                      config.mask_prob, config.disc_weight, config.temperature)  # fmt: skip


def _parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay, seen = [], [], set()
    for name, parameter in model.named_parameters():
        if id(parameter) in seen:  # shared embeddings appear under both models
            continue
        seen.add(id(parameter))
        plain = parameter.ndim < 2 or "LayerNorm" in name or name.endswith("bias")
        (no_decay if plain else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]  # fmt: skip


def complete_checkpoints(out_dir: Path) -> list[Path]:
    """Checkpoints whose saving finished, oldest first (step numbers are zero-padded)."""
    return sorted(p.parent for p in (out_dir / CHECKPOINTS).glob(f"step-*/{COMPLETE}"))


def latest_checkpoint(out_dir: Path) -> Path | None:
    complete = complete_checkpoints(out_dir)
    return complete[-1] if complete else None


def pretrain(
    shards_dir: str | Path,
    out_dir: str | Path,
    config: PretrainConfig,
    stop_at: int | None = None,
    export_only: bool = False,
) -> TrainerState:
    """Pretrain (or resume) into ``out_dir``; with ``stop_at``, leave after that step as an
    interrupted job would (a checkpoint is saved there) — the schedule stays ``train_steps``.
    ``export_only`` exports the discriminator of the last checkpoint of an unfinished run."""
    from accelerate import Accelerator

    config = config.resolved()
    out_dir = Path(out_dir)
    mixed = config.mixed_precision or (
        "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    )
    accelerator = Accelerator(mixed_precision=mixed)
    data = ShardedSequences(shards_dir)
    tokenizer = SubwordTokenizer.from_directory(Path(shards_dir) / TOKENIZER_DIR)
    if tokenizer.vocab_size != data.vocab_size:
        raise ValueError(f"{shards_dir}: shards and tokenizer disagree on the vocabulary size")
    if config.batch_size % accelerator.num_processes:
        raise ValueError("batch_size must be a multiple of the number of processes")
    local_batch = config.batch_size // accelerator.num_processes

    torch.manual_seed(config.seed)  # the initial weights
    model = build_model(config, tokenizer, data.max_seq_length)
    optimizer = torch.optim.AdamW(
        _parameter_groups(model, config.weight_decay), lr=config.learning_rate, eps=1e-6
    )
    model, optimizer = accelerator.prepare(model, optimizer)

    state = TrainerState()
    checkpoint = latest_checkpoint(out_dir)
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = TrainerState(**json.loads((checkpoint / STATE).read_text(encoding="utf-8")))
        accelerator.print(f"resuming from {checkpoint} (step {state.step})")
    if export_only:
        if checkpoint is None:
            raise FileNotFoundError(f"{out_dir} has no complete checkpoint to export")
        if accelerator.is_main_process:
            export(accelerator.unwrap_model(model), tokenizer, out_dir, config, state, data)
        return state
    last_step = min(config.train_steps, stop_at if stop_at is not None else config.train_steps)
    if accelerator.is_main_process:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_json(out_dir / "pretrain_config.json", {**asdict(config), "shards": str(shards_dir)})

    model.train()
    rank, processes = accelerator.process_index, accelerator.num_processes
    progress = tqdm(range(state.step, last_step), initial=state.step, total=config.train_steps,
                    desc="RTD pretraining", unit="step",
                    disable=not accelerator.is_local_main_process)  # fmt: skip
    started = time.perf_counter() - state.seconds
    window: list[dict] = []
    for step in progress:
        indices = batch_indices(step, config.batch_size, len(data), config.seed)
        batch = {
            name: torch.from_numpy(array).to(accelerator.device)
            for name, array in data.batch(
                indices[rank * local_batch : (rank + 1) * local_batch]
            ).items()
        }
        step_seed = (config.seed * 1_000_003 + step) * processes + rank
        torch.manual_seed(step_seed)  # dropout
        rng = torch.Generator(device=accelerator.device).manual_seed(step_seed)
        rate = learning_rate(step, config)
        for group in optimizer.param_groups:
            group["lr"] = rate
        output = model(**batch, rng=rng)
        accelerator.backward(output.loss)
        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

        tokens = accelerator.reduce(batch["attention_mask"].sum(), reduction="sum")
        state.step = step + 1
        state.tokens_seen += int(tokens)
        window.append({name: float(getattr(output, name).detach()) for name in METRICS})
        if state.step % config.log_every == 0 or state.step == last_step:
            record = {name: float(np.mean([w[name] for w in window])) for name in window[0]}
            record.update(step=state.step, lr=rate, tokens_seen=state.tokens_seen,
                          seconds=round(time.perf_counter() - started, 2))  # fmt: skip
            state.history.append(record)
            window = []
            progress.set_postfix(loss=f"{record['loss']:.3f}", mlm=f"{record['mlm_loss']:.3f}",
                                 disc_acc=f"{record['disc_accuracy']:.3f}")  # fmt: skip
            if accelerator.is_main_process:
                with (out_dir / LOG).open("a", encoding="utf-8") as log:
                    log.write(json.dumps(record) + "\n")
        if state.step % config.save_every == 0 or state.step == last_step:
            state.seconds = time.perf_counter() - started
            _save_checkpoint(accelerator, out_dir, state, config.keep_checkpoints)
    progress.close()
    state.seconds = time.perf_counter() - started
    if state.step >= config.train_steps and accelerator.is_main_process:
        export(accelerator.unwrap_model(model), tokenizer, out_dir, config, state, data)
    accelerator.wait_for_everyone()
    return state


def _save_checkpoint(accelerator, out_dir: Path, state: TrainerState, keep: int) -> None:
    target = out_dir / CHECKPOINTS / f"step-{state.step:09d}"
    accelerator.save_state(str(target))
    if accelerator.is_main_process:
        _write_json(target / STATE, asdict(state))
        (target / COMPLETE).write_text("", encoding="utf-8")
        for old in complete_checkpoints(out_dir)[:-keep]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()


def export(
    model: ElectraRTD,
    tokenizer: SubwordTokenizer,
    out_dir: Path,
    config: PretrainConfig,
    state: TrainerState,
    data: ShardedSequences,
) -> Path:
    """The discriminator as an HF directory (config.json, model.safetensors, vocabulary) — the
    start point the TF fine-tuning loads without torch; the generator goes beside it."""
    target = out_dir / DISCRIMINATOR
    model.discriminator.save_pretrained(str(target), safe_serialization=True)
    tokenizer.save(target)
    model.generator.save_pretrained(str(out_dir / GENERATOR), safe_serialization=True)
    tokenizer.save(out_dir / GENERATOR)
    card = {
        "what": "ELECTRA discriminator pretrained by replaced-token detection (rasa-electra)",
        "preset": config.preset,
        "config": asdict(config),
        "steps": state.step,
        "tokens_seen": state.tokens_seen,
        "wall_seconds": round(state.seconds, 1),
        "final": state.history[-1] if state.history else None,
        "shards": {k: v for k, v in data.manifest.items() if k != "shards"},
        "hardware": _hardware(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "accelerate": _version("accelerate"),
            "python": platform.python_version(),
        },
    }
    _write_json(target / "pretraining_card.json", card)
    if state.history:
        plot_curves(state.history, out_dir / "curves.png", f"ELECTRA-{config.preset} RTD")
    return target


def _hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.device_count()}× {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads, {platform.processor() or platform.machine()})"


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
