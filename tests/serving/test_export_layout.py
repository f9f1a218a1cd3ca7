"""The export directory's layout: every part the serving side needs, and one error that names
whatever is missing."""

import json
import shutil

import pytest

from rasa_electra.model.export import CARD_FILE, LABELS_FILE, REQUIRED, TOKENIZER_DIR, ExportError
from rasa_electra.serving.servable import ExportedModel


def test_an_export_holds_every_required_part_and_reads_back(exported_tiny):
    assert all((exported_tiny / part).exists() for part in REQUIRED)
    labels = json.loads((exported_tiny / LABELS_FILE).read_text(encoding="utf-8"))
    card = json.loads((exported_tiny / CARD_FILE).read_text(encoding="utf-8"))
    model = ExportedModel(exported_tiny)
    assert model.labels == [labels[str(i)] for i in range(len(labels))] and model.labels[0] == "O"
    assert model.max_seq_length == card["start_point"]["max_seq_length"]
    assert (exported_tiny / TOKENIZER_DIR / "vocab.txt").is_file()


@pytest.mark.parametrize("part", [*REQUIRED[:1], LABELS_FILE, TOKENIZER_DIR])
def test_a_missing_part_is_named(exported_tiny, tmp_path, part):
    broken = tmp_path / "export"
    shutil.copytree(exported_tiny, broken)
    target = broken / part
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(ExportError, match=f"not a complete export: missing {part}"):
        ExportedModel(broken)
