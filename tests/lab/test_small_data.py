"""The small-data benchmark's files: fixed samples under a bot builder's label names."""

import pytest

from lab.small_data import USER_LABELS, renamed, sample, write_benchmark
from rasa_electra.data.gsd import LABELS
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.spans import Example, Span


def examples(n: int) -> list[Example]:
    return [Example(f"山田{i}は東京へ", (Span(0, 2, "PERSON"), Span(len(f"山田{i}は"),
            len(f"山田{i}は東京"), "GPE")), intent="inform") for i in range(n)]  # fmt: skip


def test_every_gsd_label_has_a_user_name_and_the_merges_are_the_users():
    assert set(USER_LABELS) == set(LABELS)
    assert USER_LABELS["PERSON"] == "person_name" and USER_LABELS["ORG"] == "company"
    assert {USER_LABELS[k] for k in ("GPE", "LOC", "FAC")} == {"place"}
    assert {USER_LABELS[k] for k in ("DATE", "TIME")} == {"when"}
    assert not set(USER_LABELS.values()) & set(LABELS)  # no GSD name survives


def test_samples_are_fixed_nested_and_in_file_order():
    data = examples(50)
    small, large = sample(data, 10, seed=0), sample(data, 20, seed=0)
    assert small == sample(data, 10, seed=0)  # the same sentences every time
    assert set(small) <= set(large)  # a larger sample holds the smaller
    assert small == sorted(small, key=data.index)
    assert sample(data, 10, seed=1) != small
    with pytest.raises(ValueError, match="a sample of 60"):
        sample(data, 60)


def test_the_benchmark_files_are_renamed_and_nothing_is_dropped(tmp_path):
    gsd = tmp_path / "gsd"
    gsd.mkdir()
    write_rasa_yaml(examples(30), gsd / "train.yml")
    write_rasa_yaml(examples(5), gsd / "dev.yml")
    write_rasa_yaml(examples(7), gsd / "test.yml")
    written = write_benchmark(gsd, tmp_path / "out", sizes=(10, 20))
    assert [p.name for p in written] == ["train-10.yml", "train-20.yml", "train-full.yml",
                                         "dev.yml", "test.yml"]  # fmt: skip
    train = read_rasa_data(tmp_path / "out" / "train-20.yml")
    assert len(train) == 20 and all(len(e.spans) == 2 for e in train)
    assert {s.label for e in train for s in e.spans} == {"person_name", "place"}
    test = read_rasa_data(tmp_path / "out" / "test.yml")
    assert len(test) == 7 and {s.label for e in test for s in e.spans} == {"person_name", "place"}
    with pytest.raises(ValueError, match="labels outside GSD's"):
        renamed([Example("x", (Span(0, 1, "CITY"),))])
