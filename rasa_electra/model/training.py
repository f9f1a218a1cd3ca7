"""The fine-tuning loop: the optimizers' steps over bucketed batches (`optimizer`), gradient
clipping, dev F1 each epoch, early stopping, the last epochs' weights averaged, and the run kept
on disk so that it resumes (`checkpoint`).

A plain ``tf.GradientTape`` loop rather than ``model.fit``: the loss needs the label mask, layer-
wise decay needs one optimizer per depth, and model selection needs span-level F1 on dev.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rasa_electra.model.checkpoint import (
    EpochCheckpoint,
    EpochLog,
    History,
    Position,
    RunState,
    TailAverage,
)
from rasa_electra.model.crf import CrfScores, negative_log_likelihood, word_positions
from rasa_electra.model.features import IGNORE, Encoded, batches, bucketed_order
from rasa_electra.model.optimizer import optimizer_groups, trained_variables
from rasa_electra.model.tf_runtime import SHORT_FINE_TUNING_STEPS, graph_rewrites
from rasa_electra.model.training_config import TrainingConfig
from rasa_electra.model.word_features import FeatureVariables

logger = logging.getLogger(__name__)


def epochs_for(config: TrainingConfig, steps_per_epoch: int) -> int:
    """The epochs a fine-tuning runs, from the data's size in steps: ``config.epochs``, raised
    until they make ``config.min_steps`` steps (small data: a bot's four batches an epoch),
    then lowered to whole epochs within ``config.max_steps`` (large data: the training time a
    bot builder waits for); at least one."""
    if steps_per_epoch < 1:
        return config.epochs
    epochs = max(config.epochs, math.ceil(config.min_steps / steps_per_epoch))
    if config.max_steps:
        epochs = min(epochs, max(1, config.max_steps // steps_per_epoch))
    return epochs


def epochs_message(config: TrainingConfig, steps_per_epoch: int, epochs: int) -> str:
    """Why a fine-tuning runs other epochs than it was asked for."""
    more = epochs > config.epochs
    bound = config.min_steps if more else config.max_steps
    return (f"{config.epochs} epochs of {steps_per_epoch} steps are {'under' if more else 'over'}"
            f" {bound} steps: training {epochs} epochs")  # fmt: skip


def train(
    model,
    encoded: Encoded,
    config: TrainingConfig,
    pad_id: int,
    dev_f1: Callable[[], float] | None = None,
    strategy=None,
    crf: CrfScores | None = None,
    word_features: FeatureVariables | None = None,
    checkpoint_dir: Path | None = None,
) -> History:
    """Fine-tune ``model`` in place; with ``dev_f1``, keep the weights of the best dev epoch
    (the last epoch's with ``config.keep_last``: dev then only scores). With ``checkpoint_dir``
    each epoch's end state, and with ``save_every_steps`` states inside epochs, are kept there
    (``EpochCheckpoint``); a run that finds one resumes.

    ``strategy`` (a ``tf.distribute`` strategy, the one ``model`` was built under) splits each
    batch's rows over its replicas. The loss is normalised by the whole batch's label count and
    gradients are summed over replicas before clipping, so a step is the same maths on one
    device or many. The loss is per word, on each word's first-piece logits plus, with
    ``word_features``, its features' scores: cross-entropy, or with ``crf`` the CRF's negative
    log-likelihood of each window's tags. Those extra scores are trained too.
    """
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    windows = encoded.windows
    steps_per_epoch = math.ceil(len(windows) / config.batch_size)
    epochs = epochs_for(config, steps_per_epoch)
    if epochs != config.epochs:
        logger.info(epochs_message(config, steps_per_epoch, epochs))
    total_steps = steps_per_epoch * epochs
    with strategy.scope():
        extra = (crf.variables if crf else []) + (word_features.variables if word_features else [])
        trained = trained_variables(model, config) + extra
        groups = optimizer_groups(model, trained, config, total_steps, len(extra))
    step = _step_function(model, config, strategy, groups, trained, crf, word_features, total_steps)
    distribute = _batch_distributor(strategy, windows, word_features)
    tpu = isinstance(strategy, tf.distribute.TPUStrategy)
    batch_width = max(len(w.input_ids) for w in windows) if tpu and windows else None
    run = RunState(History())
    tail = TailAverage(trained, epochs - config.average_last + 1)
    rng = np.random.default_rng(config.seed)
    checkpoint, first_epoch, position = None, 1, None
    if checkpoint_dir is not None:
        described = {"config": run_identity(config), "epochs": epochs, "windows": len(windows)}
        optimizers = [g.optimizer for g in groups]
        checkpoint = EpochCheckpoint(checkpoint_dir, described, model, extra, optimizers)
        first_epoch, position = checkpoint.resume(run, tail, rng)
        if first_epoch is None:
            return run.history
    for epoch in range(first_epoch, epochs + 1):
        started = time.perf_counter()
        drawn_from = rng.bit_generator.state  # a save inside the epoch draws its order again
        done = position if position is not None and position.epoch == epoch else None
        skipped = done.steps if done else 0
        progress = tqdm(
            _epoch_batches(windows, config, pad_id, rng, batch_width, skipped),
            total=steps_per_epoch, initial=skipped, desc=f"epoch {epoch}/{epochs}", unit="batch",
        )  # fmt: skip
        losses, before = (list(done.losses), done.seconds) if done else ([], 0.0)
        for index, (chosen, inputs, labels) in enumerate(progress, start=skipped + 1):
            # a batch of texts without words (e.g. only spaces) has nothing to learn
            if (labels != IGNORE).any():
                losses.append(float(step(distribute(inputs, labels, chosen))))
                progress.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
            if checkpoint is not None and inside_epoch_save(config, index, steps_per_epoch):
                at = Position(epoch, index, losses, before + time.perf_counter() - started)
                checkpoint.save(run, tail, drawn_from, position=at)
        seconds = before + time.perf_counter() - started
        if config.average_last:
            tail.add(epoch)
        if _end_epoch(run, epoch, epochs, losses, seconds, config, dev_f1, model, extra):
            break  # early stop
        if checkpoint is not None:
            checkpoint.save(run, tail, rng.bit_generator.state)
    _keep_the_chosen_weights(model, extra, run, tail, dev_f1)
    if checkpoint is not None:
        checkpoint.save(RunState(run.history), tail, rng.bit_generator.state, finished=True)
    return run.history


def _epoch_batches(windows: list, config: TrainingConfig, pad_id: int, rng, width: int | None,
                   skipped: int):  # fmt: skip
    """An epoch's batches in an order drawn from ``rng``, the first ``skipped`` left out (the
    steps a resumed epoch had done)."""
    order = (
        bucketed_order([len(w.input_ids) for w in windows], config.batch_size, rng)
        if config.length_bucketing
        else rng.permutation(len(windows))
    )
    return batches(windows, config.batch_size, pad_id, order[skipped * config.batch_size :], width)


def run_identity(config: TrainingConfig) -> dict:
    """The settings a saved run must share with the one resuming it: all but how often it
    saves."""
    return {k: v for k, v in config.as_dict().items() if k != "save_every_steps"}


def inside_epoch_save(config: TrainingConfig, step: int, steps_per_epoch: int) -> bool:
    """Whether step ``step`` of an epoch (from 1) saves: every ``save_every_steps``, not the
    epoch's last (the epoch's end saves then)."""
    every = config.save_every_steps
    return bool(every) and step % every == 0 and step < steps_per_epoch


def _end_epoch(
    run: RunState, epoch: int, epochs: int, losses: list[float], seconds: float,
    config: TrainingConfig, dev_f1: Callable[[], float] | None, model, extra: list,
) -> bool:  # fmt: skip
    """Log the epoch, score dev when due, keep the chosen epoch's weights; True: stop early."""
    history = run.history
    scored = epoch % max(1, config.eval_every) == 0 or epoch == epochs
    score = dev_f1() if dev_f1 is not None and scored else None
    history.epochs.append(
        EpochLog(epoch, float(np.mean(losses)) if losses else 0.0, score, seconds)
    )
    # the first epoch holds the step's trace, so the later epochs say the pace (none yet
    # after the first: its own time would overstate a small fine-tuning's many times over)
    paced = history.epochs[1:]
    left = np.mean([e.seconds for e in paced]) * (epochs - epoch) if paced else None
    message = (
        f"epoch {epoch}: loss {history.epochs[-1].loss:.4f}"
        + (f", dev span F1 {score:.4f}" if score is not None else "")
        + f", {seconds:.1f}s"
        + (f", about {left:.0f}s left" if left is not None and epoch < epochs else "")
    )
    logger.info(message)  # what `rasa train` shows; tqdm's line is what the CLI shows
    tqdm.write(message)
    if score is not None and (
        config.keep_last or history.best_dev_f1 is None or score > history.best_dev_f1
    ):
        history.best_epoch, history.best_dev_f1 = epoch, score  # the epoch kept
        if not config.keep_last:  # the last epoch's weights are the model's own at the end
            run.best_weights = model.get_weights()
            run.best_scores = [v.numpy() for v in extra]
        return False
    if (
        score is not None
        and config.patience is not None
        and history.best_epoch is not None
        and epoch - history.best_epoch >= config.patience
    ):
        tqdm.write(f"early stop: no dev improvement for {config.patience} epoch(s)")
        return True
    return False


def _step_function(model, config: TrainingConfig, strategy, groups, variables: list,
                   crf: CrfScores | None, word_features: FeatureVariables | None,
                   total_steps: int):  # fmt: skip
    """One optimizer step on a distributed batch, of the trained ``variables`` (the model's,
    then the head's extra ones): the loss summed over replicas. The step of a fine-tuning of
    ``SHORT_FINE_TUNING_STEPS`` or fewer runs without Grappler's rewrites."""
    import tensorflow as tf

    def replica_step(
        input_ids, input_mask, segment_ids, labels, positions, word_mask, feature_ids, label_count
    ):
        with tf.GradientTape() as tape:
            logits = model(
                input_ids=input_ids, attention_mask=input_mask, token_type_ids=segment_ids,
                training=True,
            ).logits  # fmt: skip
            emissions = tf.gather(logits, positions, batch_dims=1)  # [batch, words, labels]
            tags = tf.gather(labels, positions, batch_dims=1)
            if word_features is not None:
                emissions += word_features.scores(feature_ids)
            if crf is not None:
                losses = negative_log_likelihood(emissions, tags, word_mask, crf)
            else:
                losses = tf.keras.losses.sparse_categorical_crossentropy(
                    tf.boolean_mask(tags, word_mask),
                    tf.boolean_mask(emissions, word_mask),
                    from_logits=True,
                )
            loss = tf.reduce_sum(losses) / label_count
        gradients = tape.gradient(loss, variables)
        gradients = tf.distribute.get_replica_context().all_reduce(
            tf.distribute.ReduceOp.SUM, gradients
        )
        gradients, _ = tf.clip_by_global_norm(gradients, config.max_grad_norm)
        for group in groups:
            group.optimizer.apply_gradients(
                [(gradients[i], variables[i]) for i in group.indices],
                skip_gradients_aggregation=True,  # summed above, before clipping
            )
        return loss

    def run(*inputs):
        losses = strategy.run(replica_step, args=inputs)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    if not isinstance(strategy, type(tf.distribute.get_strategy())):
        distributed = tf.function(run, reduce_retracing=True)
        return lambda inputs: distributed(*inputs)
    traced = []
    rewrites = total_steps > SHORT_FINE_TUNING_STEPS

    def step(inputs):
        """One device: traced once, on the first batch, for every batch width and size (a
        trace of this step costs seconds to tens of seconds, the whole of a small fine-tuning's
        first epoch when each new width traced it again). Without AutoGraph: the step has no
        Python control flow on tensors, and converting the encoder's code took a third of the
        trace."""
        if not traced:
            signature = [tf.TensorSpec([None] * len(x.shape), x.dtype) for x in inputs]
            traced.append(tf.function(run, input_signature=signature, autograph=False))
        with graph_rewrites(rewrites):  # each call: other options would instantiate it again
            return traced[0](*inputs)

    return step


def _batch_distributor(strategy, windows: list, word_features: FeatureVariables | None):
    """A global batch's arrays → each replica's rows of them (and the batch's label count)."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    n_features = len(word_features.vocab.names) if word_features else 0

    def distribute(inputs: dict[str, np.ndarray], labels: np.ndarray, chosen: list[int]):
        count = tf.constant(float((labels != IGNORE).sum()))
        positions, word_mask = word_positions(labels, IGNORE)
        feature_ids = np.zeros((*positions.shape, n_features), np.int32)
        for row, i in enumerate(chosen):
            if n_features and windows[i].feature_ids:
                feature_ids[row, : len(windows[i].feature_ids)] = windows[i].feature_ids
        arrays = [
            inputs["input_ids"], inputs["input_mask"], inputs["segment_ids"], labels, positions,
            word_mask, feature_ids,
        ]  # fmt: skip

        def rows(context):
            part = slice(context.replica_id_in_sync_group, None, replicas)
            return (*(tf.constant(a[part]) for a in arrays), count)

        return strategy.experimental_distribute_values_from_function(rows)

    return distribute


def _keep_the_chosen_weights(
    model, extra: list, run: RunState, tail: TailAverage, dev_f1: Callable[[], float] | None
) -> None:
    """Leave ``model`` holding the mean of the tail's epochs when dev prefers it, else the
    best dev epoch's weights (the last epoch's without dev)."""
    history, best_weights, best_scores = run.history, run.best_weights, run.best_scores
    if len(tail.epochs) > 1:
        last = [v.numpy() for v in tail.variables]
        tail.assign()
        history.averaged_epochs = list(tail.epochs)
        history.averaged_dev_f1 = dev_f1() if dev_f1 is not None else None
        best = history.best_dev_f1
        history.kept_average = best is None or (history.averaged_dev_f1 or 0.0) > best
        tqdm.write(
            f"mean of epochs {tail.epochs[0]}-{tail.epochs[-1]}"
            + (f": dev span F1 {history.averaged_dev_f1:.4f}" if dev_f1 is not None else "")
            + (" (kept)" if history.kept_average else f" (the best epoch's {best:.4f} is kept)")
        )
        if history.kept_average:
            return
        for variable, value in zip(tail.variables, last, strict=True):
            variable.assign(value)
    if best_weights is not None:
        model.set_weights(best_weights)
        for variable, value in zip(extra, best_scores, strict=True):
            variable.assign(value)
