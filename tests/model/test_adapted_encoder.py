"""A self-trained export's encoder, written back as the shipped start point's layout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from lab.adapted_encoder import adapt_encoder
from rasa_electra.data.tags import entity_labels
from rasa_electra.model import model_spec
from rasa_electra.model.export import read_labels
from rasa_electra.model.head import HEAD_FILE, continue_scores
from rasa_electra.model.model_spec import file_sha256
from rasa_electra.model.weights import StartPointError, export_variables, relative_name


@pytest.fixture
def base(pytorch_layout_dir: Path, tmp_path: Path) -> Path:
    """The tiny export's own start point, with a pretraining card as the shipped one has."""
    directory = tmp_path / "base"
    shutil.copytree(pytorch_layout_dir, directory)
    (directory / "pretraining_card.json").write_text('{"steps": 3, "tokens_seen": 1000}')
    return directory


def test_the_adapted_start_point_is_the_exports_encoder_with_the_pretrained_head_and_card(
    exported_tiny: Path, base: Path, tmp_path: Path
) -> None:
    out = adapt_encoder(exported_tiny, base, tmp_path / "adapted", commit="c0ffee")
    pretrained, adapted = (
        load_file(str(base / "model.safetensors")),
        load_file(str(out / "model.safetensors")),
    )
    assert set(adapted) == set(pretrained)
    head = [name for name in pretrained if name.startswith("discriminator_predictions")]
    assert head and all(np.array_equal(adapted[n], pretrained[n]) for n in head)
    changed = [n for n in pretrained if not np.array_equal(adapted[n], pretrained[n])]
    assert changed and all(n.startswith("electra.") for n in changed)

    card = json.loads((out / "pretraining_card.json").read_text())
    assert card["steps"] == 3 and card["adaptation"]["pretraining_commit"] == "c0ffee"
    assert card["adaptation"]["pretraining_sha256"] == file_sha256(base / "model.safetensors")
    assert 0.0 <= card["adaptation"]["dev_f1"] <= 1.0
    # the silver stage's data is CC BY-SA: the card says so beside the pretraining corpus's
    assert {entry["licence"] for entry in card["adaptation"]["data_licences"]} == {
        "CC BY-SA 4.0",
        "CC BY-SA 3.0",
    }

    # a start point over exactly the export's encoder; labels its head does not know get a
    # fresh head, and fine-tuning on them is no continuation
    spec = model_spec.get(out, max_seq_length=24)
    model = spec.build_model(["O", "B-X", "I-X"])
    saved = export_variables(exported_tiny)
    for weight in model.weights:
        name = relative_name(weight.name)
        if "classifier" not in name:
            np.testing.assert_array_equal(weight.numpy(), saved[name], err_msg=name)
    assert not spec.continues_head(["O", "B-X", "I-X"])


def test_the_adapted_start_point_keeps_the_exports_head_for_the_labels_it_knows(
    exported_tiny: Path, base: Path, tmp_path: Path
) -> None:
    out = adapt_encoder(exported_tiny, base, tmp_path / "adapted")
    assert (out / HEAD_FILE).is_file()
    tags = read_labels(exported_tiny)
    spec = model_spec.get(out, max_seq_length=24)
    assert spec.head_tags() == tags and spec.continues_head(tags)
    saved = export_variables(exported_tiny)
    # the export's labels in another order, and one it never saw: rows follow the tag, not the
    # position, and the new tag keeps its fresh initialisation
    labels = [tags[0], *reversed(tags[1:]), "B-NEW", "I-NEW"]
    model = spec.build_model(labels)
    kernel = next(w.numpy() for w in model.weights if "classifier/kernel" in w.name)
    old = saved["classifier/kernel"]
    for column, tag in enumerate(labels[:-2]):
        np.testing.assert_array_equal(kernel[:, column], old[:, tags.index(tag)], err_msg=tag)
    assert not np.array_equal(kernel[:, -2], old[:, 1])
    assert f"{len(tags)} of {len(labels)} rows" in spec.notes[-1]
    # only O in common is no continuation: O's row alone does not make an entity head
    assert not spec.continues_head(["O", "B-NEW", "I-NEW"])

    # finetune --new-head: the head is left unread, every row fresh
    fresh = model_spec.get(out, max_seq_length=24)
    fresh.entity_head = False
    assert not fresh.continues_head(tags)
    model = fresh.build_model(tags)
    kernel = next(w.numpy() for w in model.weights if "classifier/kernel" in w.name)
    assert not np.array_equal(kernel, old) and fresh.notes == []


def test_an_entity_map_is_checked_against_the_head_it_seeds_from(
    exported_tiny: Path, base: Path, tmp_path: Path
) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from rasa_electra.components.electra_entity_extractor import ElectraEntityExtractor

    out = adapt_encoder(exported_tiny, base, tmp_path / "adapted")
    known = entity_labels(read_labels(exported_tiny))[0]
    config = {**ElectraEntityExtractor.get_default_config(), "pretrained": str(out)}
    ElectraEntityExtractor.create({**config, "entity_map": {known: "place"}}, None, None, None)
    wrong = f"entity head of {out} does not predict: GPEE"
    with pytest.raises(InvalidConfigException, match=wrong):
        ElectraEntityExtractor.create({**config, "entity_map": {"GPEE": "place"}}, None, None, None)


def test_adapting_refuses_an_adapted_base_and_weights_the_export_did_not_start_from(
    exported_tiny: Path, base: Path, tmp_path: Path
) -> None:
    adapted = adapt_encoder(exported_tiny, base, tmp_path / "adapted")
    with pytest.raises(StartPointError, match="adapted already"):
        adapt_encoder(exported_tiny, adapted, tmp_path / "twice")
    weights = load_file(str(base / "model.safetensors"))
    first = sorted(weights)[0]
    weights[first] = weights[first] + 1.0
    save_file(weights, str(base / "model.safetensors"))
    with pytest.raises(StartPointError, match="not fine-tuned from"):
        adapt_encoder(exported_tiny, base, tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_the_command_names_the_commit_that_holds_the_pretrained_weights(
    exported_tiny: Path, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.cli.adapt_encoder import committed_at, main

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True,
                              check=True)  # fmt: skip
        return done.stdout.strip()

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "base")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "pretrained")
    monkeypatch.chdir(tmp_path)
    assert committed_at(Path("base/model.safetensors")) == git("rev-parse", "HEAD")
    assert main(["--export", str(exported_tiny), "--base", "base", "--out", "shipped"]) == 0
    card = json.loads((tmp_path / "shipped/pretraining_card.json").read_text())
    assert card["adaptation"]["pretraining_commit"] == git("rev-parse", "HEAD")
    (tmp_path / "base/model.safetensors").write_bytes(b"changed")
    assert committed_at(Path("base/model.safetensors")) is None


@pytest.mark.parametrize("kind", ["export", "adapted"])
def test_continued_scores_follow_the_tags_and_feature_values_the_head_knows(
    exported_tiny: Path, base: Path, tmp_path: Path, kind: str
) -> None:
    from rasa_electra.data.viterbi import TRANSITIONS_FILE, Transitions
    from rasa_electra.model.crf import CrfScores
    from rasa_electra.model.word_features import (
        FEATURES_FILE,
        FeatureTables,
        FeatureVariables,
        FeatureVocab,
    )

    start = exported_tiny
    if kind == "adapted":  # the shipped folder keeps the export's scores beside its head
        start = adapt_encoder(exported_tiny, base, tmp_path / "adapted")
        for name in (TRANSITIONS_FILE, FEATURES_FILE):
            assert (start / name).read_bytes() == (exported_tiny / name).read_bytes()
    tags = read_labels(exported_tiny)
    old = Transitions.load(exported_tiny, tags)
    old_tables = FeatureTables.load(exported_tiny, tags)
    spec = model_spec.get(start, max_seq_length=24)
    labels = [tags[0], *reversed(tags[1:]), "B-NEW", "I-NEW"]
    known_pos = old_tables.vocab.values["pos"]
    vocab = FeatureVocab(
        ("pos", "shape", "pos-1"),
        {"pos": [known_pos[-1], "NEWPOS", known_pos[0]], "shape": [], "pos-1": ["x"]},
    )
    crf, features = CrfScores(labels), FeatureVariables(vocab, len(labels))
    # the transitions, and the pos and shape tables
    assert continue_scores(spec, labels, crf, features) == 3

    index = [tags.index(tag) if tag in tags else None for tag in labels]
    transition = crf.transition.numpy()
    for row, old_row in enumerate(index):
        for column, old_column in enumerate(index):
            expected = 0.0 if None in (old_row, old_column) else old.transition[old_row, old_column]
            assert transition[row, column] == pytest.approx(expected, abs=1e-6)
        expected = 0.0 if old_row is None else old.start[old_row]
        assert crf.start.numpy()[row] == pytest.approx(expected, abs=1e-6)
    assert np.any(transition != 0)

    pos, shape, previous = (table.numpy() for table in features.tables)
    known = [i for i in index if i is not None]
    old_pos = old_tables.tables["pos"]
    # the unknown value's row, a known value's row by its value (its id differs), a new value
    np.testing.assert_allclose(pos[0, : len(known)], old_pos[0, known], atol=1e-6)
    np.testing.assert_allclose(pos[1, : len(known)], old_pos[len(known_pos), known], atol=1e-6)
    np.testing.assert_allclose(pos[3, : len(known)], old_pos[1, known], atol=1e-6)
    assert not pos[2].any() and not pos[:, len(known) :].any()
    np.testing.assert_allclose(shape[0, : len(known)], old_tables.tables["shape"][0, known])
    assert not previous.any()  # a feature the head was not trained with starts fresh

    # finetune --new-head: nothing of the folder's head is read (an export's always is)
    fresh = model_spec.get(start, max_seq_length=24)
    fresh.entity_head = False
    continued = continue_scores(fresh, labels, CrfScores(labels), None)
    assert continued == (1 if kind == "export" else 0)
