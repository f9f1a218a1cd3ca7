"""Other ways to run one export: TFLite, ONNX Runtime, or TensorFlow Serving over REST.

TFLite Model Maker's export options, for this model's SavedModel::

    <export>/formats/tflite.tflite          float32 TFLite
    <export>/formats/tflite-dynamic.tflite  dynamic-range quantisation (int8 weights)
    <export>/formats/tflite-float16.tflite  float16 weights
    <export>/formats/onnx.onnx              float32, ONNX Runtime's fused transformer ops
                                            (``onnx_graph``; tf2onnx for other encoders)
    <export>/formats/onnx-dynamic.onnx      ONNX Runtime's dynamic int8 quantisation
    <export>/formats/formats.json           per format: file, MB, F1 against the SavedModel

Every format keeps the signature (the four int32 inputs, any batch and length) and is scored
on the same span metric as the SavedModel (``serving.formats.evaluate_formats``). A format
is *offered* to the Rasa component only when its dev-split F1 is at most ``MAX_F1_DROP``
points below the SavedModel's; the test split is reported, never used to decide.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rasa_electra.model import features
from rasa_electra.model.export import (
    OPTIONAL_SIDE_FILES,
    REQUIRED,
    SIDE_FILES,
    SIGNATURE,
    ExportError,
    check_parts,
)
from rasa_electra.model.weights import WEIGHTS_FILE
from rasa_electra.quiet import quiet_notices
from rasa_electra.serving import onnx_graph
from rasa_electra.serving.servable import ExportedModel, Servable

logger = logging.getLogger(__name__)

FORMATS_DIR = "formats"
FORMATS_FILE = "formats.json"
MAX_F1_DROP = 0.5  # F1 points on dev; a format further below the SavedModel is not offered
QUANTIZATIONS = {"tflite": ("none", "dynamic", "float16"), "onnx": ("none", "dynamic")}
AUTO = "auto"  # the export's fastest offered format (formats.json's "fastest"), else SavedModel
# what an export is converted to when it is made (finetune, trainable mode): ONNX Runtime's
# int8 weights were the fastest offered format on GSD (docs/journal, "Fast inference");
# the float32 ONNX is its source, so scoring it too costs one dev pass
AUTO_CONVERSIONS = ("onnx", "onnx-dynamic")
RUNTIMES = {"onnx": "onnxruntime", "tflite": "tensorflow"}
SAVED_MODEL_PARTS = ("saved_model.pb", "variables", "assets", "fingerprint.pb")


class BackendError(ExportError):
    """A backend that cannot be used with this export: not converted, not offered, unreachable."""


def format_name(backend: str, quantization: str = "none") -> str:
    """``tflite`` + ``dynamic`` → ``tflite-dynamic``; the file under ``formats/`` has this stem."""
    if backend not in QUANTIZATIONS:
        raise BackendError(f"backend must be one of {', '.join(QUANTIZATIONS)}, got {backend!r}")
    if quantization not in QUANTIZATIONS[backend]:
        raise BackendError(
            f"{backend} quantization must be one of {', '.join(QUANTIZATIONS[backend])}, "
            f"got {quantization!r}"
        )
    return backend if quantization == "none" else f"{backend}-{quantization}"


def split_format(name: str) -> tuple[str, str]:
    """``tflite-dynamic`` → (``tflite``, ``dynamic``); ``onnx`` → (``onnx``, ``none``)."""
    backend, _, quantization = name.partition("-")
    return backend, quantization or "none"


def all_format_names() -> list[str]:
    return [format_name(b, q) for b, quantizations in QUANTIZATIONS.items() for q in quantizations]


def format_file(export_dir: Path, name: str) -> Path:
    return Path(export_dir) / FORMATS_DIR / f"{name}.{split_format(name)[0]}"


# --- conversion ---------------------------------------------------------------------------------


def _to_tflite(export_dir: Path, quantization: str, target: Path) -> None:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=[SIGNATURE]
    )
    if quantization in ("dynamic", "float16"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    target.write_bytes(converter.convert())


@contextmanager
def root_logger_at(level: int) -> Iterator[None]:
    """The root logger at least at ``level`` for the block: ONNX Runtime's quantizer logs
    through it, and `rasa train` would print every line of it."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(level, previous))
    try:
        yield
    finally:
        root.setLevel(previous)


def _to_onnx(export_dir: Path, quantization: str, target: Path) -> None:
    """float32 from the export's weights (``onnx_graph``: fused ops) or, for an encoder that
    module does not write, from the SavedModel by tf2onnx; ``dynamic``: int8 weights of it."""
    if quantization == "dynamic":
        source = format_file(export_dir, "onnx")
        if not source.is_file():
            _to_onnx(export_dir, "none", source)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quiet_notices()  # its advice to pre-process, logged on every call
        with root_logger_at(logging.WARNING):  # it logs each tensor it skips at INFO
            quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
        return
    try:
        onnx_graph.write(export_dir, target)
        return
    except ValueError as error:  # an encoder it does not write, or a weight not in the export
        reason = str(error)
    check_parts(export_dir, REQUIRED, f"export for tf2onnx ({reason})")
    logger.info("tf2onnx converts %s, not the fused writer: %s", export_dir, reason)
    _tf2onnx(export_dir, target)


def _tf2onnx(export_dir: Path, target: Path) -> None:
    """The SavedModel's signature as tf2onnx traces it: any encoder, about 1,150 nodes."""
    import tensorflow as tf
    import tf2onnx

    loaded = tf.saved_model.load(str(export_dir))
    serve = loaded.signatures[SIGNATURE]
    spec = [tf.TensorSpec([None, None], tf.int32, name=name) for name in features.INPUT_NAMES]

    @tf.function(input_signature=spec, autograph=False)  # a plain call: nothing to convert
    def signature(input_ids, input_mask, segment_ids, labeled_positions):
        return serve(
            input_ids=input_ids, input_mask=input_mask, segment_ids=segment_ids,
            labeled_positions=labeled_positions,
        )  # fmt: skip

    tf2onnx.convert.from_function(
        signature, input_signature=spec, opset=15, output_path=str(target)
    )


def convert(export_dir: str | Path, name: str) -> Path:
    """Write ``formats/<name>.<ext>`` from the export's SavedModel, or for ONNX of an encoder
    ``onnx_graph`` writes, from its weights file alone (trainable mode's); returns the file."""
    export_dir = Path(export_dir)
    from_weights = split_format(name)[0] == "onnx" and (export_dir / WEIGHTS_FILE).is_file()
    check_parts(export_dir, SIDE_FILES if from_weights else REQUIRED, "export")
    if name not in all_format_names():
        raise BackendError(f"unknown format {name!r}; known: {', '.join(all_format_names())}")
    target = format_file(export_dir, name)
    target.parent.mkdir(exist_ok=True)
    backend, quantization = split_format(name)
    (_to_tflite if backend == "tflite" else _to_onnx)(export_dir, quantization, target)
    return target


# --- running ------------------------------------------------------------------------------------


class TFLiteModel(Servable):
    """A ``.tflite`` file run by TensorFlow's TFLite interpreter through its signature."""

    def __init__(self, export_dir: str | Path, name: str, threads: int = 0) -> None:
        import tensorflow as tf

        self.directory = Path(export_dir)
        self._read_side_files(self.directory)
        interpreter = tf.lite.Interpreter(
            model_path=str(format_file(self.directory, name)), num_threads=threads or None
        )
        self._runner = interpreter.get_signature_runner(SIGNATURE)
        self._lock = threading.Lock()  # one interpreter's tensors serve one call at a time

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:  # the runner resizes its inputs to each batch's shape
            return self._runner(**{k: inputs[k] for k in features.INPUT_NAMES})["probabilities"]


class OnnxModel(Servable):
    """An ``.onnx`` file run by ONNX Runtime on CPU."""

    def __init__(self, export_dir: str | Path, name: str, threads: int = 0) -> None:
        import onnxruntime

        self.directory = Path(export_dir)
        self._read_side_files(self.directory)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(format_file(self.directory, name)), options, providers=["CPUExecutionProvider"]
        )

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        feed = {k: inputs[k] for k in features.INPUT_NAMES}
        return self._session.run(["probabilities"], feed)[0]


class RestModel(Servable):
    """The export's model served elsewhere, by TensorFlow Serving's REST API (or the same API).

    ``url`` is the model's address, e.g. ``http://tf-serving:8501/v1/models/electra``; each batch
    is one ``POST {url}:predict`` with the signature's inputs in the columnar ("inputs") form.
    Tokenization and decoding stay here, from the export's side files.
    """

    def __init__(self, export_dir: str | Path, url: str, timeout: float = 30.0) -> None:
        self.directory = Path(export_dir)
        check_parts(self.directory, SIDE_FILES, "export's side files")
        self._read_side_files(self.directory)
        self.url = url.removesuffix(":predict").rstrip("/")
        self.timeout = timeout

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        body = {
            "signature_name": SIGNATURE,
            "inputs": {k: inputs[k].tolist() for k in features.INPUT_NAMES},
        }
        request = urllib.request.Request(
            f"{self.url}:predict",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            raise BackendError(
                f"{self.url}:predict answered HTTP {error.code}: {detail}"
            ) from error
        except (OSError, ValueError) as error:  # refused, timed out, or not JSON
            raise BackendError(f"{self.url}:predict failed: {error}") from error
        outputs = answer.get("outputs") if isinstance(answer, dict) else None
        probabilities = np.asarray(
            outputs.get("probabilities") if isinstance(outputs, dict) else None, np.float32
        )
        expected = (*inputs["input_ids"].shape, len(self.labels))
        if probabilities.shape != expected:
            raise BackendError(
                f"{self.url}:predict returned probabilities of shape {probabilities.shape}, "
                f"expected {expected} (is it serving this export's model?)"
            )
        return probabilities


def read_formats(export_dir: Path) -> dict[str, Any]:
    path = Path(export_dir) / FORMATS_DIR / FORMATS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def check_offered(export_dir: Path, name: str) -> None:
    """Refuse a format that was not converted, not evaluated, or lost more than MAX_F1_DROP."""
    file = format_file(export_dir, name)
    entry = read_formats(export_dir).get("formats", {}).get(name)
    hint = (
        f"python -m rasa_electra.cli.export_formats --export {export_dir} --formats {name} "
        "--data DIR_WITH_DEV_YML"
    )
    if not file.is_file() or entry is None:
        raise BackendError(f"{export_dir} has no evaluated {name} format; make it with: {hint}")
    if not entry["offered"]:
        raise BackendError(
            f"{export_dir}: the {name} format is not offered: its dev F1 is "
            f"{entry['dev']['f1_drop']:.2f} points below the SavedModel's (limit {MAX_F1_DROP})"
        )


def set_tf_threads(intra_op: int = 0, inter_op: int = 0) -> None:
    """TensorFlow's thread pools (0 leaves TF's choice); a no-op with a warning once TF has run."""
    import tensorflow as tf

    try:
        if intra_op:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        if inter_op:
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError as error:  # TF fixes its thread pools once it has run anything
        logger.warning("thread settings ignored: TensorFlow was already initialised (%s)", error)


def runtime_installed(name: str) -> bool:
    return importlib.util.find_spec(RUNTIMES[split_format(name)[0]]) is not None


def can_convert() -> bool:
    """Whether this environment can make and run AUTO_CONVERSIONS (the ``onnx`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("tf2onnx", "onnxruntime"))


def choose_auto(export_dir: Path) -> tuple[str | None, str]:
    """``backend: auto``'s format for this export (None: the SavedModel) and why."""
    report = read_formats(export_dir)
    fastest = report.get("fastest")
    if not fastest:
        why = "it has no converted format faster than the SavedModel within the F1 limit"
        return None, why if report else "it has no converted formats (formats/formats.json)"
    entry = report["formats"][fastest]
    if not format_file(export_dir, fastest).is_file():
        return None, f"its fastest format {fastest} is not in the directory"
    if not runtime_installed(fastest):
        return None, f"{RUNTIMES[split_format(fastest)[0]]} (for {fastest}) is not installed"
    return fastest, (
        f"p50 {entry['latency_ms']:.1f} ms against the SavedModel's "
        f"{report['savedmodel']['latency_ms']:.1f} ms, dev F1 {-entry['dev']['f1_drop']:+.2f}"
    )


def check_backend(
    export_dir: Path, backend: str, quantization: str, serving_url: str | None
) -> str | None:
    """The converted format this choice runs on (None: the SavedModel or a remote server),
    refused if it is unknown, not converted or not offered; ``auto`` never refuses."""
    if serving_url or backend == "savedmodel":
        return None
    if backend == AUTO:
        return choose_auto(export_dir)[0]
    name = format_name(backend, quantization)
    check_offered(export_dir, name)
    return name


def open_format(export_dir: Path, name: str, threads: int = 0) -> Servable:
    model_class = TFLiteModel if split_format(name)[0] == "tflite" else OnnxModel
    return model_class(export_dir, name, threads)


def load(
    export_dir: str | Path,
    backend: str = "savedmodel",
    quantization: str = "none",
    threads: int = 0,
    serving_url: str | None = None,
    inter_op_threads: int = 0,
) -> Servable:
    """The export behind the chosen backend (``serving_url`` wins: the model runs remotely)."""
    export_dir = Path(export_dir)
    if serving_url:
        return RestModel(export_dir, serving_url)
    if backend == AUTO:
        name, why = choose_auto(export_dir)
        logger.info("backend auto serves %s: %s", name or "the SavedModel", why)
    else:
        name = check_backend(export_dir, backend, quantization, serving_url)
    if name is None:
        set_tf_threads(threads, inter_op_threads)
        return ExportedModel(export_dir)
    check_parts(export_dir, SIDE_FILES, "export")
    return open_format(export_dir, name, threads)


def files_for(export_dir: Path, backend: str, quantization: str, remote: bool) -> list[Path]:
    """What a Rasa model archive needs of the export for this backend (relative paths)."""
    wanted = [Path(p) for p in SIDE_FILES]
    wanted += [Path(p) for p in OPTIONAL_SIDE_FILES if (export_dir / p).exists()]
    if remote:
        return wanted
    name = check_backend(export_dir, backend, quantization, None)
    if name is None:
        wanted += [Path(p) for p in SAVED_MODEL_PARTS if (export_dir / p).exists()]
    else:
        wanted += [Path(FORMATS_DIR) / FORMATS_FILE, format_file(Path(), name)]
    return wanted


def copy_for(export_dir: Path, target: Path, backend: str, quantization: str, remote: bool) -> None:
    """Copy only the parts this backend runs on, so a TFLite archive carries no SavedModel
    (nor does ``auto``'s when it chose a converted format)."""
    for relative in files_for(export_dir, backend, quantization, remote):
        source, destination = export_dir / relative, target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
