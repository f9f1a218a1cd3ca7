"""`rasa-electra annotate` on the booking bot's own data: its entities stripped from most
examples, suggested back by an export that predicts GSD labels, renamed by the bot's
entity_map, and scored against the originals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rasa_electra.cli import annotate
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.span_metrics import score_spans

ENTITY_MAP = "GPE=place,LOC=place,FAC=place,DATE=date,QUANTITY=people,PERSON=name"


@pytest.fixture(scope="module")
def stripped(bot_examples, tmp_path_factory) -> tuple[Path, set[int]]:
    """The bot's NLU file with every example's entities removed but every fifth one's."""
    kept = {i for i, e in enumerate(bot_examples) if e.spans and i % 5 == 0}
    examples = [e if i in kept else replace(e, spans=()) for i, e in enumerate(bot_examples)]
    path = tmp_path_factory.mktemp("annotate") / "nlu.yml"
    write_rasa_yaml(examples, path)
    return path, kept


def test_suggestions_come_back_under_the_bots_names_and_annotations_stay(
    bot_dir, bot_export, bot_examples, stripped, tmp_path, capsys
):
    path, kept = stripped
    out, report = tmp_path / "suggested.yml", tmp_path / "report.json"
    annotate.main([str(path), "--model", str(bot_export), "--entity-map", ENTITY_MAP,
                   "--out", str(out), "--report", str(report),
                   "--gold", str(bot_dir / "data/nlu.yml")])  # fmt: skip
    suggested = read_rasa_data(out)  # Rasa's own loader reads the file written for review
    assert [e.text for e in suggested] == [e.text for e in bot_examples]
    for i in kept:  # annotations the user made are exactly as they were
        assert suggested[i].spans == bot_examples[i].spans
    bare = [i for i in range(len(bot_examples)) if i not in kept and bot_examples[i].spans]
    scores = score_spans([bot_examples[i] for i in bare], [suggested[i] for i in bare])
    assert scores.micro.recall > 0.5 and scores.micro.precision > 0.5
    assert {s.label for i in bare for s in suggested[i].spans} <= {"place", "date", "people",
                                                                     "name"}  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "# suggested: " in text and "→ date 0." in text  # each suggestion's confidence
    assert "Written for this project" not in text  # (the stripped copy has its own header)
    printed = capsys.readouterr().out
    assert f"{len(bot_examples)} examples" in printed and "gained" in printed
    scored = len(bot_examples) - len(kept)  # the examples annotate could change
    assert f"suggestions against {bot_dir / 'data/nlu.yml'} ({scored} examples)" in printed


def test_min_confidence_above_one_suggests_nothing_and_keeps_the_file_readable(
    bot_export, stripped, tmp_path, capsys
):
    path, _ = stripped
    out = tmp_path / "none.yml"
    annotate.main([str(path), "--model", str(bot_export), "--entity-map", ENTITY_MAP,
                   "--min-confidence", "1.01", "--out", str(out)])  # fmt: skip
    assert read_rasa_data(out) == read_rasa_data(path)
    assert "0 of those gained 0 suggested entities" in capsys.readouterr().out


def test_comments_sections_and_other_intents_survive_the_edit(bot_export, tmp_path):
    source = tmp_path / "nlu.yml"
    source.write_text(
        'version: "3.1"\n# the bot\'s own comment\nnlu:\n'
        "  - intent: book\n    examples: |\n      - 明日東京で\n      - [田中](name)です\n"
        "  - synonym: 明日\n    examples: |\n      - あした\n"
        "  - intent: greet\n    examples:\n      - text: こんにちは\n        metadata: {a: 1}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.yml"
    annotate.main([str(source), "--model", str(bot_export), "--entity-map", ENTITY_MAP,
                   "--out", str(out)])  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "# the bot's own comment" in text and "synonym: 明日" in text
    assert "metadata: {a: 1}" in text
    examples = read_rasa_data(out)
    assert examples[1].entities() == [("田中", "name")]
    assert [e.text for e in examples] == ["明日東京で", "田中です", "こんにちは"]


def test_the_data_file_is_never_the_output(bot_export, stripped):
    path, _ = stripped
    with pytest.raises(SystemExit, match="must not be the data file"):
        annotate.main([str(path), "--model", str(bot_export), "--out", str(path)])


def test_the_command_prints_no_third_party_warnings(bot_export, stripped, tmp_path):
    import subprocess
    import sys

    path, _ = stripped
    result = subprocess.run(
        [sys.executable, "-m", "rasa_electra.cli", "annotate", str(path), "--model",
         str(bot_export), "--entity-map", ENTITY_MAP, "--out", str(tmp_path / "out.yml")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[0].endswith("without entities")
    assert "Warning" not in result.stderr, result.stderr[-2000:]
