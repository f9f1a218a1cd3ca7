"""The fused ONNX writer computes what the TF classes compute, and says when it cannot."""

import json
import shutil

import numpy as np
import onnx
import pytest

from rasa_electra.model import features
from rasa_electra.model.export import ENCODER_CONFIG_FILE
from rasa_electra.model.weights import named_weights
from rasa_electra.serving import backends, onnx_graph
from rasa_electra.serving.servable import ExportedModel

TINY = dict(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=48, num_labels=5)  # fmt: skip


def tiny_classifier(kind: str):
    import tensorflow as tf
    from transformers import (
        BertConfig,
        ElectraConfig,
        TFBertForTokenClassification,
        TFElectraForTokenClassification,
    )

    tf.keras.utils.set_random_seed(3)
    if kind == "electra":  # embeddings narrower than the layers: the projection is written too
        return TFElectraForTokenClassification(ElectraConfig(embedding_size=16, **TINY))
    return TFBertForTokenClassification(BertConfig(**TINY))


def padded_batch() -> dict[str, np.ndarray]:
    """Three rows of different lengths, padded, with two token types and some words labelled."""
    rng = np.random.default_rng(0)
    lengths = [9, 4, 1]
    inputs = {name: np.zeros((3, 9), np.int32) for name in features.INPUT_NAMES}
    for row, length in enumerate(lengths):
        inputs["input_ids"][row, :length] = rng.integers(1, TINY["vocab_size"], length)
        inputs["input_mask"][row, :length] = 1
        inputs["segment_ids"][row, length // 2 : length] = 1
        inputs["labeled_positions"][row, 1:length:2] = 1
    return inputs


def run_onnx(model, inputs: dict[str, np.ndarray], path) -> dict[str, np.ndarray]:
    import onnxruntime

    onnx.save(model, str(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = ["predictions", "probabilities"]
    return dict(zip(names, session.run(names, inputs), strict=True))


@pytest.mark.parametrize("kind", ["electra", "bert"])
def test_the_fused_graph_computes_what_the_tf_model_computes(kind, tmp_path):
    import tensorflow as tf

    keras_model = tiny_classifier(kind)
    inputs = padded_batch()
    logits = keras_model(
        input_ids=inputs["input_ids"], attention_mask=inputs["input_mask"],
        token_type_ids=inputs["segment_ids"], training=False,
    ).logits  # fmt: skip
    expected = tf.nn.softmax(logits, axis=-1).numpy()
    graph = onnx_graph.build(named_weights(keras_model.weights), keras_model.config)
    got = run_onnx(graph, inputs, tmp_path / "fused.onnx")
    real = inputs["input_mask"] > 0  # padding rows are not read by anyone
    np.testing.assert_allclose(got["probabilities"][real], expected[real], atol=1e-5)
    wanted = np.where(inputs["labeled_positions"] > 0, expected.argmax(-1), -1)
    assert (got["predictions"] == wanted).all()
    assert len(graph.graph.node) < 20 * TINY["num_hidden_layers"] + 30  # fused, not tf2onnx's


def test_encoders_of_another_layout_are_refused_with_the_reason():
    from transformers import BertConfig, RobertaConfig

    assert onnx_graph.supports(BertConfig(**TINY)) is None
    assert "relu" in onnx_graph.supports(BertConfig(hidden_act="relu", **TINY))
    relative = BertConfig(position_embedding_type="relative_key", **TINY)
    assert "relative_key" in onnx_graph.supports(relative)
    assert "roberta" in onnx_graph.supports(RobertaConfig(**TINY))
    with pytest.raises(ValueError, match="relu"):
        onnx_graph.build({}, BertConfig(hidden_act="relu", **TINY))
    with pytest.raises(ValueError, match="no weight bert/embeddings/word_embeddings/weight"):
        onnx_graph.build({}, BertConfig(**TINY))


def test_an_export_is_written_fused_and_one_without_its_encoder_config_by_tf2onnx(
    formats_export, tmp_path
):
    fused = onnx.load(str(backends.format_file(formats_export, "onnx")))
    assert fused.producer_name == "rasa_electra"
    assert {"Attention", "SkipLayerNormalization"} <= {n.op_type for n in fused.graph.node}
    old = tmp_path / "export"
    shutil.copytree(formats_export, old)
    shutil.rmtree(old / backends.FORMATS_DIR)
    (old / ENCODER_CONFIG_FILE).unlink()  # as exports made before they recorded it
    assert ENCODER_CONFIG_FILE in onnx_graph.unsupported(old)
    with pytest.raises(ValueError, match=ENCODER_CONFIG_FILE):  # backends then runs tf2onnx
        onnx_graph.write(old, tmp_path / "refused.onnx")
    traced = onnx.load(str(backends.convert(old, "onnx")))
    assert traced.producer_name == "tf2onnx"
    reference = ExportedModel(formats_export)
    inputs = padded_batch()  # its ids are within the tiny export's vocabulary too
    expected = reference.run(inputs)
    for export in (formats_export, old):
        got = backends.OnnxModel(export, "onnx", threads=1).run(inputs)
        np.testing.assert_allclose(got, expected, atol=1e-4)
    assert json.loads((formats_export / ENCODER_CONFIG_FILE).read_text())["model_type"] == "electra"
