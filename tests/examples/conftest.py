"""The example booking bot's fixtures: an export that predicts GSD labels, trained (tiny, real)
on the bot's own sentences: the start point the bot fine-tunes at `rasa train`, and a GSD export
that an `entity_map` serves under the bot's names."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "examples/booking_bot"
EXTRACTOR = "rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor"
# the bot's names back to GSD labels (place cycles through the three it maps from)
GSD_LABELS = {"date": ["DATE"], "people": ["QUANTITY"], "name": ["PERSON"],
              "place": ["GPE", "LOC", "FAC"]}  # fmt: skip


@pytest.fixture(scope="session")
def gsd_labels() -> dict[str, list[str]]:
    return GSD_LABELS


@pytest.fixture(scope="session")
def bot_dir() -> Path:
    return BOT


@pytest.fixture(scope="session")
def bot_config():
    """The bot's config.yml as a dict, its extractor's options changed (None removes one)."""
    import yaml

    def load(**changes) -> dict:
        config = yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))
        (step,) = [step for step in config["pipeline"] if step["name"] == EXTRACTOR]
        step.update(changes)
        for key in [key for key, value in step.items() if value is None]:
            del step[key]
        return config

    return load


@pytest.fixture(scope="session")
def bot_examples():
    from rasa_electra.data.rasa_nlu import read_rasa_data

    return read_rasa_data(BOT / "data/nlu.yml")


def as_gsd(examples):
    """The bot's examples relabelled as a GSD-trained model would see them (GSD has no roles)."""
    cycles = {name: itertools.cycle(labels) for name, labels in GSD_LABELS.items()}
    return [
        replace(e, spans=tuple(replace(s, label=next(cycles[s.label]), role=None, group=None)
                               for s in e.spans))
        for e in examples
    ]  # fmt: skip


@pytest.fixture(scope="session")
def bot_export(bot_examples, tiny_start_point, tmp_path_factory) -> Path:
    """A tiny ELECTRA fine-tuned on the bot's sentences with GSD labels, exported."""
    from rasa_electra.model import DataLoader, model_spec, ner

    start = tiny_start_point([e.text for e in bot_examples])
    train = DataLoader(as_gsd(bot_examples), model_spec.get(start, max_seq_length=32))
    # the softmax head: this fixture stands for any GSD export; the CRF head is tested elsewhere
    model = ner.create(train, epochs=60, batch_size=8, learning_rate=3e-3, seed=1, head="softmax")
    return model.export(tmp_path_factory.mktemp("bot-export") / "model", data="booking bot")
