"""TFLite / ONNX formats of a tiny export, and the REST client against a local stand-in server."""

import json
import shutil

import numpy as np
import pytest

from rasa_electra.data.spans import span_keys
from rasa_electra.model import features
from rasa_electra.model.export import ExportError
from rasa_electra.serving import backends, formats
from rasa_electra.serving.servable import ExportedModel

TEXTS = ["山田太郎さんは東京に住んでいます。", "", "鈴木花子は大阪の出身です。" * 6, "東京"]
# probability tolerance per format: float32 formats match the SavedModel to rounding,
# quantised ones within what their weights' precision allows
TOLERANCE = {"tflite": 1e-4, "onnx": 1e-4, "tflite-float16": 1e-2,
             "tflite-dynamic": 0.1, "onnx-dynamic": 0.1}  # fmt: skip


def batch_inputs(model) -> dict[str, np.ndarray]:
    encoded = features.encode([features.Example(t) for t in TEXTS], model.tokenizer, None, 24)
    pad = model.tokenizer.pieces.pad_token_id
    return next(features.batches(encoded.windows, 64, pad))[1]


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_every_format_gives_the_savedmodels_outputs(formats_export, examples, name):
    reference = ExportedModel(formats_export)
    backend, quantization = backends.split_format(name)
    converted = backends.load(formats_export, backend, quantization, threads=1)
    inputs = batch_inputs(reference)
    expected, got = reference.run(inputs), converted.run(inputs)
    assert got.shape == expected.shape
    assert converted.memory == reference.memory is not None  # the export's, in every runtime
    np.testing.assert_allclose(got, expected, atol=TOLERANCE[name])
    if TOLERANCE[name] <= 1e-2:  # float formats: the very same entities
        texts = [e.text for e in examples] + TEXTS
        ours, theirs = reference.predict(texts), converted.predict(texts)
        assert [span_keys(e) for e in theirs] == [span_keys(e) for e in ours]


def test_formats_json_records_sizes_scores_and_the_offer(formats_export):
    report = backends.read_formats(formats_export)
    assert report["max_f1_drop"] == backends.MAX_F1_DROP
    assert set(report["formats"]) == set(backends.all_format_names())
    for name, entry in report["formats"].items():
        assert (formats_export / entry["file"]).is_file()
        assert entry["megabytes"] > 0
        assert set(entry) >= {"dev", "test", "offered"}
        assert entry["offered"] == (entry["dev"]["f1_drop"] <= backends.MAX_F1_DROP)
        if TOLERANCE[name] <= 1e-2:
            assert entry["dev"]["same_spans"] == 1.0 and entry["dev"]["f1_drop"] == 0
    sizes = {name: entry["megabytes"] for name, entry in report["formats"].items()}
    assert sizes["tflite-dynamic"] < sizes["tflite"]
    # every runtime timed in the one interleaved pass, the SavedModel too; fastest from those
    timed = [report["savedmodel"], *report["formats"].values()]
    assert all(entry["latency_ms"] > 0 for entry in timed)
    assert report["fastest"] == formats.fastest_offered(report)


def test_runtimes_are_timed_in_turns_on_the_same_messages(formats_export, examples):
    from rasa_electra.serving.servable import Servable

    class Counted(Servable):
        """A real runtime whose calls are written down in order (no stand-in model)."""

        def __init__(self, name: str, inner: Servable, calls: list[str]) -> None:
            self.name, self.inner, self.calls = name, inner, calls

        def predict(self, examples, batch_size=32, words=None):
            self.calls.append(self.name)
            return self.inner.predict(examples, batch_size, words)

    calls: list[str] = []
    runtimes = {name: Counted(name, backends.load(formats_export, *spec, threads=1), calls)
                for name, spec in {"savedmodel": ("savedmodel", "none"),
                                   "onnx": ("onnx", "none")}.items()}  # fmt: skip
    messages = list(examples)[:4]
    latencies = formats.message_latencies_ms(runtimes, messages)
    assert set(latencies) == {"savedmodel", "onnx"} and min(latencies.values()) > 0
    timed = calls[2 * formats.WARMUP_CALLS :]  # after each runtime's warm-up calls
    assert sorted(timed) == sorted(["savedmodel", "onnx"] * len(messages))
    assert timed[:4] == ["savedmodel", "onnx", "onnx", "savedmodel"]  # turns, rotating


def test_a_format_that_lost_too_much_f1_is_refused(formats_export, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(formats_export, export)
    path = export / backends.FORMATS_DIR / backends.FORMATS_FILE
    report = json.loads(path.read_text())
    report["formats"]["tflite-dynamic"].update(offered=False)
    report["formats"]["tflite-dynamic"]["dev"]["f1_drop"] = 1.7
    path.write_text(json.dumps(report))
    with pytest.raises(
        backends.BackendError, match=r"1.70 points below the SavedModel.s \(limit 0.5\)"
    ):
        backends.load(export, "tflite", "dynamic")


def test_an_unconverted_format_says_how_to_make_it(exported_tiny):
    with pytest.raises(
        backends.BackendError, match=r"rasa_electra.cli.export_formats .* --formats onnx"
    ):
        backends.load(exported_tiny, "onnx")
    with pytest.raises(backends.BackendError, match="quantization must be one of none, dynamic"):
        backends.load(exported_tiny, "onnx", "float16")


def test_copy_for_a_backend_leaves_the_savedmodel_behind(formats_export, tmp_path):
    backends.copy_for(formats_export, tmp_path / "t", "tflite", "dynamic", remote=False)
    files = {p.relative_to(tmp_path / "t").as_posix() for p in (tmp_path / "t").rglob("*")}
    assert "formats/tflite-dynamic.tflite" in files and "saved_model.pb" not in files
    assert "formats/onnx.onnx" not in files
    backends.copy_for(formats_export, tmp_path / "r", "savedmodel", "none", remote=True)
    expected = backends.SIDE_FILES + backends.OPTIONAL_SIDE_FILES  # the tiny export has a CRF
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(expected)


# --- backend: auto ---------------------------------------------------------------------------


def with_report(source, tmp_path, **changes):
    """A copy of an export whose formats.json has ``changes`` at its top level."""
    export = tmp_path / "export"
    shutil.copytree(source, export)
    path = export / backends.FORMATS_DIR / backends.FORMATS_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return export


def test_the_fastest_offered_format_is_measured_and_auto_serves_it(formats_export):
    from rasa_electra.serving.formats import fastest_offered

    report = backends.read_formats(formats_export)
    reference = report["savedmodel"]["latency_ms"]
    assert reference > 0 and all(e["latency_ms"] > 0 for e in report["formats"].values())
    fastest = report["fastest"]
    assert fastest == fastest_offered(report)
    if fastest is not None:  # offered, and quicker than the SavedModel and every other offer
        entry = report["formats"][fastest]
        assert entry["offered"] and entry["latency_ms"] < reference
        assert all(entry["latency_ms"] <= e["latency_ms"]
                   for e in report["formats"].values() if e["offered"])  # fmt: skip
    name, why = backends.choose_auto(formats_export)
    assert name == fastest and why
    served = backends.load(formats_export, backends.AUTO)
    assert isinstance(served, ExportedModel) == (fastest is None)


def test_fastest_offered_ignores_refused_and_slower_formats():
    from rasa_electra.serving.formats import fastest_offered

    report = {"savedmodel": {"latency_ms": 10.0}, "formats": {
        "onnx": {"offered": True, "latency_ms": 8.0},
        "onnx-dynamic": {"offered": False, "latency_ms": 4.0},  # lost too much F1
        "tflite": {"offered": True, "latency_ms": 12.0},
    }}  # fmt: skip
    assert fastest_offered(report) == "onnx"
    report["formats"]["onnx"]["latency_ms"] = 11.0
    assert fastest_offered(report) is None  # nothing beats the SavedModel


def test_auto_falls_back_to_the_savedmodel_and_says_why(exported_tiny, formats_export, tmp_path,
                                                        caplog):  # fmt: skip
    assert backends.choose_auto(exported_tiny) == (
        None, "it has no converted formats (formats/formats.json)"
    )  # fmt: skip
    export = with_report(formats_export, tmp_path, fastest="onnx-dynamic")
    (export / "formats" / "onnx-dynamic.onnx").unlink()
    name, why = backends.choose_auto(export)
    assert name is None and "onnx-dynamic is not in the directory" in why
    with caplog.at_level("INFO", logger="rasa_electra.serving.backends"):
        assert isinstance(backends.load(export, backends.AUTO), ExportedModel)
    assert "backend auto serves the SavedModel: its fastest format" in caplog.text


def test_auto_copies_only_what_it_serves(formats_export, tmp_path):
    chosen = with_report(formats_export, tmp_path / "a", fastest="onnx-dynamic")
    backends.copy_for(chosen, tmp_path / "t", backends.AUTO, "none", remote=False)
    files = {p.relative_to(tmp_path / "t").as_posix() for p in (tmp_path / "t").rglob("*")}
    assert "formats/onnx-dynamic.onnx" in files and "saved_model.pb" not in files
    assert isinstance(backends.load(tmp_path / "t", backends.AUTO), backends.OnnxModel)
    none = with_report(formats_export, tmp_path / "b", fastest=None)
    backends.copy_for(none, tmp_path / "s", backends.AUTO, "none", remote=False)
    assert (tmp_path / "s" / "saved_model.pb").is_file()
    assert not (tmp_path / "s" / "formats").exists()


def test_a_new_export_is_converted_for_auto_against_its_own_entities(exported_tiny, examples,
                                                                    tmp_path):  # fmt: skip
    from rasa_electra.serving.formats import convert_for_auto

    export = tmp_path / "export"
    shutil.copytree(exported_tiny, export)
    report = convert_for_auto(export, examples, against_savedmodel=True)
    assert set(report["formats"]) == set(backends.AUTO_CONVERSIONS)
    assert report["savedmodel"]["dev"]["f1"] == 100.0  # its own entities are the reference
    for entry in report["formats"].values():
        assert entry["dev"]["f1_drop"] == pytest.approx(100.0 - entry["dev"]["f1"], abs=1e-3)
    assert backends.choose_auto(export)[0] == report["fastest"]


def test_a_later_tier_is_converted_only_where_no_earlier_format_is_offered(exported_tiny, examples,
                                                                            tmp_path):  # fmt: skip
    from rasa_electra.serving.formats import convert_in_tiers

    first = tmp_path / "first"
    shutil.copytree(exported_tiny, first)
    report = convert_in_tiers(first, examples, [("onnx",), ("onnx-dynamic",)])
    assert report["fastest"] == "onnx" and set(report["formats"]) == {"onnx"}
    assert not backends.format_file(first, "onnx-dynamic").exists()  # never made
    # a tier that offers nothing (here: none converted) hands on to the next
    later = tmp_path / "later"
    shutil.copytree(exported_tiny, later)
    report = convert_in_tiers(later, examples, [(), ("onnx",)])
    assert report["fastest"] == "onnx" and report["formats"]["onnx"]["dev"]["f1_drop"] == 0.0
    assert backends.choose_auto(later)[0] == "onnx"


# --- TensorFlow Serving's REST API, served by a stand-in (tests/conftest.py) ---------------


def test_rest_client_predicts_what_the_savedmodel_predicts(exported_tiny, examples, tf_serving):
    remote = backends.load(exported_tiny, serving_url=tf_serving)
    local = ExportedModel(exported_tiny)
    texts = [e.text for e in examples] + TEXTS
    assert [span_keys(e) for e in remote.predict(texts, batch_size=4)] == [
        span_keys(e) for e in local.predict(texts, batch_size=4)
    ]


def test_rest_client_errors_name_the_url(exported_tiny, tf_serving, tf_serving_standin, tmp_path):
    tf_serving_standin.broken = True
    with pytest.raises(backends.BackendError, match=r"electra:predict answered HTTP 500"):
        backends.load(exported_tiny, serving_url=tf_serving).predict(["東京"])
    tf_serving_standin.broken = False
    with pytest.raises(backends.BackendError, match=r"127.0.0.1:9/v1/models/x:predict failed"):
        backends.load(exported_tiny, serving_url="http://127.0.0.1:9/v1/models/x").predict(["東"])
    # a server with another model (here: fewer labels) is caught, not decoded wrongly
    side = tmp_path / "side"
    shutil.copytree(exported_tiny, side)
    labels = json.loads((side / "labels.json").read_text())
    labels[str(len(labels))] = "B-EXTRA"
    (side / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(ExportError, match=r"transitions\.json: not a transitions file"):
        backends.load(side, serving_url=tf_serving)  # the side files disagree: refused at load
    (side / "transitions.json").unlink()
    (side / "word_features.json").unlink()  # also keyed by the labels
    (side / "entity_memory.json").unlink()
    with pytest.raises(backends.BackendError, match="is it serving this export's model"):
        backends.load(side, serving_url=tf_serving).predict(["東京"])
