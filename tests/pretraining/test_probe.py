"""The livedoor probe on a tiny pretrained model and a tiny livedoor-shaped corpus."""

from __future__ import annotations

import numpy as np
import pytest

from lab.livedoor import read_articles
from lab.pretraining.probe import ProbeConfig, macro_f1, probe, split_articles
from lab.pretraining.trainer import PretrainConfig, pretrain


def test_macro_f1() -> None:
    gold = np.array([0, 0, 1, 1, 2])
    assert macro_f1(gold, gold, 3) == 1.0
    # label 0: P 1/3 R 1/2 (F1 0.4); label 1: P 1 R 1/2 (F1 2/3); label 2: never right (0)
    predicted = np.array([0, 2, 1, 0, 0])
    assert macro_f1(gold, predicted, 3) == pytest.approx((0.4 + 2 / 3 + 0.0) / 3)


def test_split_is_stratified_and_fixed(livedoor_tree, tmp_path) -> None:
    articles = list(read_articles(livedoor_tree(tmp_path / "ld", per_category=10)))
    split = split_articles(articles, seed=0)
    assert {name: len(part) for name, part in split.items()} == {"train": 24, "dev": 3, "test": 3}
    assert sorted(a.category for a in split["test"]) == ["it-life-hack", "peachy", "sports-watch"]
    assert [a.path for a in split_articles(articles, seed=0)["test"]] == [
        a.path for a in split["test"]
    ]


def test_probe_runs_trials(livedoor_tree, shards_dir, tmp_path) -> None:
    run = tmp_path / "run"
    pretrain(shards_dir, run, PretrainConfig(preset="tiny", train_steps=2, batch_size=4,
                                             warmup_steps=1, save_every=10))  # fmt: skip
    root = livedoor_tree(tmp_path / "ld", per_category=10)
    config = ProbeConfig(trials=2, epochs=2, batch_size=8, learning_rate=1e-3, max_seq_length=24)
    result = probe(run / "discriminator", root, config)
    assert len(result["trials"]) == 2 and result["documents"]["test"] == 3
    assert {t["seed"] for t in result["trials"]} == {0, 1}
    assert all(0.0 <= t["test_macro_f1"] <= 1.0 for t in result["trials"])
    assert result["test_macro_f1_mean"] == pytest.approx(
        np.mean([t["test_macro_f1"] for t in result["trials"]])
    )
    untrained = ProbeConfig(**{**config.__dict__, "trials": 1, "random_init": True})
    baseline = probe(run / "discriminator", root, untrained)
    assert baseline["config"]["random_init"] is True
