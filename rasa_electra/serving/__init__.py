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
from typing import Any

from rasa_electra import defaults
from rasa_electra.data.entity_memory import check_share
from rasa_electra.data.viterbi import DECODINGS, check_o_bias
from rasa_electra.model.export import ExportError

MODEL_FORMATS = ("savedmodel", "tf1_legacy")


@dataclass(frozen=True)
class ServingOptions:
    """How to serve an export: its format, the runtime and its threads (the component's
    options of the same names)."""

    model_format: str = "savedmodel"  # or "tf1_legacy": the write-up's TF1 export
    # "auto": the export's fastest offered format, else the SavedModel; "savedmodel"; or
    # "tflite" / "onnx": a converted, offered format
    backend: str = defaults.BACKEND
    quantization: str = "none"  # "dynamic" or "float16" (tflite)
    serving_url: str | None = None  # TensorFlow Serving REST: the model runs there
    decoding: str = defaults.DECODING  # or "argmax": per-word best tags (see data.viterbi)
    # added to O's log-probability before decoding: > 0 fewer, surer entities (data.viterbi);
    # None: the O bias the export's card records
    o_bias: float | None = None
    # the export's entity memory relabels spans whose text has one label at least this share
    # of the time (data.entity_memory); None: not used
    entity_memory: float | None = defaults.ENTITY_MEMORY
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    label_map: str = "label2id.pkl"  # tf1_legacy only
    do_lower_case: bool = False  # tf1_legacy only
    max_seq_length: int = defaults.MAX_SEQ_LENGTH  # tf1_legacy only (the export records it)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ServingOptions:
        names = cls.__dataclass_fields__
        return cls(**{name: config[name] for name in names if name in config})


def check(options: ServingOptions, export_dir: Path | None) -> None:
    """Refuse an unknown format, or a backend this export was not converted and offered for;
    ``export_dir`` None (trainable mode) checks the options alone."""
    from rasa_electra.serving import backends

    if options.decoding not in DECODINGS:
        raise ExportError(f"decoding must be one of {DECODINGS}, got {options.decoding!r}")
    try:
        if options.o_bias is not None:
            check_o_bias(options.o_bias)
    except ValueError as error:
        raise ExportError(str(error)) from None
    if options.entity_memory is not None:
        try:
            check_share(options.entity_memory)
        except ValueError as error:
            raise ExportError(f"{error} (or null: no relabelling)") from None
    if options.model_format not in MODEL_FORMATS:
        raise ExportError(
            f"model_format must be one of {MODEL_FORMATS}, got {options.model_format!r}"
        )
    if export_dir is not None and options.model_format == "savedmodel":
        backends.check_backend(
            export_dir, options.backend, options.quantization, options.serving_url
        )


def copy_export(options: ServingOptions, export_dir: Path, target: Path) -> None:
    """What the Rasa archive needs of ``export_dir`` for these options, into ``target``."""
    from rasa_electra.serving import backends

    if options.model_format == "tf1_legacy":
        shutil.copytree(export_dir, target)
        return
    backends.copy_for(
        export_dir, target, options.backend, options.quantization, bool(options.serving_url)
    )


def open_export(directory: Path, options: ServingOptions):
    """The runtime that serves ``directory`` with these options (a ``Servable``)."""
    from rasa_electra.serving import backends

    check(options, None)
    if options.model_format == "tf1_legacy":
        from rasa_electra.serving.tf1_legacy import LegacyTF1Model

        backends.set_tf_threads(options.intra_op_threads, options.inter_op_threads)
        servable = LegacyTF1Model(
            directory, options.label_map, options.max_seq_length, options.do_lower_case
        )
    else:
        servable = backends.load(
            directory, options.backend, options.quantization, options.intra_op_threads,
            options.serving_url, options.inter_op_threads,
        )  # fmt: skip
    servable.use_decoding(options.decoding, options.o_bias)
    servable.use_memory(options.entity_memory)
    return servable
