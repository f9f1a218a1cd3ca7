"""Fine-tuning a tiny real TF model, exporting it, and loading the export with TensorFlow alone."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rasa_electra.model import DataLoader, model_spec, ner
from rasa_electra.model.export import ExportError
from rasa_electra.serving.servable import ExportedModel

TEXTS = ["山田太郎さんは東京に住んでいます。", "", "   ", "鈴木花子は大阪の出身です。" * 6]


def fine_tune(spec, examples, seed=1):
    train = DataLoader(examples, spec)
    return ner.create(
        train, validation_data=train, epochs=20, batch_size=8, learning_rate=3e-3, seed=seed
    )


@pytest.fixture(scope="module")
def trained(pytorch_layout_dir, examples):
    return fine_tune(model_spec.get(pytorch_layout_dir, max_seq_length=24), examples)


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory) -> Path:
    return trained.export(tmp_path_factory.mktemp("export") / "model", data="data/examples/nlu.yml")


def test_training_lowers_the_loss_and_learns_the_training_data(trained, examples):
    losses = [epoch.loss for epoch in trained.history.epochs]
    assert losses[-1] < losses[0] * 0.7
    scores = trained.evaluate(examples)
    assert scores["micro"]["f1"] > 0.5, scores["micro"]
    assert trained.history.best_dev_f1 == pytest.approx(
        max(e.dev_f1 for e in trained.history.epochs)
    )
    assert scores["entities"] == 51


def test_same_seed_same_model_on_cpu(trained, pytorch_layout_dir, examples):
    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)
    again = ner.create(
        train, validation_data=train, epochs=20, batch_size=8, learning_rate=3e-3, seed=1
    )
    for a, b in zip(trained.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_runs_sharing_an_init_seed_start_alike_and_train_apart(pytorch_layout_dir, examples):
    """The soup recipe's premise: init_seed fixes the new weights, seed the rest of the run."""
    train = DataLoader(examples, model_spec.get(pytorch_layout_dir, max_seq_length=24))

    def weights(seed: int, init_seed: int | None, learning_rate: float) -> list[np.ndarray]:
        model = ner.create(train, epochs=2, batch_size=8, learning_rate=learning_rate,
                           seed=seed, init_seed=init_seed)  # fmt: skip
        return model.model.get_weights()

    start_a, start_b, own_start = weights(1, 5, 0.0), weights(2, 5, 0.0), weights(2, None, 0.0)
    for a, b in zip(start_a, start_b, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(start_a, own_start, strict=True))
    run_a, run_b = weights(1, 5, 3e-3), weights(2, 5, 3e-3)
    assert any(not np.allclose(a, b) for a, b in zip(run_a, run_b, strict=True))


def test_a_student_keeps_the_first_layers_of_its_start_point(pytorch_layout_dir, examples,
                                                              tmp_path):  # fmt: skip
    from rasa_electra.model.weights import StartPointError, relative_name

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)

    def encoder(model) -> dict[str, np.ndarray]:
        return {relative_name(v.name): v.numpy() for v in model.weights if "/encoder/" in v.name}

    full = encoder(spec.build_model(["O", "B-X", "I-X"]))
    cut = ner.create(train, epochs=1, batch_size=8, learning_rate=0.0, seed=3, keep_layers=1)
    student = encoder(cut.model)
    assert spec.config.num_hidden_layers == 2 and cut.model.config.num_hidden_layers == 1
    assert student and all("layer_._0/" in name for name in student)
    for name, value in student.items():  # the same weights as the whole model's first layer
        np.testing.assert_array_equal(value, full[name])
    exported = cut.export(tmp_path / "export")
    assert json.loads((exported / "encoder_config.json").read_text())["num_hidden_layers"] == 1
    assert len(ExportedModel(exported).predict(TEXTS)) == len(TEXTS)
    with pytest.raises(StartPointError, match="has 2 encoder layers"):
        ner.create(train, epochs=1, batch_size=8, keep_layers=3)


def test_predictions_have_exact_offsets_even_through_windows(trained):
    for text, prediction in zip(TEXTS, trained.predict(TEXTS), strict=True):
        assert prediction.text == text
        for span in prediction.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert 0.0 < span.confidence <= 1.0


def test_export_reloads_with_tensorflow_alone_and_predicts_the_same(trained, exported):
    loaded = ExportedModel(exported)
    ours, theirs = trained.predict(TEXTS), loaded.predict(TEXTS)
    assert [p.spans for p in ours] == [p.spans for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(
            [s.confidence for s in a.spans], [s.confidence for s in b.spans], rtol=1e-5
        )
    assert loaded.labels == trained.labels
    assert json.loads((exported / "labels.json").read_text())["0"] == "O"


def test_export_directory_is_self_contained(exported, repo):
    card = json.loads((exported / "model_card.json").read_text(encoding="utf-8"))
    assert card["start_point"]["kind"] == "hf-directory"
    assert card["hyperparameters"]["epochs"] == 20 and card["data"] == "data/examples/nlu.yml"
    assert card["scores"]["dev"]["micro"]["f1"] > 0 and card["versions"]["tensorflow"] == "2.12.0"
    # a fresh interpreter: no transformers *model* class is needed to serve the export
    code = (
        "import sys; from rasa_electra.serving.servable import ExportedModel;"
        f"m = ExportedModel({str(exported)!r}); print(len(m.predict(['東京に行く'])));"
        "print(sorted(k for k in sys.modules if 'modeling_tf_electra' in k))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=repo
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["1", "[]"]


def test_saved_model_cli_shows_the_tf1_compatible_signature(exported):
    cli = Path(sys.executable).with_name("saved_model_cli")
    result = subprocess.run([str(cli), "show", "--dir", str(exported), "--all"],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    signature = result.stdout.split("signature_def['serving_default']")[1]
    for name in ("input_ids", "input_mask", "segment_ids", "labeled_positions"):
        assert (
            f"inputs['{name}'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1, -1)"
            in signature
        )
    assert "outputs['probabilities']" in signature and "outputs['predictions']" in signature


def test_broken_exports_fail_at_load_naming_path_and_part(exported, tmp_path):
    with pytest.raises(ExportError, match=r"missing saved_model.pb, variables, labels.json"):
        ExportedModel(tmp_path)
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(exported), str(broken)], check=True)
    (broken / "saved_model.pb").write_bytes(b"garbage")
    with pytest.raises(ExportError, match=f"{broken}: cannot load the SavedModel"):
        ExportedModel(broken)
