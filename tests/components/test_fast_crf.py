"""FastCRFEntityExtractor beside Rasa's CRFEntityExtractor in one real pipeline (config.yml's
features and options): the same entities on every GSD v2.6-NE test sentence, and an archive
that stores the fitted CRFs instead of the training data."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml

FAST = "rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor"


@pytest.fixture(scope="module")
def both_crfs(repo, converted_gsd, tmp_path_factory) -> Path:
    """`rasa train nlu` of config.yml (the fast CRF) with Rasa's own added beside it, on a GSD
    slice (the model may be small; the comparison is on every test sentence)."""
    work = tmp_path_factory.mktemp("fast-crf")
    config = yaml.safe_load((repo / "config.yml").read_text(encoding="utf-8"))
    (crf,) = [step for step in config["pipeline"] if step["name"] == FAST]
    config["pipeline"].append({**crf, "name": "CRFEntityExtractor"})
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    write_rasa_yaml(read_rasa_data(converted_gsd["v2.6-NE"] / "train.yml")[:600], work / "nlu.yml")
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml", "--out", ".",
         "--fixed-model-name", "both"],
        cwd=work, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work / "both.tar.gz"


@pytest.mark.slow
def test_the_archive_holds_fitted_crfs_not_training_data(both_crfs):
    with tarfile.open(both_crfs) as archive:
        names = archive.getnames()
    fast = [n for n in names if "FastCRFEntityExtractor" in n]
    assert any(n.endswith("crf-entity.crfsuite") for n in fast), fast
    assert not any(n.endswith("crf_dataset.json") for n in fast)
    assert any(n.endswith("crf_dataset.json") for n in names)  # Rasa's own still refits


@pytest.mark.slow
def test_the_same_entities_as_rasas_crf_on_every_gsd_test_sentence(both_crfs, converted_gsd):
    from rasa.core.agent import Agent

    agent = Agent.load(str(both_crfs))
    test = read_rasa_data(converted_gsd["v2.6-NE"] / "test.yml")

    async def parse_all():
        return [await agent.parse_message(example.text) for example in test]

    found = 0
    for parsed in asyncio.run(parse_all()):
        by_extractor: dict[str, list[tuple]] = {"CRFEntityExtractor": [],
                                               "FastCRFEntityExtractor": []}  # fmt: skip
        for e in parsed["entities"]:
            key = (e["entity"], e["start"], e["end"], e["value"], e["confidence_entity"])
            by_extractor[e["extractor"]].append(key)
        assert by_extractor["FastCRFEntityExtractor"] == by_extractor["CRFEntityExtractor"]
        found += len(by_extractor["CRFEntityExtractor"])
    assert len(test) > 500 and found > 100  # the CRF found entities: the test compared some
