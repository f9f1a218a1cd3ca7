"""TensorFlow's process-wide state around a fine-tuning: seeds and op determinism, Grappler's
graph rewrites, the distribution strategy. Each is set for the run and put back after, since
the Rasa server that fine-tunes in trainable mode goes on serving in the same process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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
