"""The booking bot's entity settings in process: GSD labels under the bot's names, the label
map checked against the export, Rasa's extractors first on overlaps, synonyms after."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.components.electra_entity_extractor import (
    ElectraEntityExtractor,
    ModelLoadError,
)
from rasa_electra.serving.servable import ExportedModel

NAME = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"


@pytest.fixture(scope="module")
def bot_options(bot_dir) -> dict:
    """The extractor's options as the bot's config.yml sets them."""
    pipeline = yaml.safe_load((bot_dir / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    (options,) = [c for c in pipeline if c["name"] == NAME]
    return {k: v for k, v in options.items() if k != "name"}


@pytest.fixture(scope="module")
def extractor(bot_export, bot_options):
    """The bot's extractor over the tiny export, with ``options`` changed."""

    def make(**options) -> ElectraEntityExtractor:
        config = {**ElectraEntityExtractor.get_default_config(), **bot_options, **options,
                  "model_path": str(bot_export)}  # fmt: skip
        ElectraEntityExtractor.create(config, None, None, None)  # the checks `rasa train` runs
        return ElectraEntityExtractor(config, None, None, model=ExportedModel(bot_export))

    return make


def entities(component, text, existing=()):
    message = Message(data={TEXT: text, ENTITIES: list(existing)})
    component.process([message])
    return [(e["entity"], e["value"], e["extractor"]) for e in message.get(ENTITIES)]


def test_one_message_gives_every_slot_under_the_bots_names(extractor):
    found = entities(extractor(), "横浜で明後日に6人で予約したいです")
    assert found == [
        ("place", "横浜", "ElectraEntityExtractor"),
        ("date", "明後日", "ElectraEntityExtractor"),
        ("people", "6人", "ElectraEntityExtractor"),
    ]


def test_labels_left_out_of_the_map_are_dropped(extractor):
    found = entities(extractor(entity_map={"DATE": "date"}), "横浜で明後日に6人で予約したいです")
    assert found == [("date", "明後日", "ElectraEntityExtractor")]


def test_a_label_the_export_does_not_predict_is_refused_by_name(extractor):
    with pytest.raises(ModelLoadError, match="does not predict: CITY, NORP; it predicts DATE, FAC"):
        extractor(entity_map={"GPE": "place", "CITY": "place", "NORP": "x"})


def test_an_entity_an_earlier_extractor_found_wins_the_overlap(extractor):
    regex = {"entity": "place", "start": 0, "end": 2, "value": "横浜",
             "extractor": "RegexEntityExtractor"}  # fmt: skip
    text = "横浜で明後日に6人で予約したいです"
    assert entities(extractor(), text, [regex]) == [
        ("place", "横浜", "RegexEntityExtractor"),
        ("date", "明後日", "ElectraEntityExtractor"),
        ("people", "6人", "ElectraEntityExtractor"),
    ]
    both = entities(extractor(keep_overlapping=True), text, [regex])
    assert [e for e in both if e[0] == "place"] == [
        ("place", "横浜", "RegexEntityExtractor"),
        ("place", "横浜", "ElectraEntityExtractor"),
    ]
