"""The full real GSD NE data (both releases): 0 round-trip mismatches through Rasa's loader."""

import json

import pytest

pytestmark = pytest.mark.slow  # reads and converts the full releases

# sentences and entities per split, from the releases' own documentation
EXPECTED = {
    "v2.6-NE": {"train": (7032, 10830), "dev": (501, 783), "test": (544, 609)},
    "r2.8-NE": {"train": (7050, 10924), "dev": (507, 795), "test": (543, 609)},
}


@pytest.mark.parametrize("version", list(EXPECTED))
def test_every_sentence_round_trips_exactly(converted_gsd, version):
    summary = json.loads((converted_gsd[version] / "summary.json").read_text(encoding="utf-8"))
    for split, (sentences, entities) in EXPECTED[version].items():
        assert (summary[split]["sentences"], summary[split]["entities"]) == (sentences, entities)
        assert summary[split]["yaml_mismatches"] == []
        assert summary[split]["markdown_mismatches"] == []
        assert 0 < summary[split]["mecab_misaligned"]["misaligned"] < entities * 0.02


def test_v26_defects_are_reported(converted_gsd):
    summary = json.loads((converted_gsd["v2.6-NE"] / "summary.json").read_text(encoding="utf-8"))
    oddities = " ".join(summary["train"]["oddities"])
    assert "CRLF line ending" in oddities
    assert "empty tag, read as O: 1 line(s)" in oddities and "train.bio:174700" in oddities
    r28 = json.loads((converted_gsd["r2.8-NE"] / "summary.json").read_text(encoding="utf-8"))
    assert all(r28[split]["oddities"] == [] for split in ("train", "dev", "test"))
