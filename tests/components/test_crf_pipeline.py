"""The baseline pipeline (config.yml) trained with the real `rasa train nlu` and parsed through."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml


def train_and_load(repo: Path, nlu: Path, out: Path):
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
    from rasa.core.agent import Agent

    return Agent.load(str(out / "crf.tar.gz"))


def parse(agent, text: str) -> list[dict]:
    return asyncio.run(agent.parse_message(text))["entities"]


def check_offsets(text: str, entities: list[dict]) -> None:
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"] : entity["end"]]
        assert entity["extractor"] == "CRFEntityExtractor"


@pytest.mark.slow
def test_crf_pipeline_on_hand_written_examples(repo, tmp_path):
    agent = train_and_load(repo, repo / "data/examples/nlu.yml", tmp_path)
    text = "山田太郎さんは東京に住んでいます。"  # a training sentence: the CRF must find both
    entities = parse(agent, text)
    check_offsets(text, entities)
    assert {(e["value"], e["entity"]) for e in entities} == {
        ("山田太郎", "PERSON"),
        ("東京", "GPE"),
    }
    check_offsets("  \u3000 ", parse(agent, "  \u3000 "))


@pytest.mark.slow
def test_crf_pipeline_on_a_gsd_slice(repo, tmp_path, converted_gsd):
    train = read_rasa_data(converted_gsd["v2.6-NE"] / "train.yml")[:300]
    write_rasa_yaml(train, tmp_path / "slice.yml")
    agent = train_and_load(repo, tmp_path / "slice.yml", tmp_path)
    found = 0
    for example in train[:20]:
        entities = parse(agent, example.text)
        check_offsets(example.text, entities)
        found += len(
            {(e["start"], e["end"], e["entity"]) for e in entities}
            & {(s.start, s.end, s.label) for s in example.spans}
        )
    gold = sum(len(e.spans) for e in train[:20])
    assert found >= gold // 2, f"CRF recovered only {found}/{gold} training entities"
