"""The bot's sentences through an export of GSD labels served under the bot's names (a bot
that keeps a GSD model's labels): the label map checked against the export, Rasa's extractors
first on overlaps, an export continued as a start point; and the bot's own entity steps, which
are config-electra-crf.yml's."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_electra.components.electra_entity_extractor import (
    ElectraEntityExtractor,
    ModelLoadError,
)
from rasa_electra.evaluation.systems import JOINED_CONFIG
from rasa_electra.serving.servable import ExportedModel


@pytest.fixture(scope="module")
def bot_names(gsd_labels) -> dict[str, str]:
    """The export's GSD labels under the bot's names, as an ``entity_map``."""
    return {gsd: name for name, labels in gsd_labels.items() for gsd in labels}


@pytest.fixture(scope="module")
def extractor(bot_export, bot_names):
    """The extractor serving the tiny export under the bot's names, with ``options`` changed."""

    def make(**options) -> ElectraEntityExtractor:
        config = {**ElectraEntityExtractor.get_default_config(), "entity_map": bot_names,
                  **options, "model_path": str(bot_export)}  # fmt: skip
        ElectraEntityExtractor.create(config, None, None, None)  # the checks `rasa train` runs
        return ElectraEntityExtractor(config, None, None, model=ExportedModel(bot_export))

    return make


def test_the_bots_entity_steps_are_config_electra_crf_ymls(bot_dir, bot_config):
    """One place for the joined pipeline's settings: the bot runs them as the file has them,
    in its order, with Rasa's own components between."""
    joined = yaml.safe_load((bot_dir.parents[1] / JOINED_CONFIG).read_text("utf-8"))
    steps = bot_config()["pipeline"]
    names = [step["name"] for step in steps]
    at = [names.index(step["name"]) for step in joined["pipeline"]]
    assert at == sorted(at)
    assert [steps[i] for i in at] == joined["pipeline"]


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


def test_an_export_is_a_start_point_that_keeps_what_it_knows(bot_export, bot_names):
    import tensorflow as tf

    from rasa_electra.components.entities import origins
    from rasa_electra.data.tags import label_list
    from rasa_electra.model import model_spec
    from rasa_electra.model.export import read_labels

    spec = model_spec.get(bot_export, max_seq_length=32)
    assert spec.kind == "export"
    spec.label_origins = origins(bot_names)
    labels = label_list(["place", "date", "DATE", "time"])  # new, new, known, unknown
    model = spec.build_model(labels)
    saved = {v.name.split("/", 1)[1]: v.numpy()
             for v in tf.saved_model.load(str(bot_export)).model.variables}  # fmt: skip
    old = {tag: i for i, tag in enumerate(read_labels(bot_export))}
    for weight in model.weights:
        name = weight.name.split("/", 1)[1]
        if "classifier" not in name:
            assert (weight.numpy() == saved[name]).all(), name
    kernel = next(w.numpy() for w in model.weights if "classifier/kernel" in w.name)
    old_kernel = saved[next(n for n in saved if "classifier/kernel" in n)]
    new = {tag: i for i, tag in enumerate(labels)}
    assert (kernel[:, new["O"]] == old_kernel[:, old["O"]]).all()
    assert (kernel[:, new["B-DATE"]] == old_kernel[:, old["B-DATE"]]).all()
    assert (kernel[:, new["I-date"]] == old_kernel[:, old["I-DATE"]]).all()
    place = old_kernel[:, [old["B-GPE"], old["B-LOC"], old["B-FAC"]]].mean(axis=1)
    assert abs(kernel[:, new["B-place"]] - place).max() < 1e-6
    assert not (kernel[:, new["B-time"]] == place).all()  # fresh
    assert spec.notes[-1] == f"continued from the export: 7 of {len(labels)} head rows kept"


def test_an_export_without_its_encoder_config_says_it_cannot_be_continued(bot_export, tmp_path):
    import shutil

    from rasa_electra.model import model_spec
    from rasa_electra.model.export import ENCODER_CONFIG_FILE
    from rasa_electra.model.weights import StartPointError

    old = shutil.copytree(bot_export, tmp_path / "old-export")
    (old / ENCODER_CONFIG_FILE).unlink()
    with pytest.raises(StartPointError, match="fine-tuning cannot continue it"):
        model_spec.get(old)
