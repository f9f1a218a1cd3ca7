"""The fine-tuning's optimizers: AdamW with warmup and linear decay, one per depth when layer-wise
learning-rate decay is on (Adam ignores gradient scale, so decay must scale the rate), the
head's scores in a group of their own, and the lower layers a run freezes left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rasa_electra import defaults
from rasa_electra.model.training_config import TrainingConfig


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


def optimizer_groups(
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
