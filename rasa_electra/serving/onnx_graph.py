"""The export's token classifier written straight into ONNX Runtime's fused transformer ops.

tf2onnx turns the Hugging Face TF classes into about 1,150 small nodes (each layer norm a
chain of pooling and arithmetic, every reshape computed from ``Shape`` ops), and ONNX Runtime's
transformer optimizer recognises none of them. At one message of about 40 pieces the model
call is then mostly per-node overhead. This module writes the same maths from the weights, one
fused node per step, 102 nodes for ELECTRA-small:

    Gather ×3 → Add → LayerNormalization → (MatMul+Add: ELECTRA's embedding projection)
    per layer: Attention → MatMul → SkipLayerNormalization → MatMul → BiasGelu → MatMul
               → SkipLayerNormalization
    MatMul → Add → Softmax (probabilities); ArgMax, masked by labeled_positions (predictions)

``Attention``, ``SkipLayerNormalization`` and ``BiasGelu`` are ONNX Runtime's ``com.microsoft``
ops, so the file needs ONNX Runtime, which is what runs it. It keeps the export's signature: the
four int32 inputs (any batch and length) and both outputs. Dynamic int8 quantisation turns the
attention into ``QAttention`` and the dense layers into integer matmuls.

Only encoders of the BERT layout are written (``electra`` and ``bert``, post-norm, exact GELU,
absolute positions); ``supports`` says which, and other encoders go through tf2onnx.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rasa_electra.model import features
from rasa_electra.model.model_spec import export_encoder_config
from rasa_electra.model.weights import StartPointError, export_variables

SUPPORTED_TYPES = ("electra", "bert")
OPSET = 17  # LayerNormalization
MS_DOMAIN = "com.microsoft"
# the TF classes' padding bias before the softmax; ONNX Runtime's Attention takes it as-is
MASK_FILTER_VALUE = -10000.0


def supports(config: Any) -> str | None:
    """Why this encoder cannot be written here (``None`` when it can)."""
    if config.model_type not in SUPPORTED_TYPES:
        return f"model type {config.model_type!r} is not one of {', '.join(SUPPORTED_TYPES)}"
    if config.hidden_act != "gelu":
        return f"activation {config.hidden_act!r} is not the exact gelu"
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        return f"position embeddings {config.position_embedding_type!r} are not absolute"
    if config.hidden_size % config.num_attention_heads:
        return "hidden size is not a multiple of the number of heads"
    return None


def _config_or_reason(export_dir: Path) -> tuple[Any, str | None]:
    try:
        config = export_encoder_config(export_dir)
    except StartPointError as error:
        return None, str(error)
    return config, supports(config)


def unsupported(export_dir: Path) -> str | None:
    """Why this export's encoder cannot be written here (``None`` when it can)."""
    return _config_or_reason(export_dir)[1]


def write(export_dir: Path, target: Path) -> None:
    """``target``: the export's SavedModel as one fused ONNX graph. Raises ValueError saying
    why where it cannot: an encoder this module does not write, or a weight missing."""
    import onnx

    config, reason = _config_or_reason(export_dir)
    if reason is not None:
        raise ValueError(reason)
    weights = export_variables(export_dir)
    onnx.save(build(weights, config), str(target))


def build(weights: Mapping[str, np.ndarray], config: Any) -> Any:
    """The ONNX model of ``config``'s token classifier with these weights (by name, as
    ``weights.named_weights`` gives them)."""
    import onnx

    reason = supports(config)
    if reason:
        raise ValueError(f"cannot write this encoder as fused ONNX: {reason}")
    writer = _GraphWriter(weights, config)
    x = writer.embeddings()
    for i in range(config.num_hidden_layers):
        x = writer.layer(i, x)
    writer.classifier(x)
    model = writer.model()
    onnx.checker.check_model(model)
    return model


class _GraphWriter:
    """The graph's nodes and initializers, one fused op per step, written in order."""

    def __init__(self, weights: Mapping[str, np.ndarray], config: Any) -> None:
        from onnx import numpy_helper

        self.weights, self.config = weights, config
        self.base, self.eps = config.model_type, float(config.layer_norm_eps)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = [
            numpy_helper.from_array(np.array(0, np.int64), "zero"),
            numpy_helper.from_array(np.array(1, np.int64), "one"),
            numpy_helper.from_array(np.array(-1, np.int64), "minus_one"),
        ]

    def need(self, name: str) -> np.ndarray:
        if name not in self.weights:
            raise ValueError(f"cannot write this encoder as fused ONNX: it has no weight {name}")
        return self.weights[name]

    def weight(self, name: str, value: np.ndarray | None = None) -> str:
        from onnx import numpy_helper

        array = np.asarray(self.need(name) if value is None else value, dtype=np.float32)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], output: str, domain: str = "", **attributes) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain,
                                           **attributes))  # fmt: skip
        return output

    def dense(self, x: str, prefix: str, output: str) -> str:
        product = self.node("MatMul", [x, self.weight(f"{prefix}/kernel")], f"{output}_matmul")
        return self.node("Add", [product, self.weight(f"{prefix}/bias")], output)

    def embeddings(self) -> str:
        """Word, segment and position vectors summed and normalised (then projected, for
        ELECTRA's smaller embeddings)."""
        node, weight, emb = self.node, self.weight, f"{self.base}/embeddings"
        ids, _, segments, _ = features.INPUT_NAMES
        length = node("Gather", [node("Shape", [ids], "ids_shape"), "one"], "length", axis=0)
        positions = node("Range", ["zero", length, "one"], "positions")
        summed = node("Add", [
            node("Add", [
                node("Gather", [weight(f"{emb}/word_embeddings/weight"), ids], "word_vectors"),
                node("Gather", [weight(f"{emb}/token_type_embeddings/embeddings"), segments],
                     "segment_vectors"),
            ], "word_and_segment"),
            node("Gather", [weight(f"{emb}/position_embeddings/embeddings"), positions],
                 "position_vectors"),
        ], "embedding_sum")  # fmt: skip
        x = node("LayerNormalization", [summed, weight(f"{emb}/LayerNorm/gamma"),
                                        weight(f"{emb}/LayerNorm/beta")], "embeddings",
                 axis=-1, epsilon=self.eps)  # fmt: skip
        if f"{self.base}/embeddings_project/kernel" in self.weights:
            x = self.dense(x, f"{self.base}/embeddings_project", "projected")
        return x

    def layer(self, i: int, x: str) -> str:
        """One encoder layer: fused attention, skip-layer-norms and the GELU feed-forward."""
        node, weight, need, eps = self.node, self.weight, self.need, self.eps
        mask = features.INPUT_NAMES[1]
        layer = f"{self.base}/encoder/layer_._{i}"
        qkv = [f"{layer}/attention/self/{part}" for part in ("query", "key", "value")]
        attention_weights = weight(f"{layer}/qkv/kernel", np.concatenate(
            [need(f"{p}/kernel") for p in qkv], axis=1))  # fmt: skip
        attention_bias = weight(f"{layer}/qkv/bias", np.concatenate(
            [need(f"{p}/bias") for p in qkv]))  # fmt: skip
        context = node("Attention", [x, attention_weights, attention_bias, mask],
                       f"layer{i}_context", domain=MS_DOMAIN,
                       num_heads=self.config.num_attention_heads,
                       mask_filter_value=MASK_FILTER_VALUE)  # fmt: skip
        out = f"{layer}/attention/output"
        projected = node("MatMul", [context, weight(f"{out}/dense/kernel")], f"layer{i}_attn_out")
        x = node("SkipLayerNormalization", [projected, x, weight(f"{out}/LayerNorm/gamma"),
                 weight(f"{out}/LayerNorm/beta"), weight(f"{out}/dense/bias")],
                 f"layer{i}_attention", domain=MS_DOMAIN, epsilon=eps)  # fmt: skip
        inner = node("MatMul", [x, weight(f"{layer}/intermediate/dense/kernel")],
                     f"layer{i}_inner")  # fmt: skip
        inner = node("BiasGelu", [inner, weight(f"{layer}/intermediate/dense/bias")],
                     f"layer{i}_gelu", domain=MS_DOMAIN)  # fmt: skip
        out = f"{layer}/output"
        outer = node("MatMul", [inner, weight(f"{out}/dense/kernel")], f"layer{i}_outer")
        return node("SkipLayerNormalization", [outer, x, weight(f"{out}/LayerNorm/gamma"),
                    weight(f"{out}/LayerNorm/beta"), weight(f"{out}/dense/bias")],
                    f"layer{i}_output", domain=MS_DOMAIN, epsilon=eps)  # fmt: skip

    def classifier(self, x: str) -> None:
        """Per-piece label probabilities, and the best label where a word starts (else -1)."""
        from onnx import TensorProto

        node = self.node
        labeled = features.INPUT_NAMES[3]
        logits = self.dense(x, "classifier", "logits")
        probabilities = node("Softmax", [logits], "probabilities", axis=-1)
        best = node("ArgMax", [probabilities], "best", axis=-1, keepdims=0)
        is_labeled = node("Greater", [node("Cast", [labeled], "labeled_64", to=TensorProto.INT64),
                                      "zero"], "is_labeled")  # fmt: skip
        node("Where", [is_labeled, best, "minus_one"], "predictions")

    def model(self) -> Any:
        from onnx import TensorProto, helper

        batch = ["batch", "length"]
        graph = helper.make_graph(
            self.nodes, "token_classifier",
            [helper.make_tensor_value_info(name, TensorProto.INT32, batch)
             for name in features.INPUT_NAMES],
            [helper.make_tensor_value_info("predictions", TensorProto.INT64, batch),
             helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                           [*batch, self.need("classifier/bias").shape[0]])],
            self.initializers,
            # the com.microsoft ops' outputs, which ONNX's shape inference cannot type (the
            # quantizer needs every matmul input's type)
            value_info=[helper.make_tensor_value_info(n.output[0], TensorProto.FLOAT, None)
                        for n in self.nodes if n.domain == MS_DOMAIN],
        )  # fmt: skip
        model = helper.make_model(graph, producer_name="rasa_electra", opset_imports=[
            helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)])  # fmt: skip
        model.ir_version = 8  # what ONNX Runtime 1.14 and later all read
        return model
