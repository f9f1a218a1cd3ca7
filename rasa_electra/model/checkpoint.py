"""A fine-tuning's run state and its copy on disk, so that a killed run resumes where it saved.

``train`` keeps a ``RunState`` (its ``History`` and the chosen epoch's weights) and, with a
checkpoint directory, an ``EpochCheckpoint`` that writes it, with the model's, the head's and the
optimizers' variables, at each epoch's end and every ``save_every_steps`` inside one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm


@dataclass
class EpochLog:
    """One epoch as the log and the scoreboard see it."""

    epoch: int
    loss: float
    dev_f1: float | None
    seconds: float


@dataclass
class History:
    """A fine-tuning's epochs and which weights it kept: what ``train`` returns."""

    epochs: list[EpochLog] = field(default_factory=list)
    best_epoch: int | None = None
    best_dev_f1: float | None = None
    averaged_epochs: list[int] = field(default_factory=list)  # config.average_last's epochs
    averaged_dev_f1: float | None = None
    kept_average: bool = False  # the averaged weights were kept, not the best epoch's

    @property
    def chosen(self) -> str | None:
        """What the model holds: the best epoch's number, or "avg" for the tail's mean."""
        if self.kept_average:
            return f"avg {self.averaged_epochs[0]}-{self.averaged_epochs[-1]}"
        return None if self.best_epoch is None else str(self.best_epoch)


@dataclass
class RunState:
    """What a fine-tuning carries from epoch to epoch: its history and the kept weights."""

    history: History
    best_weights: list | None = None
    best_scores: list = field(default_factory=list)


@dataclass
class Position:
    """Where inside an epoch a run last saved: the steps done, their losses, its seconds."""

    epoch: int
    steps: int
    losses: list[float]
    seconds: float


class TailAverage:
    """The running mean of variables' values at the end of epochs ``first`` and later."""

    def __init__(self, variables: list, first: int) -> None:
        self.variables, self.first = variables, max(1, first)
        self.epochs: list[int] = []
        self.sums: list[np.ndarray] = []

    def add(self, epoch: int) -> None:
        if epoch < self.first:
            return
        values = [v.numpy().astype(np.float64) for v in self.variables]
        self.sums = (
            values if not self.sums else [s + v for s, v in zip(self.sums, values, strict=True)]
        )
        self.epochs.append(epoch)

    def assign(self) -> None:
        for variable, total in zip(self.variables, self.sums, strict=True):
            variable.assign((total / len(self.epochs)).astype(variable.dtype.as_numpy_dtype))


@dataclass
class SavedEpoch:
    """What ``EpochCheckpoint.restore`` gives back beside the variables it assigns."""

    history: History
    best_weights: list[np.ndarray] | None
    best_scores: list[np.ndarray]
    finished: bool
    position: Position | None = None


class EpochCheckpoint:
    """A fine-tuning's state at the end of its last epoch, or every ``save_every_steps``
    inside one, so that a killed run resumes there.

    ``checkpoint_dir`` holds ``state.json`` (the epoch logs, the best epoch, the data order's
    random state, the tail average's epochs, where inside an epoch it saved, and what run wrote
    it) and ``epoch-N/`` (``epoch-N-step-K/`` inside epoch N): the model's, the head's and the
    optimizers' variables (a ``tf.train.Checkpoint``) and, as ``arrays.npz``, the best epoch's
    weights and the tail's sums. ``state.json`` is replaced only after that folder is whole,
    so a kill while saving leaves the previous save usable. A resumed run draws the same
    batches as an uninterrupted one (inside an epoch: its order drawn again, the done steps
    skipped); dropout draws its own.
    """

    STATE = "state.json"

    def __init__(self, directory: Path, run: dict, model, extra: list, optimizers: list) -> None:
        import tensorflow as tf

        self.directory, self.run = Path(directory), json.loads(json.dumps(run))
        self._checkpoint = tf.train.Checkpoint(model=model, extra=extra, optimizers=optimizers)

    def restore(self, tail: TailAverage, rng: np.random.Generator) -> SavedEpoch | None:
        """Assign the saved state, if any; refuse one another run wrote."""
        state_file = self.directory / self.STATE
        if not state_file.is_file():
            return None
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if state["run"] != self.run:
            changed = sorted(
                key for key in {**state["run"]["config"], **self.run["config"]}
                if state["run"]["config"].get(key) != self.run["config"].get(key)
            ) or ["data or epochs"]  # fmt: skip
            raise ValueError(
                f"{self.directory} holds a fine-tuning with other settings ({', '.join(changed)}):"
                " delete it, or write this run elsewhere"
            )
        epoch_dir = self.directory / state["saved"]
        self._checkpoint.read(str(epoch_dir / "variables")).assert_consumed()
        arrays = np.load(epoch_dir / "arrays.npz")
        best = [arrays[f"best_{i}"] for i in range(state["best_weights"])]
        rng.bit_generator.state = state["rng"]
        tail.epochs = list(state["tail_epochs"])
        tail.sums = [arrays[f"tail_{i}"] for i in range(state["tail_sums"])]
        history = History(
            [EpochLog(**log) for log in state["history"]["epochs"]],
            **{k: v for k, v in state["history"].items() if k != "epochs"},
        )
        return SavedEpoch(
            history,
            best or None,
            [arrays[f"score_{i}"] for i in range(state["best_scores"])],
            state["finished"],
            Position(**state["position"]) if state.get("position") else None,
        )

    def resume(
        self, run: RunState, tail: TailAverage, rng: np.random.Generator
    ) -> tuple[int | None, Position | None]:
        """Restore ``run``, ``tail`` and ``rng``; the epoch to start from (1 with no saved
        state) and, for a save inside it, where in it; None when the run had finished: its
        model is then back as it was."""
        saved = self.restore(tail, rng)
        if saved is None:
            return 1, None
        run.history, run.best_weights, run.best_scores = (
            saved.history, saved.best_weights, saved.best_scores,
        )  # fmt: skip
        if saved.finished:
            tqdm.write(f"{self.directory}: this fine-tuning had finished; its model is back")
            return None, None
        if saved.position is not None:
            where = saved.position
            tqdm.write(f"{self.directory}: resuming epoch {where.epoch} after step {where.steps}")
            return where.epoch, where
        first_epoch = run.history.epochs[-1].epoch + 1
        tqdm.write(f"{self.directory}: resuming after epoch {first_epoch - 1}")
        return first_epoch, None

    def save(
        self, run: RunState, tail: TailAverage, rng_state: dict,
        position: Position | None = None, finished: bool = False,
    ) -> None:  # fmt: skip
        """The run's state: at an epoch's end, or at ``position`` inside an epoch, where
        ``rng_state`` is the one its order was drawn from."""
        history = run.history
        epoch = history.epochs[-1].epoch if history.epochs else 0
        name = f"epoch-{epoch}" + ("-final" if finished else "")
        if position is not None:
            name = f"epoch-{position.epoch}-step-{position.steps}"
        epoch_dir = self.directory / name
        shutil.rmtree(epoch_dir, ignore_errors=True)
        epoch_dir.mkdir(parents=True)
        self._checkpoint.write(str(epoch_dir / "variables"))
        arrays = {f"best_{i}": w for i, w in enumerate(run.best_weights or [])}
        arrays.update({f"score_{i}": w for i, w in enumerate(run.best_scores)})
        arrays.update({f"tail_{i}": w for i, w in enumerate(tail.sums)})
        np.savez(epoch_dir / "arrays.npz", **arrays)
        state = {
            "run": self.run,
            "saved": name,
            "finished": finished,
            "position": asdict(position) if position is not None else None,
            "history": asdict(history),
            "rng": rng_state,
            "tail_epochs": tail.epochs,
            "tail_sums": len(tail.sums),
            "best_weights": len(run.best_weights or []),
            "best_scores": len(run.best_scores),
        }
        partial = self.directory / (self.STATE + ".partial")
        partial.write_text(json.dumps(state), encoding="utf-8")
        os.replace(partial, self.directory / self.STATE)
        for old in self.directory.glob("epoch-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
