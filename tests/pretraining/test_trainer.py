"""The Accelerate loop: schedule, batch order, checkpoints, exact resume, the export."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from lab.pretraining.trainer import (
    PretrainConfig,
    batch_indices,
    latest_checkpoint,
    learning_rate,
    pretrain,
)
from rasa_electra.tokenization.subwords import SubwordTokenizer


def test_schedule_warms_up_then_decays_to_zero() -> None:
    config = PretrainConfig(preset="tiny", train_steps=100, warmup_steps=10,
                            learning_rate=1e-3).resolved()  # fmt: skip
    rates = [learning_rate(step, config) for step in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert max(rates) == pytest.approx(1e-3)
    assert all(a >= b for a, b in itertools.pairwise(rates[9:]))
    assert learning_rate(100, config) == 0.0


def test_batch_order_is_a_permutation_per_epoch() -> None:
    first_epoch = np.concatenate([batch_indices(step, 4, 10, seed=3) for step in range(2)])
    assert len(set(first_epoch.tolist())) == 8  # 2 batches of 4 from 10, no repeats
    assert (batch_indices(1, 4, 10, seed=3) == batch_indices(1, 4, 10, seed=3)).all()
    assert not (batch_indices(2, 4, 10, seed=3) == batch_indices(0, 4, 10, seed=3)).all()
    with pytest.raises(ValueError, match="fewer than one batch"):
        batch_indices(0, 16, 10, seed=3)


def config(**changes) -> PretrainConfig:
    values = dict(preset="tiny", train_steps=6, batch_size=4, warmup_steps=2,
                  save_every=2, keep_checkpoints=2, log_every=1, seed=5)  # fmt: skip
    return PretrainConfig(**{**values, **changes})


def test_interrupted_and_resumed_equals_uninterrupted(shards_dir, tmp_path) -> None:
    straight = pretrain(shards_dir, tmp_path / "straight", config())
    stopped = pretrain(shards_dir, tmp_path / "resumed", config(), stop_at=3)
    assert stopped.step == 3
    assert not (tmp_path / "resumed" / "discriminator").exists()  # not finished: no export
    checkpoint = latest_checkpoint(tmp_path / "resumed")
    assert checkpoint is not None and checkpoint.name == "step-000000003"
    resumed = pretrain(shards_dir, tmp_path / "resumed", config())
    assert resumed.step == straight.step == 6
    assert resumed.tokens_seen == straight.tokens_seen
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    a = load_file(str(tmp_path / "straight" / "discriminator" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "discriminator" / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[name], b[name]) for name in a)
    # only the newest complete checkpoints are kept
    kept = sorted(p.name for p in (tmp_path / "straight" / "checkpoints").iterdir())
    assert kept == ["step-000000004", "step-000000006"]


def test_partial_checkpoint_is_ignored_and_export_now(shards_dir, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        pretrain(shards_dir, tmp_path / "run", config(train_steps=4), export_only=True)
    pretrain(shards_dir, tmp_path / "run", config(train_steps=4), stop_at=2)
    partial = tmp_path / "run" / "checkpoints" / "step-000000003"
    partial.mkdir()  # interrupted while saving: no "complete" marker
    assert latest_checkpoint(tmp_path / "run").name == "step-000000002"
    state = pretrain(shards_dir, tmp_path / "run", config(train_steps=4), export_only=True)
    card = json.loads(
        (tmp_path / "run" / "discriminator" / "pretraining_card.json").read_text(encoding="utf-8")
    )
    assert state.step == card["steps"] == 2


def test_export_is_a_start_point_directory(shards_dir, tmp_path) -> None:
    pretrain(shards_dir, tmp_path / "run", config(train_steps=2, save_every=10))
    export = tmp_path / "run" / "discriminator"
    assert {"config.json", "model.safetensors", "vocab.txt"} <= {p.name for p in export.iterdir()}
    card = json.loads((export / "pretraining_card.json").read_text(encoding="utf-8"))
    assert card["steps"] == 2 and card["tokens_seen"] > 0 and card["preset"] == "tiny"
    assert json.loads((export / "config.json").read_text())["architectures"] == [
        "ElectraForPreTraining"
    ]
    assert SubwordTokenizer.from_directory(export).vocab_size == card["data"]["vocab_size"]
    weights = load_file(str(export / "model.safetensors"))
    assert "electra.embeddings.word_embeddings.weight" in weights
    assert not any(name.startswith("generator") for name in weights)


def test_loss_curves_plot(shards_dir, tmp_path) -> None:
    from lab.pretraining.curves import plot_curves, read_log

    pretrain(shards_dir, tmp_path / "run", config(train_steps=3, save_every=10))
    log = read_log(tmp_path / "run" / "log.jsonl")
    assert [r["step"] for r in log] == [1, 2, 3]
    png = plot_curves(log, tmp_path / "curves.png", "tiny")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "run" / "curves.png").is_file()  # the export plots them too
