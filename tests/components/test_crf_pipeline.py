"""The baseline pipeline (config.yml) trained with the real `rasa train nlu` and parsed through."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml


def train(repo: Path, nlu: Path, out: Path) -> Path:
    """Run the real `rasa train nlu` with the project's config.yml; return the archive."""
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [
            str(rasa),
            "train",
            "nlu",
            "--config",
            str(repo / "config.yml"),
            "--nlu",
            str(nlu),
            "--out",
            str(out),
            "--fixed-model-name",
            "crf",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (out / "rasa-train.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return out / "crf.tar.gz"


def load(model: Path):
    from rasa.core.agent import Agent

    return Agent.load(str(model))


@pytest.fixture(scope="module")
def hand_written_model(repo, tmp_path_factory) -> Path:
    return train(repo, repo / "data/examples/nlu.yml", tmp_path_factory.mktemp("crf"))


def parse(agent, text: str) -> list[dict]:
    return asyncio.run(agent.parse_message(text))["entities"]


def check_offsets(text: str, entities: list[dict]) -> None:
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"] : entity["end"]]
        assert entity["extractor"] == "FastCRFEntityExtractor"  # config.yml's CRF


@pytest.mark.slow
def test_crf_pipeline_on_hand_written_examples(hand_written_model):
    agent = load(hand_written_model)
    text = "山田太郎さんは東京に住んでいます。"  # a training sentence: the CRF must find both
    entities = parse(agent, text)
    check_offsets(text, entities)
    assert {(e["value"], e["entity"]) for e in entities} == {
        ("山田太郎", "PERSON"),
        ("東京", "GPE"),
    }
    assert parse(agent, "  \u3000 ") == []  # whitespace alone: no entity
    # whitespace inside the text is no MeCab word, so the CRF sees the same words; their
    # offsets must still point into the text as given (Rasa strips only its ends)
    spaced = "山田太郎さんは\u3000東京に 住んでいます。"
    shifted = parse(agent, spaced)
    check_offsets(spaced, shifted)
    assert {(e["value"], e["start"]) for e in shifted} == {("山田太郎", 0), ("東京", 8)}


@pytest.mark.slow
def test_crf_pipeline_on_a_gsd_slice(repo, tmp_path, converted_gsd):
    from rasa_electra.data.alignment import count_misaligned
    from rasa_electra.tokenization.segmenters import settings_for, word_segmenter

    train_data = read_rasa_data(converted_gsd["v2.6-NE"] / "train.yml")
    words = word_segmenter(settings_for("sudachi", split_mode="B")).offsets  # config.yml's
    misfits = [e for e in train_data[300:] if count_misaligned([e], words).misaligned][:12]
    slice_ = train_data[:300] + misfits
    write_rasa_yaml(slice_, tmp_path / "slice.yml")
    agent = load(train(repo, tmp_path / "slice.yml", tmp_path))
    # one summary line for the entities the words cannot hold, not one warning per message,
    # and Rasa knows the fast CRF as a trainable extractor
    log = (tmp_path / "rasa-train.log").read_text(encoding="utf-8")
    misaligned = count_misaligned(slice_, words).misaligned
    assert len(misfits) == 12 and misaligned >= 12
    assert "Misaligned entity annotation" not in log
    assert "does not include an entity extractor" not in log
    assert log.count(f"{misaligned} of {sum(len(e.spans) for e in slice_):,} training") == 1
    # Rasa's own data warnings stay (a label with one example in this slice); nothing else
    others = [line for line in log.splitlines() if "UserWarning" in line]
    others = [line for line in others if "training examples!" not in line]
    assert len(others) == 1, others  # the summary line
    found = 0
    for example in slice_[:20]:
        entities = parse(agent, example.text)
        check_offsets(example.text, entities)
        found += len(
            {(e["start"], e["end"], e["entity"]) for e in entities}
            & {(s.start, s.end, s.label) for s in example.spans}
        )
    gold = sum(len(e.spans) for e in slice_[:20])
    assert found >= gold // 2, f"CRF recovered only {found}/{gold} training entities"


@pytest.mark.slow
def test_parse_command_scores_through_the_rasa_model(repo, hand_written_model, tmp_path):
    report, predictions = tmp_path / "scores.json", tmp_path / "predictions.json"
    data = repo / "data/examples/nlu.yml"
    command = [sys.executable, "-m", "rasa_electra.cli.parse", "--model", str(hand_written_model),
               "--data", str(data), "--show", "1", "--out", str(report),
               "--predictions", str(predictions)]  # fmt: skip
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "micro avg" in result.stdout
    # nothing above the command's own output but its progress: no third-party deprecations
    assert not [line for line in result.stderr.splitlines() if "Warning" in line]
    scores = json.loads(report.read_text(encoding="utf-8"))
    assert scores["micro"]["support"] == 51
    assert scores["micro"]["f1"] > 0.8  # its own training data
    assert scores["latency_ms"]["p50"] > 0
    # every message's entities, in file order, each span's offsets on its own text
    rows = json.loads(predictions.read_text(encoding="utf-8"))
    from rasa_electra.data.rasa_nlu import read_rasa_data

    assert [row["text"] for row in rows] == [e.text for e in read_rasa_data(data)]
    found = [(row["text"], e) for row in rows for e in row["entities"]]
    assert found and all(0 <= e["start"] < e["end"] <= len(text) for text, e in found)


def test_parse_command_refuses_a_missing_model(repo, tmp_path):
    command = [sys.executable, "-m", "rasa_electra.cli.parse",
               "--model", str(tmp_path / "none.tar.gz"),
               "--data", str(repo / "data/examples/nlu.yml")]  # fmt: skip
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"no model archive at {tmp_path / 'none.tar.gz'}" in result.stderr


def test_label_silver_labels_new_sentences_only_and_resumes(repo, hand_written_model, tmp_path):
    from lab.cli import label_silver
    from rasa_electra.data.spans import Example

    held_out = tmp_path / "test.yml"
    kept_out = "佐藤次郎さんは名古屋に行きました。"
    write_rasa_yaml([Example(kept_out, (), "inform")], held_out)
    text = tmp_path / "wiki.txt"
    text.write_text(
        "山田太郎さんは東京に住んでいます。鈴木花子さんは大阪の出身です。\n"
        f"{kept_out.replace('。', '。 ')}田中一郎さんは京都で働いています。\n\n短い。\n",
        encoding="utf-8",
    )
    out = tmp_path / "silver"
    args = ["--teacher", str(hand_written_model), "--source", f"{text}:plain",
            "--exclude", str(held_out), "--chunk-size", "2", "--out", str(out)]  # fmt: skip
    assert label_silver.main(args) == 0
    silver = read_rasa_data(out / "silver.yml")
    texts = [e.text for e in silver]
    assert kept_out not in texts and "短い。" not in texts  # held out; too short
    assert "山田太郎さんは東京に住んでいます。" in texts and len(texts) == len(set(texts))
    assert any(e.spans for e in silver)  # the teacher found entities
    chunks = sorted(out.glob("chunk-*.yml"))
    stamps = [c.stat().st_mtime_ns for c in chunks]
    assert label_silver.main(args) == 0  # a rerun keeps every labelled chunk
    assert [c.stat().st_mtime_ns for c in sorted(out.glob("chunk-*.yml"))] == stamps
    retrained = tmp_path / "retrained-teacher.tar.gz"  # another archive, the same labels
    retrained.write_bytes(hand_written_model.read_bytes() + b"\0")
    assert label_silver.main([*args[:1], str(retrained), *args[2:]]) == 0
    assert [c.stat().st_mtime_ns for c in sorted(out.glob("chunk-*.yml"))] == stamps
    first = read_rasa_data(chunks[0])  # labels another teacher would not give
    write_rasa_yaml([Example(e.text, (), e.intent) for e in first], chunks[0])
    assert any(e.spans for e in first)
    with pytest.raises(ValueError, match="labelled by another teacher"):
        label_silver.main(args)
