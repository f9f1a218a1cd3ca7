"""A model exported as the original write-up did (TF1 graph, pickled label map) still serves."""

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.components.electra_config import ModelLoadError
from rasa_electra.components.legacy_tf1_extractor import LegacyTF1EntityExtractor
from rasa_electra.model.export import ExportError
from rasa_electra.serving.tf1_legacy import LegacyTF1Model, read_label_map

LABELS = ["O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON"]
VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "東京",
    "大阪",
    "山田",
    "太郎",
    "に",
    "は",
    "行く",
]
TAG_OF = {"東京": 1, "大阪": 1, "山田": 3, "太郎": 4}  # what the toy graph "predicts" per token
SEQ = 16


@pytest.fixture(scope="module")
def legacy_dir(tmp_path_factory) -> Path:
    """A TF1 SavedModel built with tf.compat.v1: fixed [None, 16] inputs, chunk_* outputs."""
    import tensorflow as tf

    directory = tmp_path_factory.mktemp("legacy") / "1600000000"
    table = np.full((len(VOCAB), len(LABELS)), -5.0, np.float32)
    table[:, 0] = 5.0
    for token, tag in TAG_OF.items():
        table[VOCAB.index(token)] = -5.0
        table[VOCAB.index(token), tag] = 5.0
    graph = tf.Graph()
    with graph.as_default():
        inputs = {
            name: tf.compat.v1.placeholder(tf.int32, [None, SEQ], name=name)
            for name in ("input_ids", "input_mask", "segment_ids", "labeled_positions")
        }
        weights = tf.compat.v1.get_variable("output_weights", initializer=table)
        logits = tf.gather(weights, inputs["input_ids"])
        probs = tf.nn.softmax(logits, axis=-1, name="chunk_probs")
        predictions = tf.argmax(probs, axis=-1, output_type=tf.int32, name="chunk_predictions")
        builder = tf.compat.v1.saved_model.Builder(str(directory))
        signature = tf.compat.v1.saved_model.predict_signature_def(
            inputs=inputs, outputs={"chunk_probs": probs, "chunk_predictions": predictions}
        )
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}
            )
        builder.save()
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    (directory / "label2id.pkl").write_bytes(
        pickle.dumps({label: i for i, label in enumerate(LABELS)})
    )
    return directory


def test_legacy_export_predicts_spans_on_the_original_text(legacy_dir):
    model = LegacyTF1Model(legacy_dir, max_seq_length=SEQ)
    assert model.labels == LABELS
    text = "山田太郎は 東京 に行く" + "、大阪に行く" * 6  # longer than 16 pieces: windows
    (prediction,) = model.predict([text])
    assert prediction.entities()[:2] == [("山田太郎", "PERSON"), ("東京", "GPE")]
    assert [e for e in prediction.entities() if e[1] == "GPE"].count(("大阪", "GPE")) == 6


def test_component_serves_the_legacy_export(legacy_dir):
    config = {**LegacyTF1EntityExtractor.get_default_config(), "model_path": str(legacy_dir),
              "max_seq_length": SEQ}  # fmt: skip
    component = LegacyTF1EntityExtractor(config, None, None)
    component._model = component._load_export(legacy_dir)
    message = Message(data={TEXT: "東京に行く"})
    component.process([message])
    assert [(e["value"], e["entity"]) for e in message.get(ENTITIES)] == [("東京", "GPE")]


def test_label_map_pickle_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "label2id.pkl").write_bytes(pickle.dumps({"O": 0, "x": Evil()}))
    with pytest.raises(ExportError, match="only plain data is allowed"):
        read_label_map(tmp_path / "label2id.pkl")
    (tmp_path / "id2label.pkl").write_bytes(pickle.dumps({0: "O", 1: "B-X"}))
    assert read_label_map(tmp_path / "id2label.pkl") == ["O", "B-X"]


def test_missing_label_map_is_named(legacy_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(legacy_dir, broken)
    (broken / "label2id.pkl").unlink()
    config = LegacyTF1EntityExtractor.get_default_config()
    component = LegacyTF1EntityExtractor(config, None, None)
    with pytest.raises(
        ModelLoadError, match=f"{broken} is not a complete TF1 export: missing label2id.pkl"
    ):
        component._load_export(broken)
