"""Run by test_training.py in a fresh interpreter: TF must be given 2 logical CPUs before it starts.

Trains the same tiny model twice from the same weights, on TF's default strategy and on a
MirroredStrategy with 2 replicas, and prints the largest weight difference as JSON.
"""

import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from rasa_electra.data.rasa_nlu import read_rasa_data  # noqa: E402
from rasa_electra.data.tags import label_list  # noqa: E402
from rasa_electra.model import features, model_spec  # noqa: E402
from rasa_electra.model.tf_runtime import deterministic  # noqa: E402
from rasa_electra.model.training import train  # noqa: E402
from rasa_electra.model.training_config import TrainingConfig  # noqa: E402

start_point, data = sys.argv[1], sys.argv[2]
examples = read_rasa_data(data)
spec = model_spec.get(start_point, max_seq_length=24)
labels = label_list(sorted({s.label for e in examples for s in e.spans}), "BIO")
encoded = features.encode(examples, spec.tokenizer, {x: i for i, x in enumerate(labels)}, 24)
# batch 7 over 2 replicas: uneven rows per replica, and a last batch of one row (one replica idle)
config = TrainingConfig(epochs=2, batch_size=7, learning_rate=3e-3, dropout=0.0, seed=5)
pad = spec.tokenizer.pieces.pad_token_id

weights = {}
strategies = {
    "default": tf.distribute.get_strategy(),
    "mirrored": tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
}
initial = None
for name, strategy in strategies.items():
    with deterministic(config.seed), strategy.scope():
        model = spec.build_model(labels, config.dropout)
        initial = initial or model.get_weights()
        model.set_weights(initial)
    history = train(model, encoded, config, pad, None, strategy)
    weights[name] = model.get_weights()
difference = max(float(np.abs(a - b).max()) for a, b in zip(*weights.values(), strict=True))
moved = max(float(np.abs(a - b).max()) for a, b in zip(initial, weights["default"], strict=True))
print(json.dumps({"replicas": strategies["mirrored"].num_replicas_in_sync,
                  "max_difference": difference, "max_change": moved}))  # fmt: skip
