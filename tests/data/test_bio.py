from pathlib import Path

import pytest

from rasa_electra.data.bio import BioFormatError, read_bio, spans_to_tags
from rasa_electra.data.spans import Span


def test_reads_the_fixture_with_its_v26_defects_reported(mini_bio):
    document = read_bio(mini_bio, intent="gsd_sentence")
    assert [e.entities() for e in document.examples] == [
        [("山田太郎", "PERSON"), ("東京", "GPE")],
        [("ソニー", "ORG"), ("2020年", "DATE")],
        [("三代目JSOULBROTHERS", "ORG")],
    ]
    assert document.examples[1].text == "[注](株)ソニーの2020年発表"
    assert document.examples[2].text.endswith("出演。")  # the empty-tag line is kept as O
    assert str(document.examples[0].source) == f"{mini_bio}:1"
    kinds = document.oddities.found
    assert len(kinds["CRLF line ending, read as LF"]) == 10
    assert [loc.line for loc in kinds["empty tag, read as O"]] == [28]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.bio"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("東京\tB-GPE\nに\tO\tX\n", 2, "expected 2 tab-separated columns"),
        ("東京\tB-GPE\nに\tE-GPE\n", 2, "is not O, B-LABEL or I-LABEL"),
        ("東京\tB-GPE\nに\tO\n行く\tI-GPE\n", 3, "I-GPE not after a B- or I- tag"),
        ("東京\tB-GPE\n都\tI-ORG\n", 2, "I-ORG after 'GPE' entity"),
        ("\nに\tO\nこれ\n", 3, "expected 2 tab-separated columns"),
        ("\tO\n", 1, "empty token"),
        ("に\tB-\n", 1, "is not O, B-LABEL or I-LABEL"),
    ],
)
def test_malformed_lines_fail_with_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(BioFormatError, match=message) as error:
        read_bio(path)
    assert str(error.value).startswith(f"{path}:{line}: ")


def test_orphan_inside_repair_is_opt_in_and_reported(tmp_path):
    path = write(tmp_path, "東京\tB-GPE\n都\tI-ORG\n庁\tI-ORG\nに\tO\n行く\tI-X\n")
    document = read_bio(path, repair_orphan_inside=True)
    assert document.examples[0].entities() == [("東京", "GPE"), ("都庁", "ORG"), ("行く", "X")]
    assert sorted(document.oddities.found) == [
        "I-ORG after 'GPE' entity, read as B-ORG",
        "I-X not after a B- or I- tag, read as B-X",
    ]


def test_blank_line_runs_and_missing_final_newline(tmp_path):
    path = write(tmp_path, "\n\n東京\tB-GPE\n\n\n\n大阪\tB-GPE")
    document = read_bio(path)
    assert [e.text for e in document.examples] == ["東京", "大阪"]
    assert len(document.oddities.found["extra blank line, ignored"]) == 4


def test_spans_to_tags_inverts_reading(mini_bio):
    example = read_bio(mini_bio).examples[0]
    assert spans_to_tags([2, 2, 1, 2, 1, 2, 1, 1], example.spans) == [
        "B-PERSON",
        "I-PERSON",
        "O",
        "B-GPE",
        "O",
        "O",
        "O",
        "O",
    ]
    with pytest.raises(ValueError, match="token boundaries"):
        spans_to_tags([1, 3], [Span(0, 2, "PERSON")])
