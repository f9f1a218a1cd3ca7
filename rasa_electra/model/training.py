"""The fine-tuning loop: AdamW with warmup and linear decay, optional layer-wise learning-rate
decay (ELECTRA's fine-tuning recipe), gradient clipping, early stopping on dev F1.

A plain ``tf.GradientTape`` loop rather than ``model.fit``: the loss needs the label mask, layer-
wise decay needs one optimizer per depth (Adam ignores gradient scale, so decay must scale the
learning rate, not the gradient), and model selection needs span-level F1 on dev.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rasa_electra import defaults
from rasa_electra.data.entity_memory import check_share
from rasa_electra.data.viterbi import check_o_bias
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
from rasa_electra.model.word_features import FeatureVariables
from rasa_electra.settings import SettingError, Settings, above, at_least, setting
from rasa_electra.tokenization.word_features import check_names

logger = logging.getLogger(__name__)


@dataclass
class TrainingConfig(Settings):
    """How a model is fine-tuned: the finetune command's flags, the component's training keys and
    the model card's record. Defaults follow the ELECTRA paper's fine-tuning values where it has
    one, and the choices on GSD dev where we made one (docs/defaults.md)."""

    epochs: int = setting(defaults.EPOCHS, "passes over the training data", check=at_least(1))
    batch_size: int = setting(
        defaults.BATCH_SIZE,
        "windows per optimizer step (the global batch, split over replicas)",
        check=at_least(1),
    )
    learning_rate: float = setting(
        defaults.LEARNING_RATE, "peak rate of the encoder and the classifier", check=at_least(0.0)
    )
    warmup_ratio: float = setting(
        defaults.WARMUP_RATIO, "share of the steps warming up", check=at_least(0.0)
    )
    weight_decay: float = setting(0.01, "AdamW's decoupled weight decay", check=at_least(0.0))
    layerwise_lr_decay: float | None = setting(
        None, "e.g. 0.8: each layer down learns at this factor of the one above; none: off"
    )
    max_grad_norm: float = setting(1.0, "gradient clipping by global norm", check=above(0))
    dropout: float | None = setting(None, "the encoder's dropout; none: the start point's")
    keep_layers: int | None = setting(
        None,
        "fine-tune only the start point's first N encoder layers: a smaller model that "
        "answers faster (a student cut from its teacher); none: every layer",
        check=at_least(1, allow_none=True),
    )
    freeze_layers: int | None = setting(
        None,
        "keep the embeddings and the lowest N encoder layers as the start point has them: a "
        "step's backward pass stops above them; 0: train every layer; none: 0, but in "
        "trainable mode the lower half on small data (at most small_data_messages messages: "
        "components.trainable.for_data_size)",
        check=at_least(0, allow_none=True),
    )
    seed: int = setting(42, "seed of data order, dropout and new weights", flag=False)
    init_seed: int | None = setting(
        None,
        "seed of the new weights (the classifier head), the same for every trial; none: "
        "drawn from the seed. Runs that share it and their start point begin from the same "
        "weights and differ only in data order and dropout, so their soup is safe (model.soup)",
    )
    patience: int | None = setting(
        None,
        "stop after this many epochs without dev gain; none: never",
        check=at_least(1, allow_none=True),
    )
    keep_last: bool = setting(
        False,
        "keep the last epoch's weights, as trainable mode (no dev) "
        "does; dev only scores and never stops early",
    )
    eval_batch_size: int = setting(
        32, "windows per call when dev and test are scored", check=at_least(1)
    )
    length_bucketing: bool = setting(
        True, "batches of similar-length windows (features.bucketed_order): less padding, same data"
    )
    head: str = setting(
        defaults.HEAD,
        "crf: a linear-chain CRF over word tags, its transitions exported; softmax: per-word tags",
        choices=defaults.HEADS,
    )
    word_features: tuple[str, ...] = setting(
        defaults.WORD_FEATURES,
        "comma-separated facts of each word added to the tagger "
        "(tokenization.word_features): pos, pos-1, pos+1, shape, word, prefix2, suffix2",
        check=check_names,
    )
    head_learning_rate: float | None = setting(
        None,
        "peak rate of the CRF scores and word-feature tables, which start at 0; none: "
        f"{defaults.HEAD_LEARNING_RATE}, but in trainable mode "
        f"{defaults.SMALL_DATA_HEAD_LEARNING_RATE} on small data (at most small_data_messages "
        "messages: components.trainable.for_data_size)",
        check=above(0, allow_none=True),
    )
    continue_scores: bool = setting(
        False,
        "start the CRF's transitions and the word-feature tables from the start point's "
        "head too (head.continue_scores), for the tags and values it knows",
    )
    entity_memory: float | None = setting(
        defaults.ENTITY_MEMORY,
        "relabel a decoded span by the training data's label for its "
        "text when that label has at least this share (data.entity_memory); none: off",
        check=lambda share: share is None or check_share(share),
    )
    o_bias: float = setting(
        defaults.O_BIAS,
        "added to O's log-probability when dev and test are "
        "decoded and recorded for serving (data.viterbi)",
        check=check_o_bias,
    )
    eval_every: int = setting(
        1, "score dev every N epochs (and always after the last)", check=at_least(1)
    )
    min_steps: int = setting(
        0,
        "more epochs when the epochs would be fewer optimizer steps "
        "(trainable mode's small-data floor); 0: exactly the epochs",
        check=at_least(0),
    )
    max_steps: int = setting(
        0,
        "fewer epochs when the epochs would be more optimizer steps "
        "(trainable mode's ceiling on large data); 0: exactly the epochs",
        check=at_least(0),
    )
    average_last: int = setting(
        0,
        "also score the mean of the last N epochs' weights on dev and keep it when better (with "
        "no dev, as in trainable mode, keep it); 0: off",
        check=at_least(0),
    )
    save_every_steps: int | None = setting(
        None,
        "with a checkpoint directory, also save the run every N steps inside an epoch, so a "
        "killed run with long epochs (a silver stage's) resumes where it last saved, not at "
        "its epoch's start; none: at epoch ends only",
        check=at_least(1, allow_none=True),
    )
    distribute: str = setting(
        "none",
        "tf.distribute strategy: none, mirrored (all local GPUs), "
        "multi-worker (TF_CONFIG), tpu or tpu:ADDRESS",
    )

    def __post_init__(self) -> None:
        self.word_features = tuple(self.word_features)
        super().__post_init__()
        if self.keep_last and self.average_last:
            raise SettingError(
                "keep_last", "keeps the last epoch, average_last lets dev choose: give one"
            )


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Same seed, same result on CPU: Python, NumPy and TF seeds plus deterministic TF ops.

    Op determinism is process-wide and makes unseeded random ops fail, so it is switched back
    off afterwards (TF 2.12 only exposes the switch-off under ``tensorflow.python``); the Rasa
    server that fine-tunes in trainable mode goes on as before.
    """
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    reseed(seed)
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_enabled:
            tf_config.disable_op_determinism()


# a fine-tuning of at most this many steps runs its step without Grappler's graph rewrites: on
# the booking bot they cost 3.6 s before the first step and saved nothing a step (GSD's longer
# windows: about 3% a step, which pays back over a corpus's thousands of steps)
SHORT_FINE_TUNING_STEPS = 300


@contextmanager
def graph_rewrites(enabled: bool) -> Iterator[None]:
    """Grappler's graph rewrites on or off for the TF functions run inside, then as before.
    The option is process-wide and part of what a function's graph is instantiated under: a
    function called under other options is optimized and instantiated again."""
    import tensorflow as tf

    key = "disable_meta_optimizer"
    before = tf.config.optimizer.get_experimental_options().get(key, False)
    tf.config.optimizer.set_experimental_options({key: not enabled})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({key: before})


def reseed(seed: int) -> None:
    """Python's, NumPy's and TF's global seeds; op determinism stays as `deterministic` set it."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)


def make_strategy(name: str = "none"):
    """A ``tf.distribute`` strategy by name; the training loop is the same code for all of them.

    ``none`` is TF's default strategy (one device, no copies). ``mirrored`` copies the model to
    every local GPU (or the CPU when there is none) and sums gradients each step.
    ``multi-worker`` does the same across machines listed in ``TF_CONFIG``; every worker runs
    the same command and takes its replicas' rows of each global batch. ``tpu[:ADDRESS]``
    connects to a Cloud TPU (``local`` on a TPU VM) and pads every batch to one shape.
    """
    import tensorflow as tf

    kind, _, address = name.partition(":")
    if kind == "none":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if kind == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address or "local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(
        f"distribute must be none, mirrored, multi-worker or tpu[:ADDRESS], got {name!r}"
    )


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


def warmup_linear_decay(peak: float, total_steps: int, warmup_steps: int):
    """Linear warmup to ``peak``, then linear decay to 0 at ``total_steps``."""
    import tensorflow as tf

    class WarmupLinearDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = tf.cast(step, tf.float32)
            warm = step / max(1, warmup_steps)
            decay = (total_steps - step) / max(1, total_steps - warmup_steps)
            return peak * tf.maximum(0.0, tf.minimum(warm, decay))

        def get_config(self) -> dict:
            return {"peak": peak, "total_steps": total_steps, "warmup_steps": warmup_steps}

    return WarmupLinearDecay()


def layer_depth(name: str, num_layers: int) -> int:
    """0 for embeddings, i+1 for encoder layer i, num_layers+1 for anything above (the head)."""
    if "/embeddings" in name:
        return 0
    match = re.search(r"layer_\._(\d+)/", name)
    return int(match.group(1)) + 1 if match else num_layers + 1


@dataclass
class OptimizerGroup:
    """Variables trained by one AdamW at one peak learning rate."""

    optimizer: Any
    indices: list[int]
    peak_rate: float


def trained_variables(model, config: TrainingConfig) -> list:
    """The model's variables a fine-tuning trains: every trainable one, or without the
    embeddings and the lowest ``config.freeze_layers`` encoder layers (``layer_depth``)."""
    num_layers = getattr(model.config, "num_hidden_layers", 0)
    frozen = config.freeze_layers or 0
    if frozen > num_layers:
        from rasa_electra.model.weights import StartPointError

        raise StartPointError(f"freeze_layers {frozen}: the model has {num_layers} encoder layers")
    if not frozen:
        return list(model.trainable_variables)
    return [
        variable
        for variable in model.trainable_variables
        if layer_depth(variable.name, num_layers) > frozen
    ]


def _optimizer_groups(
    model, variables: list, config: TrainingConfig, total_steps: int, extra: int = 0
) -> list[OptimizerGroup]:
    """One group, or one per depth (embeddings … head) with decayed peak rates, of the trained
    ``variables``; the last ``extra`` of them (the CRF's scores, the word-feature tables) get
    their own group."""
    import tensorflow as tf

    own = len(variables) - extra
    warmup = int(total_steps * config.warmup_ratio)
    num_layers = getattr(model.config, "num_hidden_layers", 0)
    if config.layerwise_lr_decay is None:
        grouping = {num_layers + 1: list(range(own))}
    else:
        grouping: dict[int, list[int]] = {}
        for index, variable in enumerate(variables[:own]):
            grouping.setdefault(layer_depth(variable.name, num_layers), []).append(index)
    peaks = {}
    for depth in grouping:
        decay = config.layerwise_lr_decay
        peaks[depth] = config.learning_rate * (
            1.0 if decay is None else decay ** (num_layers + 1 - depth)
        )
    if extra:
        grouping[num_layers + 2] = list(range(own, len(variables)))
        rate = config.head_learning_rate
        peaks[num_layers + 2] = defaults.HEAD_LEARNING_RATE if rate is None else rate
    groups = []
    for depth, indices in sorted(grouping.items()):
        peak = peaks[depth]
        optimizer = tf.keras.optimizers.AdamW(
            learning_rate=warmup_linear_decay(peak, total_steps, warmup),
            weight_decay=config.weight_decay,
            epsilon=1e-6,
            # XLA compiles the update once per variable shape: 2 s of a bot's fine-tuning on
            # CPU, for an update that is a small share of the step
            jit_compile=False,
        )
        optimizer.exclude_from_weight_decay(var_names=["LayerNorm", "layer_norm", "bias"])
        optimizer.build([variables[i] for i in indices])
        groups.append(OptimizerGroup(optimizer, indices, peak))
    return groups


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
        groups = _optimizer_groups(model, trained, config, total_steps, len(extra))
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
