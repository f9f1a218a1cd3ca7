"""The quality probe: livedoor news 9-class document classification on a start point.

As in the original write-up: fine-tune the encoder with a classification head, N trials
(seeds), report mean ± std of test macro-F1. The split is fixed (stratified 80/10/10 by a seed
of its own), each trial keeps the epoch with the best dev macro-F1 and reads test once.
``random_init=True`` trains the same architecture from scratch: the baseline the pretrained
weights must beat.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from lab.livedoor import Article, categories, read_articles
from lab.pretraining.trainer import warmup_linear
from rasa_electra.tokenization.subwords import SubwordTokenizer


@dataclass
class ProbeConfig:
    trials: int = 5
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_seq_length: int = 128
    seed: int = 0
    split_seed: int = 0
    max_train_documents: int | None = None  # a smaller probe for CPUs; dev/test stay whole
    random_init: bool = False


def split_articles(articles: list[Article], seed: int = 0) -> dict[str, list[Article]]:
    """Stratified 80/10/10 split, the same for every start point."""
    rng = np.random.default_rng(seed)
    split: dict[str, list[Article]] = {"train": [], "dev": [], "test": []}
    for category in sorted({a.category for a in articles}):
        members = [a for a in articles if a.category == category]
        order = rng.permutation(len(members))
        tenth = max(1, len(members) // 10)
        split["test"] += [members[i] for i in order[:tenth]]
        split["dev"] += [members[i] for i in order[tenth : 2 * tenth]]
        split["train"] += [members[i] for i in order[2 * tenth :]]
    return split


def encode(articles: list[Article], tokenizer: SubwordTokenizer, max_seq_length: int):
    """[CLS] + the first pieces of title and body + [SEP], padded; returns ids and mask."""
    pieces = tokenizer.pieces
    ids = np.full((len(articles), max_seq_length), pieces.pad_token_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, article in enumerate(tqdm(articles, desc="encode", unit="doc", leave=False)):
        tokens: list[int] = []
        for line in article.text.split("\n"):
            tokenized = tokenizer.tokenize(line)
            tokens += [p.id for word in tokenized.word_pieces for p in word]
            if len(tokens) >= max_seq_length - 2:
                break
        sequence = [pieces.cls_token_id, *tokens[: max_seq_length - 2], pieces.sep_token_id]
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return ids, mask


def macro_f1(gold: np.ndarray, predicted: np.ndarray, num_labels: int) -> float:
    scores = []
    for label in range(num_labels):
        tp = int(((gold == label) & (predicted == label)).sum())
        fp = int(((gold != label) & (predicted == label)).sum())
        fn = int(((gold == label) & (predicted != label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def _classifier(start_point: str | Path, num_labels: int, random_init: bool):
    from transformers import AutoConfig, AutoModelForSequenceClassification

    if random_init:
        config = AutoConfig.from_pretrained(str(start_point), num_labels=num_labels)
        return AutoModelForSequenceClassification.from_config(config)
    # float32 whatever the checkpoint's storage (the shipped encoder is float16 on disk, and
    # transformers 5 would otherwise keep that dtype)
    return AutoModelForSequenceClassification.from_pretrained(
        str(start_point), num_labels=num_labels, dtype=torch.float32
    )


def _predict(model, ids: np.ndarray, mask: np.ndarray, batch_size: int) -> np.ndarray:
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            batch_ids = torch.from_numpy(ids[start : start + batch_size])
            batch_mask = torch.from_numpy(mask[start : start + batch_size])
            out.append(model(input_ids=batch_ids, attention_mask=batch_mask).logits.argmax(-1))
    return torch.cat(out).numpy()


def run_trial(start_point, data: dict, num_labels: int, config: ProbeConfig, seed: int) -> dict:
    """Fine-tune once; the best dev epoch's weights score test."""
    torch.manual_seed(seed)
    model = _classifier(start_point, num_labels, config.random_init)
    train_ids, train_mask, train_labels = data["train"]
    steps = config.epochs * int(np.ceil(len(train_ids) / config.batch_size))
    warmup = int(steps * config.warmup_ratio)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay, eps=1e-6
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_linear(step, steps, warmup)
    )
    rng = np.random.default_rng(seed)
    best = {"dev_macro_f1": -1.0}
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = rng.permutation(len(train_ids))
        progress = tqdm(range(0, len(order), config.batch_size), desc=f"seed {seed} epoch {epoch}",
                        unit="batch", leave=False)  # fmt: skip
        for start in progress:
            rows = order[start : start + config.batch_size]
            loss = model(
                input_ids=torch.from_numpy(train_ids[rows]),
                attention_mask=torch.from_numpy(train_mask[rows]),
                labels=torch.from_numpy(train_labels[rows]),
            ).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            progress.set_postfix(loss=f"{loss.item():.3f}")
        dev_ids, dev_mask, dev_labels = data["dev"]
        dev = macro_f1(dev_labels, _predict(model, dev_ids, dev_mask, 64), num_labels)
        tqdm.write(f"seed {seed} epoch {epoch}: dev macro-F1 {dev:.4f}")
        if dev > best["dev_macro_f1"]:
            best = {"dev_macro_f1": dev, "epoch": epoch,
                    "state": copy.deepcopy(model.state_dict())}  # fmt: skip
    model.load_state_dict(best.pop("state"))
    test_ids, test_mask, test_labels = data["test"]
    predicted = _predict(model, test_ids, test_mask, 64)
    return {
        "seed": seed,
        **best,
        "test_macro_f1": macro_f1(test_labels, predicted, num_labels),
        "test_accuracy": float((predicted == test_labels).mean()),
        "seconds": round(time.perf_counter() - started, 1),
    }


def probe(start_point: str | Path, livedoor_dir: str | Path, config: ProbeConfig) -> dict:
    """Run ``config.trials`` trials; mean ± std of test macro-F1 (and per-trial details)."""
    labels = categories(livedoor_dir)
    split = split_articles(list(read_articles(livedoor_dir)), config.split_seed)
    if config.max_train_documents is not None:
        keep = np.random.default_rng(config.split_seed).permutation(len(split["train"]))
        split["train"] = [split["train"][i] for i in keep[: config.max_train_documents]]
    tokenizer = SubwordTokenizer.from_directory(start_point)
    data = {}
    for name, articles in split.items():
        ids, mask = encode(articles, tokenizer, config.max_seq_length)
        gold = np.array([labels.index(a.category) for a in articles], dtype=np.int64)
        data[name] = (ids, mask, gold)
    trials = [
        run_trial(start_point, data, len(labels), config, config.seed + trial)
        for trial in range(config.trials)
    ]
    scores = np.array([t["test_macro_f1"] for t in trials])
    return {
        "start_point": str(start_point),
        "config": asdict(config),
        "labels": labels,
        "documents": {name: len(articles) for name, articles in split.items()},
        "test_macro_f1_mean": float(scores.mean()),
        "test_macro_f1_std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "trials": trials,
    }
