"""The pretraining loop, driven by Hugging Face Accelerate (one CPU, GPUs, machines or TPU with
the same code: ``accelerate launch -m lab.cli.pretrain …``).

Exact resume: the batch order and each step's masks, samples and dropout are functions of
(seed, step), and the learning rate is computed from the step, so a run interrupted after a
checkpoint and resumed ends with the same weights as one that never stopped (tested on CPU).
A checkpoint is only used once its ``complete`` marker exists, so an interruption while saving
loses nothing but the partial checkpoint.

Built for a GPU lent by the minute: the whole data set sits on the device and each batch is cut
there (fixed shapes, its row indices copied from pinned memory without waiting for the queued
step), metrics stay on the device until a log step, the optimizer is fused, and ``compile`` puts
the encoders' layers through torch.compile (``compile_mode="reduce-overhead"`` also replays each
layer's fixed-shape forward and backward as CUDA graphs). A ``deadline`` ends the run at a time
rather than a step (checkpoint saved, resumable); ``init_weights`` starts from weights that came
back from an earlier machine (the optimizer then restarts, and the state says so).
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from lab.pretraining.curves import plot_curves
from lab.pretraining.electra import DEFAULT_DROPOUT, PRESETS, ElectraRTD, electra_configs
from lab.pretraining.pack import PACK_MANIFEST, read_pack
from lab.pretraining.resume_kit import kit_state, read_kit
from lab.pretraining.sequences import SequenceSet
from lab.pretraining.shards import read_shards
from lab.pretraining.ship import CARD_FILE
from lab.pretraining.weights import merge_load, split_save
from rasa_electra.tokenization.subwords import WORDPIECE_FILES

CHECKPOINTS = "checkpoints"
COMPLETE = "complete"
STATE = "trainer_state.json"
LOG = "log.jsonl"
DISCRIMINATOR = "discriminator"
GENERATOR = "generator"
# "reduce-overhead": CUDA graphs, for a step bound by kernel launches (ELECTRA-small's is)
COMPILE_MODES = ("default", "reduce-overhead")  # the sweep's order
METRICS = ("loss", "mlm_loss", "disc_loss", "disc_accuracy", "disc_auc", "replaced_fraction")


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
    dropout: float = DEFAULT_DROPOUT  # 0 for budget runs (Cramming)
    seed: int = 42
    save_every: int = 1000
    save_every_seconds: float | None = None  # also save when this much time has passed
    keep_checkpoints: int = 2
    log_every: int = 10
    mixed_precision: str | None = None  # None: bf16 on a GPU that has it, else no
    compile: bool = False
    compile_mode: str = "default"  # torch.compile's mode, one of COMPILE_MODES
    # a resumed budget run starts a new schedule segment here: warmup from this step, decay to
    # zero at ``train_steps`` (0: one schedule from the first step, the paper's)
    schedule_start: int = 0

    def resolved(self) -> PretrainConfig:
        """A copy with every preset value filled in."""
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"compile_mode must be one of {COMPILE_MODES}")
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
    # one row per start that did not have the previous optimizer state (weights carried back)
    optimizer_restarts: list[dict] = field(default_factory=list)


def warmup_linear(step: int, total_steps: int, warmup_steps: int) -> float:
    """Learning-rate factor: linear warmup to 1, then linear decay to 0 at ``total_steps``
    (the pretraining loop and the probe both use it)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def learning_rate(step: int, config: PretrainConfig) -> float:
    start = config.schedule_start
    return config.learning_rate * warmup_linear(
        step - start, config.train_steps - start, config.warmup_steps
    )


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


def load_sequences(path: str | Path) -> SequenceSet:
    """A pack (``pack.json``, made for the GPU trip) or a shards directory."""
    path = Path(path)
    return read_pack(path) if (path / PACK_MANIFEST).is_file() else read_shards(path)


def build_model(
    config: PretrainConfig, vocab_size: int, special_ids: dict[str, int], max_seq_length: int
) -> ElectraRTD:
    preset = PRESETS[config.preset]
    discriminator, generator = electra_configs(
        preset, vocab_size, max(512, max_seq_length), config.dropout
    )
    if special_ids.get("mask_token") is None:
        raise ValueError("the vocabulary has no [MASK] token")
    special = [special_ids["cls_token"], special_ids["sep_token"], special_ids["pad_token"]]
    return ElectraRTD(discriminator, generator, special, special_ids["mask_token"],
                      config.mask_prob, config.disc_weight, config.temperature)  # fmt: skip


def unique_state(model: ElectraRTD) -> dict[str, torch.Tensor]:
    """The state dict without the generator's aliases of the shared embeddings."""
    seen: set[int] = set()
    state = {}
    for name, tensor in model.state_dict().items():
        if tensor.data_ptr() in seen:
            continue
        seen.add(tensor.data_ptr())
        state[name] = tensor
    return state


def load_unique_state(
    model: ElectraRTD, state: dict[str, torch.Tensor], fresh_prefix: str | None = None
) -> None:
    """Load ``state``; only the generator's aliases of shared tensors (and, with
    ``fresh_prefix``, the parameters left at their initial values) may be missing."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    aliases = set(model.state_dict()) - set(unique_state(model))
    fresh = {name for name in missing if fresh_prefix and name.startswith(fresh_prefix)}
    if unexpected or set(missing) - aliases - fresh:
        raise ValueError(f"weights do not fit: missing {missing}, unexpected {unexpected}")


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


class DeviceBatches:
    """The sequences on the training device; a batch is cut there from its row indices."""

    def __init__(self, data: SequenceSet, device: torch.device) -> None:
        self.ids = torch.from_numpy(data.ids.astype(np.int32)).to(device)
        self.lengths = torch.from_numpy(data.lengths.astype(np.int32)).to(device)
        self.sep_id = data.special_ids["sep_token"]
        self.positions = torch.arange(data.max_seq_length, device=device)
        self.device = device

    def __call__(self, rows: np.ndarray) -> dict[str, torch.Tensor]:
        index = torch.from_numpy(np.asarray(rows, dtype=np.int64))
        if self.device.type == "cuda":  # a pageable copy would wait for every queued kernel
            index = index.pin_memory()
        index = index.to(self.device, non_blocking=True)
        ids = self.ids[index].long()
        mask = self.positions[None, :] < self.lengths[index][:, None]
        is_sep = ids == self.sep_id
        segment_b = ((is_sep.cumsum(1) - is_sep.long()) >= 1) & mask
        return {"input_ids": ids, "token_type_ids": segment_b.long(), "attention_mask": mask.long()}


class RtdTraining:
    """Model, optimizer and data prepared by Accelerate, and one training step: what the
    pretraining loop and the speed measurement share."""

    def __init__(self, config: PretrainConfig, data: SequenceSet, accelerator) -> None:
        self.config = config
        self.accelerator = accelerator
        if config.batch_size % accelerator.num_processes:
            raise ValueError("batch_size must be a multiple of the number of processes")
        self.local_batch = config.batch_size // accelerator.num_processes
        self.sequences = len(data)
        torch.manual_seed(config.seed)  # the initial weights
        model = build_model(config, data.vocab_size, data.special_ids, data.max_seq_length)
        if config.compile:
            model.compile_encoders(config.compile_mode)
        # CUDA graphs are told where a step begins, so a replay may reuse the last step's memory
        self.graphs = config.compile and config.compile_mode == "reduce-overhead"
        fused = accelerator.device.type == "cuda"
        optimizer = torch.optim.AdamW(
            _parameter_groups(model, config.weight_decay), lr=config.learning_rate, eps=1e-6,
            fused=fused or None,
        )  # fmt: skip
        self.model, self.optimizer = accelerator.prepare(model, optimizer)
        self.batches = DeviceBatches(data, accelerator.device)

    def step(self, step: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """One optimizer step; returns the metrics and the token count as device tensors."""
        config, accelerator = self.config, self.accelerator
        if self.graphs:
            torch.compiler.cudagraph_mark_step_begin()
        rank, processes = accelerator.process_index, accelerator.num_processes
        indices = batch_indices(step, config.batch_size, self.sequences, config.seed)
        batch = self.batches(indices[rank * self.local_batch : (rank + 1) * self.local_batch])
        step_seed = (config.seed * 1_000_003 + step) * processes + rank
        torch.manual_seed(step_seed)  # dropout
        rng = torch.Generator(device=accelerator.device).manual_seed(step_seed)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        output = self.model(**batch, rng=rng)
        accelerator.backward(output.loss)
        accelerator.clip_grad_norm_(self.model.parameters(), config.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        metrics = {name: getattr(output, name).detach() for name in METRICS}
        return metrics, batch["attention_mask"].sum()

    def unwrapped(self) -> ElectraRTD:
        return self.accelerator.unwrap_model(self.model)


def make_accelerator(config: PretrainConfig):
    from accelerate import Accelerator

    if torch.cuda.is_available():  # TF32 for the float32 matrix products left outside autocast
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    mixed = config.mixed_precision or (
        "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    )
    return Accelerator(mixed_precision=mixed)


def complete_checkpoints(out_dir: Path) -> list[Path]:
    """Checkpoints whose saving finished, oldest first (step numbers are zero-padded)."""
    return sorted(p.parent for p in (out_dir / CHECKPOINTS).glob(f"step-*/{COMPLETE}"))


def latest_checkpoint(out_dir: Path) -> Path | None:
    complete = complete_checkpoints(out_dir)
    return complete[-1] if complete else None


def pretrain(
    data_dir: str | Path,
    out_dir: str | Path,
    config: PretrainConfig,
    stop_at: int | None = None,
    export_only: bool = False,
    deadline: float | None = None,
    init_weights: str | Path | None = None,
    data: SequenceSet | None = None,
    on_end: Callable[[ElectraRTD, TrainerState], None] | None = None,
) -> TrainerState:
    """Pretrain (or resume) into ``out_dir`` from shards or a pack in ``data_dir``.

    ``stop_at`` leaves after that step as an interrupted job would (a checkpoint is saved
    there), ``deadline`` (a ``time.monotonic()`` value) at the first step past that time; the
    schedule stays ``train_steps``. Resumes from ``out_dir``'s last complete checkpoint, else
    from ``init_weights`` (weights + ``trainer_state.json`` carried back from another machine;
    fresh optimizer). ``export_only`` exports the last checkpoint of an unfinished run;
    ``on_end`` gets the trained model and state on the main process (the GPU runner saves the
    weights that travel back there)."""
    config = config.resolved()
    out_dir = Path(out_dir)
    accelerator = make_accelerator(config)
    data = data if data is not None else load_sequences(data_dir)
    training = RtdTraining(config, data, accelerator)

    state = TrainerState()
    checkpoint = latest_checkpoint(out_dir)
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = TrainerState(**json.loads((checkpoint / STATE).read_text(encoding="utf-8")))
        accelerator.print(f"resuming from {checkpoint} (step {state.step})")
    elif init_weights is not None:
        state = _start_from_carried(training, Path(init_weights))
        accelerator.print(f"starting from carried weights at step {state.step}, new optimizer")
    if export_only:
        if checkpoint is None:
            raise FileNotFoundError(f"{out_dir} has no complete checkpoint to export")
        if accelerator.is_main_process:
            export(training.unwrapped(), data, out_dir, config, state)
        return state
    last_step = min(config.train_steps, stop_at if stop_at is not None else config.train_steps)
    if accelerator.is_main_process:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_json(out_dir / "pretrain_config.json", {**asdict(config), "data": str(data_dir)})

    training.model.train()
    progress = tqdm(range(state.step, last_step), initial=state.step, total=config.train_steps,
                    desc="RTD pretraining", unit="step",
                    disable=not accelerator.is_local_main_process)  # fmt: skip
    started = time.perf_counter() - state.seconds
    last_save = time.monotonic()
    window: list[dict[str, torch.Tensor]] = []
    window_tokens: list[torch.Tensor] = []
    for step in progress:
        metrics, tokens = training.step(step)
        window.append(metrics)
        window_tokens.append(tokens)
        state.step = step + 1
        out_of_time = deadline is not None and time.monotonic() >= deadline
        ending = state.step == last_step or out_of_time
        saving = (
            state.step % config.save_every == 0
            or ending
            or (config.save_every_seconds is not None
                and time.monotonic() - last_save >= config.save_every_seconds)
        )  # fmt: skip
        if state.step % config.log_every == 0 or saving:
            record = _flush(window, window_tokens, accelerator, state)
            record["seconds"] = round(time.perf_counter() - started, 2)
            record["lr"] = learning_rate(step, config)
            state.history.append(record)
            window, window_tokens = [], []
            progress.set_postfix(loss=f"{record['loss']:.3f}", mlm=f"{record['mlm_loss']:.3f}",
                                 disc_auc=f"{record['disc_auc']:.3f}")  # fmt: skip
            if accelerator.is_main_process:
                with (out_dir / LOG).open("a", encoding="utf-8") as log:
                    log.write(json.dumps(record) + "\n")
        if saving:
            state.seconds = time.perf_counter() - started
            _save_checkpoint(accelerator, out_dir, state, config.keep_checkpoints)
            last_save = time.monotonic()
        if out_of_time:
            break
    progress.close()
    state.seconds = time.perf_counter() - started
    if state.step >= config.train_steps and accelerator.is_main_process:
        export(training.unwrapped(), data, out_dir, config, state)
    if on_end is not None and accelerator.is_main_process:
        on_end(training.unwrapped(), state)
    accelerator.wait_for_everyone()
    return state


def _flush(window, window_tokens, accelerator, state: TrainerState) -> dict:
    """Average the window's metrics (one device→host copy) and count its tokens."""
    stacked = torch.stack([torch.stack([m[name].float() for name in METRICS]) for m in window])
    means = stacked.mean(0).tolist()
    tokens = accelerator.reduce(torch.stack(window_tokens).sum(), reduction="sum")
    state.tokens_seen += int(tokens)
    return {**dict(zip(METRICS, means, strict=True)), "step": state.step,
            "tokens_seen": state.tokens_seen}  # fmt: skip


def _start_from_carried(training: RtdTraining, directory: Path) -> TrainerState:
    fresh_generator = bool(read_kit(directory).get("fresh_generator"))
    load_unique_state(
        training.unwrapped(), kit_state(directory), "generator." if fresh_generator else None
    )
    state = TrainerState(**json.loads((directory / STATE).read_text(encoding="utf-8")))
    reason = (
        "discriminator from the shipped encoder; generator and optimizer restarted"
        if fresh_generator
        else "weights carried back"
    )
    state.optimizer_restarts.append({"step": state.step, "reason": reason})
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


def save_carry(model: ElectraRTD, state: TrainerState, out_dir: str | Path) -> list[Path]:
    """The weights (fp32, split into ≤ 15 MiB files) and the trainer state: what comes back
    from the GPU machine and what a later run there starts from."""
    out_dir = Path(out_dir)
    paths = split_save(unique_state(model), out_dir)
    _write_json(out_dir / STATE, asdict(state))
    return paths


def load_carried_model(
    directory: str | Path, config: PretrainConfig, data: SequenceSet
) -> tuple[ElectraRTD, TrainerState]:
    """The model and state that ``save_carry`` wrote (for the export on this side)."""
    directory = Path(directory)
    model = build_model(config.resolved(), data.vocab_size, data.special_ids, data.max_seq_length)
    load_unique_state(model, merge_load(directory))
    state = TrainerState(**json.loads((directory / STATE).read_text(encoding="utf-8")))
    return model, state


def export(
    model: ElectraRTD,
    data: SequenceSet,
    out_dir: Path,
    config: PretrainConfig,
    state: TrainerState,
    extra_card: dict | None = None,
) -> Path:
    """The discriminator as an HF directory (config.json, model.safetensors, vocabulary) — the
    start point the TF fine-tuning loads without torch; the generator goes beside it. Dropout
    in the exported configs is the fine-tuning default whatever pretraining used."""
    target = out_dir / DISCRIMINATOR
    for module, folder in ((model.discriminator, target), (model.generator, out_dir / GENERATOR)):
        module.config.hidden_dropout_prob = DEFAULT_DROPOUT
        module.config.attention_probs_dropout_prob = DEFAULT_DROPOUT
        module.save_pretrained(str(folder), safe_serialization=True)
        for name in WORDPIECE_FILES:
            if (data.tokenizer_dir / name).is_file():
                shutil.copy2(data.tokenizer_dir / name, folder / name)
    card = {
        "what": "ELECTRA discriminator pretrained by replaced-token detection (rasa-electra)",
        "preset": config.preset,
        "config": asdict(config),
        "steps": state.step,
        "tokens_seen": state.tokens_seen,
        "wall_seconds": round(state.seconds, 1),
        "final": state.history[-1] if state.history else None,
        "optimizer_restarts": state.optimizer_restarts,
        "data": data.info,
        "hardware": _hardware(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "accelerate": _version("accelerate"),
            "python": platform.python_version(),
        },
        **(extra_card or {}),
    }
    _write_json(target / CARD_FILE, card)
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
