"""Serving one export: the layout is written by ``model.export``; this package reads it.

Every runtime is a ``Servable`` (``servable``: the SavedModel; ``backends``: TFLite, ONNX
Runtime, TensorFlow Serving over REST, format conversion and the archive copy; ``tf1_legacy``:
the original write-up's TF1 export). The Rasa component does three things with one
``ServingOptions``, in this order: ``check`` (before anything is copied), ``copy_export`` (what
the archive needs), ``open_export`` (the runtime).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rasa_electra import defaults
from rasa_electra.data.entity_memory import check_share
from rasa_electra.data.viterbi import DECODINGS, check_o_bias
from rasa_electra.settings import Settings, at_least, setting

BACKENDS = ("auto", "savedmodel", "tflite", "onnx")
QUANTIZATIONS = ("none", "dynamic", "float16")


@dataclass(frozen=True)
class ServingOptions(Settings):
    """How an export is served: its runtime, threads and decoding (the component's keys of the
    same names, and the harness's)."""

    backend: str = setting(
        defaults.BACKEND,
        "auto: the export's fastest format that kept dev F1 within 0.5 points of "
        "the SavedModel, else the SavedModel (logged at load); savedmodel; or a converted "
        "format (export-formats): tflite or onnx",
        choices=BACKENDS,
    )
    quantization: str = setting(
        "none",
        "the converted format's weights: none, dynamic (int8) or float16 (tflite)",
        choices=QUANTIZATIONS,
    )
    serving_url: str | None = setting(
        None,
        "the model served by TensorFlow Serving instead (e.g. http://tf-serving:8501/v1/"
        "models/electra); tokenization and decoding stay here",
    )
    decoding: str = setting(
        defaults.DECODING,
        "viterbi: the best tag sequence the scheme allows (with a CRF head's "
        "transitions); argmax: each word's most likely tag",
        choices=DECODINGS,
    )
    o_bias: float | None = setting(
        None,
        "added to O's log-probability before decoding: more evidence needed to open an "
        "entity; none: the O bias the export's card records",
        check=lambda value: value is None or check_o_bias(value),
    )
    entity_memory: float | None = setting(
        defaults.ENTITY_MEMORY,
        "a decoded entity whose exact text the training data labelled "
        "with one label at least this share of the time takes that label; none: the model's "
        "labels only",
        check=lambda share: share is None or check_share(share),
    )
    intra_op_threads: int = setting(
        0,
        "threads for one model call (TF intra-op, TFLite, ONNX Runtime); 0: all cores",
        check=at_least(0),
    )
    inter_op_threads: int = setting(
        0, "TensorFlow's inter-op threads; 0: its choice", check=at_least(0)
    )


def check(options: ServingOptions, export_dir: Path) -> None:
    """Refuse a backend this export was not converted and offered for (an ``ExportError``)."""
    from rasa_electra.serving import backends

    backends.check_backend(export_dir, options.backend, options.quantization, options.serving_url)


def converts(options: ServingOptions) -> bool:
    """Whether a new export is converted for ``backend: auto``: it is served here, not by a
    remote server, and the onnx extra is installed."""
    from rasa_electra.serving import backends

    return options.backend == backends.AUTO and not options.serving_url and \
        backends.can_convert()  # fmt: skip


def copy_export(options: ServingOptions, export_dir: Path, target: Path) -> None:
    """What the Rasa archive needs of ``export_dir`` for these options, into ``target``."""
    from rasa_electra.serving import backends

    backends.copy_for(
        export_dir, target, options.backend, options.quantization, bool(options.serving_url)
    )


def open_export(directory: Path, options: ServingOptions):
    """The runtime that serves ``directory`` with these options (a ``Servable``)."""
    from rasa_electra.serving import backends

    servable = backends.load(
        directory,
        options.backend,
        options.quantization,
        options.intra_op_threads,
        options.serving_url,
        options.inter_op_threads,
    )
    return decoded(servable, options)


def decoded(servable, options: ServingOptions):
    """``servable`` decoding as ``options`` say, with its memory."""
    servable.use_decoding(options.decoding, options.o_bias)
    servable.use_memory(options.entity_memory)
    return servable


def copy_whole(export_dir: Path, target: Path) -> None:
    """An export whose parts are not ours to pick (the TF1 export), copied whole."""
    shutil.copytree(export_dir, target)
