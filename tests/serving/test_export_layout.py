"""The export directory's layout: every part the serving side needs, and one error that names
whatever is missing."""

import json
import shutil

import pytest

from rasa_electra.data.spans import Span
from rasa_electra.model.export import CARD_FILE, LABELS_FILE, REQUIRED, TOKENIZER_DIR, ExportError
from rasa_electra.serving.servable import ExportedModel


def test_an_export_holds_every_required_part_and_reads_back(exported_tiny):
    assert all((exported_tiny / part).exists() for part in REQUIRED)
    labels = json.loads((exported_tiny / LABELS_FILE).read_text(encoding="utf-8"))
    card = json.loads((exported_tiny / CARD_FILE).read_text(encoding="utf-8"))
    model = ExportedModel(exported_tiny)
    assert model.labels == [labels[str(i)] for i in range(len(labels))] and model.labels[0] == "O"
    assert model.max_seq_length == card["start_point"]["max_seq_length"]
    assert (exported_tiny / TOKENIZER_DIR / "vocab.txt").is_file()


@pytest.mark.parametrize("part", [*REQUIRED[:1], LABELS_FILE, TOKENIZER_DIR])
def test_a_missing_part_is_named(exported_tiny, tmp_path, part):
    broken = tmp_path / "export"
    shutil.copytree(exported_tiny, broken)
    target = broken / part
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(ExportError, match=f"not a complete export: missing {part}"):
        ExportedModel(broken)


def test_the_o_bias_is_how_every_runtime_decodes(exported_tiny, examples):
    from rasa_electra import defaults
    from rasa_electra.serving import ServingOptions, open_export

    model = ExportedModel(exported_tiny)
    assert model.decoder.o_bias == defaults.O_BIAS  # what it was trained with, from its card
    texts = [e.text for e in examples]
    found = sum(len(e.spans) for e in model.predict(texts))
    assert found, "the tiny model should find entities in its own training texts"
    # through the serving options (the component's) a large bias leaves only O
    silent = open_export(exported_tiny, ServingOptions(backend="savedmodel", o_bias=50.0))
    assert silent.decoder.o_bias == 50.0
    assert sum(len(e.spans) for e in silent.predict(texts)) == 0


def test_an_export_is_served_with_the_o_bias_its_card_records(exported_tiny, tmp_path):
    from rasa_electra import defaults
    from rasa_electra.serving import ServingOptions, open_export

    export = tmp_path / "export"
    shutil.copytree(exported_tiny, export)
    card_file = export / CARD_FILE
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["hyperparameters"]["o_bias"] = 1.25
    card_file.write_text(json.dumps(card), encoding="utf-8")
    assert ExportedModel(export).decoder.o_bias == 1.25
    for backend in ("savedmodel", "auto"):  # the component's options leave it unsaid: its own
        assert open_export(export, ServingOptions(backend=backend)).decoder.o_bias == 1.25
    told = open_export(export, ServingOptions(backend="savedmodel", o_bias=0.0))
    assert told.decoder.o_bias == 0.0  # the component's o_bias, when given, wins
    del card["hyperparameters"]["o_bias"]  # a card from before it was recorded
    card_file.write_text(json.dumps(card), encoding="utf-8")
    assert ExportedModel(export).decoder.o_bias == defaults.O_BIAS


def test_the_exports_entity_memory_relabels_what_it_serves(exported_tiny, examples, tmp_path):
    from rasa_electra.data.entity_memory import EntityMemory
    from rasa_electra.data.spans import Example
    from rasa_electra.data.tags import entity_labels

    model = ExportedModel(exported_tiny)
    assert model.memory is not None  # learned from the training data at fine-tuning
    assert model.memory.counts == EntityMemory.learn(examples, 0.7).counts
    model.use_memory(None)
    plain = model.predict([e.text for e in examples])
    spans = [(e, s) for e in plain for s in e.spans]
    assert spans, "the tiny model should find entities in its own training texts"
    # a memory that calls every text the model found by another of the model's labels
    labels = entity_labels(model.labels)
    other = {e.span_text(s): labels[(labels.index(s.label) + 1) % len(labels)] for e, s in spans}
    told = [Example(text, (Span(0, len(text), label),)) for text, label in other.items()]
    copy = tmp_path / "export"
    shutil.copytree(exported_tiny, copy)
    EntityMemory.learn(told, 0.7).save(copy, model.labels)
    relabelled = ExportedModel(copy).predict([e.text for e in examples])
    for before, after in zip(plain, relabelled, strict=True):
        assert [(s.start, s.end) for s in after.spans] == [(s.start, s.end) for s in before.spans]
        assert [s.label for s in after.spans] == [other[after.span_text(s)] for s in before.spans]
