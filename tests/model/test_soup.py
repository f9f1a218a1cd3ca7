"""Weight averaging of seed fine-tunings: every part the export decodes with is the mean, the
soup exports and serves like any model, and exports that cannot be one soup are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rasa_electra.data.spans import Example, Span
from rasa_electra.data.viterbi import Transitions
from rasa_electra.model.word_features import FeatureTables


@pytest.fixture(scope="module")
def second_seed(pytorch_layout_dir, examples, tmp_path_factory) -> Path:
    """The conftest's tiny CRF + features model again with another seed, exported."""
    from rasa_electra.model import DataLoader, model_spec, ner

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    train = DataLoader(examples, spec)
    model = ner.create(
        train, validation_data=train, epochs=20, batch_size=8, learning_rate=3e-3, seed=2,
        head="crf", head_learning_rate=3e-2, word_features=("pos", "shape"),
    )  # fmt: skip
    return model.export(tmp_path_factory.mktemp("seed2") / "model")


def saved_weights(export: Path) -> dict[str, np.ndarray]:
    import tensorflow as tf

    from rasa_electra.model.weights import relative_name

    return {
        relative_name(v.name): v.numpy() for v in tf.saved_model.load(str(export)).model.variables
    }


def test_every_part_is_the_ingredients_mean(exported_tiny, second_seed, tmp_path) -> None:
    from rasa_electra.model.export import read_labels
    from rasa_electra.model.soup import average
    from rasa_electra.model.weights import relative_name

    soup = average([exported_tiny, second_seed])
    first, second = saved_weights(exported_tiny), saved_weights(second_seed)
    assert any(not np.allclose(first[k], second[k]) for k in first)  # two different models
    for weight in soup.model.weights:
        name = relative_name(weight.name)
        np.testing.assert_allclose(weight.numpy(), (first[name] + second[name]) / 2, atol=1e-6)
    labels = read_labels(exported_tiny)
    a, b = Transitions.load(exported_tiny, labels), Transitions.load(second_seed, labels)
    np.testing.assert_allclose(
        soup.transitions.transition, (a.transition + b.transition) / 2, atol=1e-6
    )
    ta, tb = FeatureTables.load(exported_tiny, labels), FeatureTables.load(second_seed, labels)
    for name in ta.vocab.names:
        np.testing.assert_allclose(
            soup.feature_tables.tables[name], (ta.tables[name] + tb.tables[name]) / 2, atol=1e-6
        )


def test_the_soup_serves_as_it_predicts(exported_tiny, second_seed, tmp_path) -> None:
    from rasa_electra.model.soup import average
    from rasa_electra.serving.servable import ExportedModel

    soup = average([exported_tiny, second_seed])
    texts = ["東京で会議があります", "大阪に行きます", "山田さんに会う"]
    expected = soup.predict(texts)
    served = ExportedModel(soup.export(tmp_path / "soup")).predict([Example(t) for t in texts])
    assert [e.spans for e in served] == [e.spans for e in expected]


def test_a_soup_of_one_model_twice_is_that_model(exported_tiny) -> None:
    from rasa_electra.model.soup import average
    from rasa_electra.serving.servable import ExportedModel

    texts = ["東京で会議があります", "大阪に行きます"]
    alone = ExportedModel(exported_tiny).predict([Example(t) for t in texts])
    assert [e.spans for e in average([exported_tiny, exported_tiny]).predict(texts)] == [
        e.spans for e in alone
    ]


def test_exports_with_other_labels_are_not_one_soup(exported_tiny, pytorch_layout_dir,
                                                    tmp_path) -> None:  # fmt: skip
    from rasa_electra.model import DataLoader, model_spec, ner
    from rasa_electra.model.soup import SoupError, average

    spec = model_spec.get(pytorch_layout_dir, max_seq_length=24)
    other = [Example("東京に行く", (Span(0, 2, "CITY"),))] * 4
    model = ner.create(DataLoader(other, spec), epochs=1, batch_size=4, head="crf",
                       word_features=("pos", "shape"))  # fmt: skip
    with pytest.raises(SoupError, match="labels"):
        average([exported_tiny, model.export(tmp_path / "other")])
    with pytest.raises(SoupError, match="at least two"):
        average([exported_tiny])
    with pytest.raises(SoupError, match="not an export"):
        average([exported_tiny, tmp_path])


def test_soup_command_writes_a_run_the_ablation_reads(exported_tiny, second_seed, examples,
                                                      tmp_path) -> None:  # fmt: skip
    from lab.cli import ablation, soup
    from rasa_electra.data.rasa_nlu import write_rasa_yaml

    dev = tmp_path / "dev.yml"
    write_rasa_yaml(examples, dev)
    out = tmp_path / "runs" / "tiny-soup-s1"
    assert soup.main(["--export", str(exported_tiny), "--export", str(second_seed),
                      "--dev", str(dev), "--out", str(out)]) == 0  # fmt: skip
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [i["export"] for i in results["soup"]] == [str(exported_tiny), str(second_seed)]
    assert (out / "export" / "saved_model.pb").is_file()
    card = json.loads((out / "export" / "model_card.json").read_text(encoding="utf-8"))
    assert len(card["soup"]) == 2 and all(i["training_seconds"] > 0 for i in card["soup"])
    formats = json.loads((out / "export" / "formats" / "formats.json").read_text("utf-8"))
    assert "fastest" in formats  # converted for backend: auto, as finetune's exports are
    runs = ablation.lever_runs(tmp_path / "runs")
    assert list(runs) == ["tiny-soup"]
