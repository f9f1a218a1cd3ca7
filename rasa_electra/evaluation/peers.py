"""The peers ELECTRA is measured against beside Rasa's own components, as their users build them.

- ``spacy``: a spaCy 3 NER (CNN tok2vec, spaCy's own Japanese tokenizer: SudachiPy split mode A)
  trained by spaCy's training loop on the same train split, its best checkpoint chosen on dev
  (``model-best``). Its config is committed (``config-spacy.cfg``: ``spacy init config --lang ja
  --pipeline ner --optimize efficiency`` as generated).
- ``ginza``: ``ja_ginza`` off the shelf (PyPI), trained elsewhere on other data (UD Japanese
  BCCWJ + GSK2014-A), predicting Sekine's Extended Named Entity types; mapped to GSD's labels at
  scoring time by GiNZA's own ENE → OntoNotes table plus the two GSD labels it lacks.

Both are served in Rasa 3.6 by ``SpacyNLP`` + ``SpacyTokenizer`` + ``SpacyEntityExtractor``, so
load time, latency and the parse go through the same ``Agent`` as every other system. spaCy 3.4,
GiNZA 5.1 and SudachiPy share Rasa 3.6's environment (the ``peers`` extra).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from rasa_electra.data import gsd
from rasa_electra.data.alignment import MisalignmentReport, count_misaligned
from rasa_electra.data.spans import Example

SPACY_CONFIG = Path("config-spacy.cfg")
GINZA_MODEL = "ja_ginza"
# GSD-NE's labels that GiNZA's ENE → OntoNotes table has no target for (it sends these ENE types
# to OTHERS or, for Movement, to LAW); ja_ginza predicts both types, so they get GSD's names.
# GSD's PET_NAME has no ENE type that ja_ginza predicts.
GSD_LABELS_FROM_ENE = {"Title_Other": "TITLE_AFFIX", "Movement": "MOVEMENT"}


def ginza_label_map() -> dict[str, str]:
    """ENE type → GSD label for everything ja_ginza may predict; types that GiNZA's table sends
    to OTHERS or to a label GSD lacks (ANIMAL, EMAIL, URL) are left out: their predictions are
    dropped and counted."""
    from ginza.ene_ontonotes_mapper import ENE_ONTONOTES_MAPPING

    mapping = {ene: label for ene, label in ENE_ONTONOTES_MAPPING.items() if label in gsd.LABELS}
    return mapping | GSD_LABELS_FROM_ENE


def blank_japanese():
    """spaCy's Japanese language with its default tokenizer (SudachiPy, split mode A)."""
    import spacy

    return spacy.blank("ja")


def spacy_offsets(nlp):
    """The (start, end) offsets function of ``nlp``'s tokenizer, for ``count_misaligned``."""

    def offsets(text: str) -> list[tuple[int, int]]:
        return [(token.idx, token.idx + len(token)) for token in nlp.make_doc(text)]

    return offsets


def write_docbin(examples: Sequence[Example], nlp, path: Path) -> MisalignmentReport:
    """``examples`` as a spaCy DocBin; an entity whose edges fall inside a spaCy token cannot be
    an entity of that Doc: it is left out of the file and counted in the returned report."""
    from spacy.tokens import DocBin

    report = count_misaligned(examples, spacy_offsets(nlp))
    docs = DocBin(store_user_data=False)
    for example in examples:
        doc = nlp.make_doc(example.text)
        spans = [doc.char_span(s.start, s.end, label=s.label) for s in example.spans]
        doc.ents = [span for span in spans if span is not None]
        docs.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    docs.to_disk(path)
    return report


def train_spacy(
    train: Sequence[Example],
    dev: Sequence[Example],
    out_dir: Path,
    seed: int,
    config: Path = SPACY_CONFIG,
    overrides: dict[str, object] | None = None,
    log_path: Path | None = None,
) -> tuple[Path, MisalignmentReport]:
    """spaCy's own training loop on ``train``, evaluated on ``dev`` as it goes; returns the
    dev-best pipeline (``out_dir/model-best``) and the training split's misalignment report.

    spaCy's console table (steps, losses, dev P/R/F) streams to stderr as it trains and is kept
    in ``log_path``."""
    from spacy.cli.train import train as spacy_train

    nlp = blank_japanese()
    misaligned = write_docbin(train, nlp, out_dir / "train.spacy")
    write_docbin(dev, nlp, out_dir / "dev.spacy")
    overrides = {
        "paths.train": str(out_dir / "train.spacy"),
        "paths.dev": str(out_dir / "dev.spacy"),
        "system.seed": seed,
        **(overrides or {}),
    }
    log = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stderr, log)):
        spacy_train(config, out_dir / "pipeline", overrides=overrides)
    if log_path:
        log_path.write_text(log.getvalue(), encoding="utf-8")
    return out_dir / "pipeline" / "model-best", misaligned


class _Tee(io.TextIOBase):
    """Writes to several streams: spaCy's progress on the terminal and into a log."""

    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def folder_bytes(path: Path) -> int:
    """Size on disk of a model folder that a Rasa archive refers to but does not contain."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def installed_package_path(name: str) -> Path:
    """Where an installed spaCy model package (``ja_ginza``) lives, to count its size."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed: pip install -e '.[peers]'")
    return Path(next(iter(spec.submodule_search_locations)))
