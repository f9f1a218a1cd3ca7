"""Shared fixtures: paths to the repository, the test fixtures and the real GSD data.

Also loaded by the pretraining environment's run of tests/pretraining (no Rasa, no TF there):
imports of either stay inside the fixtures that need them.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.vocab import VOCAB_SPECIALS

# Rasa otherwise tries to send telemetry and error reports (also from `rasa` subprocesses).
os.environ["RASA_TELEMETRY_ENABLED"] = "false"

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def own_rasa_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Rasa's training cache (an SQLite file under the working directory by default) kept to
    this run, so the parallel workers of `make test` never share or lock one."""
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(tmp_path_factory.mktemp("rasa-cache")))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mini_bio() -> Path:
    """A hand-written BIO file with v2.6-NE's defects (CRLF on entity lines, empty last tag)."""
    return FIXTURES / "mini.bio"


@pytest.fixture(scope="session")
def gsd_root() -> Path:
    """The real GSD NE release folders; $RASA_ELECTRA_GSD_DIR overrides ../shared/data/…."""
    root = Path(
        os.environ.get("RASA_ELECTRA_GSD_DIR", REPO.parent / "shared/data/ud_japanese_gsd_ne")
    )
    if not (root / "v2.6-NE" / "train.bio").is_file():
        pytest.skip(f"real GSD data not found at {root} (set RASA_ELECTRA_GSD_DIR)")
    return root


@pytest.fixture(scope="session")
def converted_gsd(gsd_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both real GSD NE versions converted once with the real command (``cli.convert``)."""
    from rasa_electra.cli.convert import main

    folders = {}
    for version in ("v2.6-NE", "r2.8-NE"):
        out = tmp_path_factory.mktemp(f"gsd_{version}")
        assert main(["--source", str(gsd_root), "--version", version, "--out", str(out)]) == 0
        folders[version] = out
    return folders


# --- tiny real models and vocabularies (no hub, no downloads) ---------------------------------

TINY = dict(embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=64, max_position_embeddings=128)  # fmt: skip


@pytest.fixture(scope="session")
def examples():
    from rasa_electra.data.rasa_nlu import read_rasa_data  # Rasa: not in the pretraining env

    return read_rasa_data(REPO / "data/examples/nlu.yml")


def write_vocab(texts: list[str], directory: Path) -> Path:
    """A deterministic WordPiece vocabulary: whole MeCab words, single characters, ##characters."""
    mecab = MecabTokenizer()
    words = {w.text for text in texts for w in mecab.tokenize(text)}
    chars = {c for text in texts for c in text if not c.isspace()}
    tokens = (
        VOCAB_SPECIALS + sorted(words) + sorted(chars - words) + sorted(f"##{c}" for c in chars)
    )
    (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def vocab_dir(tmp_path_factory, examples) -> Path:
    return write_vocab([e.text for e in examples], tmp_path_factory.mktemp("vocab"))


def tiny_electra_config(vocab_dir: Path):
    from transformers import ElectraConfig

    size = len((vocab_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    return ElectraConfig(vocab_size=size, **TINY)


def random_tiny_discriminator(vocab_dir: Path):
    """A tiny ELECTRA discriminator with random weights, as a pretraining run would leave one."""
    import tensorflow as tf
    from transformers import TFElectraForPreTraining

    tf.keras.utils.set_random_seed(7)
    model = TFElectraForPreTraining(tiny_electra_config(vocab_dir))
    model(model.dummy_inputs)
    return model


def write_pytorch_layout(model, vocab_dir: Path, directory: Path) -> Path:
    """``model`` as an HF directory in PyTorch layout (model.safetensors), written without torch."""
    from safetensors.numpy import save_file
    from transformers.modeling_tf_pytorch_utils import (
        apply_transpose,
        convert_tf_weight_name_to_pt_weight_name,
    )

    state = {}
    for weight in model.weights:
        name, transpose = convert_tf_weight_name_to_pt_weight_name(
            weight.name, tf_weight_shape=weight.shape
        )
        state[name] = np.ascontiguousarray(
            apply_transpose(transpose, weight.numpy(), pt_to_tf=False)
        )
    save_file(state, str(directory / "model.safetensors"))
    model.config.save_pretrained(str(directory))
    (directory / "vocab.txt").write_bytes((vocab_dir / "vocab.txt").read_bytes())
    return directory


@pytest.fixture(scope="session")
def tiny_start_point(tmp_path_factory):
    """texts → a tiny random ELECTRA start point (PyTorch layout) whose vocabulary covers them."""

    def make(texts: list[str]) -> Path:
        vocab = write_vocab(texts, tmp_path_factory.mktemp("vocab"))
        model = random_tiny_discriminator(vocab)
        return write_pytorch_layout(model, vocab, tmp_path_factory.mktemp("start"))

    return make


@pytest.fixture(scope="session")
def pretrained_tf_model(vocab_dir):
    return random_tiny_discriminator(vocab_dir)


@pytest.fixture(scope="session")
def pytorch_layout_dir(tmp_path_factory, pretrained_tf_model, vocab_dir) -> Path:
    return write_pytorch_layout(
        pretrained_tf_model, vocab_dir, tmp_path_factory.mktemp("pt_layout")
    )


@pytest.fixture(scope="session")
def tf1_checkpoint_dir(tmp_path_factory, pretrained_tf_model, vocab_dir) -> Path:
    """A google-research/electra-style TF1 checkpoint with the same encoder weights."""
    import tensorflow as tf

    from rasa_electra.model.tf1_checkpoint import tf1_name

    directory = tmp_path_factory.mktemp("tf1_ckpt")
    values = {tf1_name(w.name): w.numpy() for w in pretrained_tf_model.weights}
    graph = tf.Graph()
    with graph.as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(name, initializer=value)
        # variables a real pretraining checkpoint also holds, which must be ignored
        tf.compat.v1.get_variable(
            "generator/encoder/layer_0/output/dense/kernel", initializer=np.ones((8, 8), np.float32)
        )
        tf.compat.v1.get_variable("global_step", initializer=np.int64(1000))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(directory / "model.ckpt"), global_step=1000)
    (directory / "vocab.txt").write_bytes((vocab_dir / "vocab.txt").read_bytes())
    (directory / "hparams.json").write_text(
        '{"model_hparam_overrides": {"num_attention_heads": 2}}'
    )
    return directory


@pytest.fixture(scope="session")
def trained_tiny(pytorch_layout_dir, examples):
    """A tiny ELECTRA with a CRF head and word features fine-tuned on the hand-written examples
    (seconds on CPU): every export test and backend below also carries its learned transitions
    and feature tables."""
    from rasa_electra.model import DataLoader, model_spec, ner

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)
    return ner.create(
        train, validation_data=train, epochs=20, batch_size=8, learning_rate=3e-3, seed=1,
        head="crf", head_learning_rate=3e-2, word_features=("pos", "shape"),
    )  # fmt: skip


@pytest.fixture(scope="session")
def trained_tiny_crf(trained_tiny):
    return trained_tiny


@pytest.fixture(scope="session")
def exported_tiny(trained_tiny, tmp_path_factory) -> Path:
    return trained_tiny.export(
        tmp_path_factory.mktemp("export") / "model", data="data/examples/nlu.yml"
    )


# --- other backends: converted formats, and TensorFlow Serving's REST API on 127.0.0.1 ---------


class StandIn(BaseHTTPRequestHandler):
    """``POST /v1/models/<name>:predict`` as TF Serving answers it, from the same SavedModel."""

    model = None  # an ExportedModel, set by the fixture
    broken = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.broken or not self.path.endswith(":predict"):
            self._answer(500, {"error": "stand-in failure"})
            return
        inputs = {k: np.asarray(v, np.int32) for k, v in body["inputs"].items()}
        assert body["signature_name"] == "serving_default"
        probabilities = self.model.run(inputs)
        predictions = np.where(inputs["labeled_positions"] > 0, probabilities.argmax(-1), -1)
        outputs = {"probabilities": probabilities.tolist(), "predictions": predictions.tolist()}
        self._answer(200, {"outputs": outputs})

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def tf_serving(exported_tiny):
    """A local stand-in for TensorFlow Serving (not installable here); yields its model URL."""
    from rasa_electra.serving.servable import ExportedModel

    StandIn.model = ExportedModel(exported_tiny)
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/models/electra"
    server.shutdown()
    server.server_close()


@pytest.fixture
def tf_serving_standin(tf_serving):
    """The stand-in's handler class, to make it fail for a test (reset afterwards)."""
    yield StandIn
    StandIn.broken = False


@pytest.fixture(scope="session")
def formats_export(exported_tiny, examples, tmp_path_factory) -> Path:
    """A copy of the tiny export with every format converted and evaluated."""
    from rasa_electra.serving import backends
    from rasa_electra.serving.formats import evaluate_formats

    export = tmp_path_factory.mktemp("formats") / "export"
    shutil.copytree(exported_tiny, export)
    evaluate_formats(export, backends.all_format_names(), examples, examples[:5])
    return export
