"""Silver data for self-training: unlabeled sentences labelled by a teacher Rasa model.

Sentences come from plain-text sources (Wikipedia prose here, GSD's own domain), split as the
pretraining corpus is, kept when they are of a sentence's length, deduplicated, and never one
of the held-out sentences (GSD is drawn from Wikipedia, so its dev and test text can be in the
sources). The teacher is any trained Rasa model (the CRF pipeline, say) parsed through Rasa's
own Agent, so its entities are what it serves. Labelled sentences are written in chunks of Rasa
YAML; a rerun skips the chunks already written, then ``silver.yml`` joins them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from lab.pretraining.corpus import documents
from rasa_electra.data.rasa_nlu import read_rasa_data, write_rasa_yaml
from rasa_electra.data.spans import Example
from rasa_electra.evaluation.rasa_agent import parse_examples

MIN_CHARS, MAX_CHARS = 10, 160
CHUNK_FILE = "chunk-{:05d}.yml"
SILVER_FILE = "silver.yml"
SUMMARY_FILE = "summary.json"
TEACHER_FILE = "teacher.sha256"
# sentences a new teacher archive relabels before chunks labelled by another resume under it
TEACHER_SAMPLE = 1000


def key(text: str) -> str:
    """What two sentences share when they are the same sentence (width and spaces aside)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def sentences(sources: Iterable[tuple[Path, str]], limit: int, exclude: set[str]) -> Iterator[str]:
    """Up to ``limit`` distinct sentences of the sources, none of them in ``exclude`` (keys)."""
    seen: set[str] = set()
    count = 0
    for path, format in sources:
        for document in documents(path, format):
            for sentence in document:
                k = key(sentence)
                if not MIN_CHARS <= len(sentence) <= MAX_CHARS or k in seen or k in exclude:
                    continue
                seen.add(k)
                yield sentence
                count += 1
                if count >= limit:
                    return


def held_out_keys(files: Sequence[Path]) -> set[str]:
    """The keys of every sentence of the held-out files (Rasa YAML)."""
    return {key(example.text) for file in files for example in read_rasa_data(file)}


def check_teacher(teacher: Path, out: Path, sample: int = TEACHER_SAMPLE) -> None:
    """Chunks resume only under the teacher that labelled them. ``out`` records its digest.

    A teacher with another digest is accepted when it labels the first ``sample`` sentences of
    the first chunk exactly as they were labelled: a CRF retrained from the same config and
    data is a new archive with the same labels. Any other teacher is refused, not mixed in.
    """
    from rasa_electra.evaluation.harness import file_digest

    digest = file_digest(Path(teacher))
    record = out / TEACHER_FILE
    first = out / CHUNK_FILE.format(0)
    if record.is_file() and record.read_text(encoding="utf-8").strip() != digest:
        if not first.is_file() or not labels_alike(teacher, first, sample):
            raise ValueError(f"{out} was labelled by another teacher than {teacher}: "
                             "give another --out, or delete its chunks")  # fmt: skip
        tqdm.write(f"{teacher} is a new archive, but it labels the first {sample:,} sentences "
                   f"of {first} as they are: resuming under it")  # fmt: skip
    record.write_text(digest + "\n", encoding="utf-8")


def labels_alike(teacher: Path, chunk: Path, sample: int) -> bool:
    """Whether ``teacher`` gives the first ``sample`` sentences of ``chunk`` their spans."""
    stored = read_rasa_data(chunk)[:sample]
    parsed = parse_examples(teacher, [e.text for e in stored], f"teacher: check {chunk.name}")
    return all(set(e.spans) == set(p.spans) for e, p in zip(stored, parsed.predictions,
                                                            strict=True))  # fmt: skip


def label(
    teacher: Path,
    texts: list[str],
    out: Path,
    chunk_size: int = 5000,
) -> Path:
    """Label ``texts`` with ``teacher`` chunk by chunk into ``out``; resumes; returns
    ``out/silver.yml`` (every chunk joined) once all chunks exist."""
    out.mkdir(parents=True, exist_ok=True)
    check_teacher(teacher, out)
    chunks = [texts[i : i + chunk_size] for i in range(0, len(texts), chunk_size)]
    for number, chunk in enumerate(tqdm(chunks, desc="silver chunks", unit="chunk")):
        path = out / CHUNK_FILE.format(number)
        if path.is_file():
            continue
        parsed = parse_examples(teacher, chunk, f"teacher: chunk {number + 1}/{len(chunks)}")
        labelled = [Example(text, p.spans, "silver") for text, p in zip(chunk, parsed.predictions,
                                                                       strict=True)]  # fmt: skip
        partial = path.with_suffix(".partial")
        write_rasa_yaml(labelled, partial)
        partial.rename(path)  # a chunk exists whole or not at all
    examples = [e for n in range(len(chunks)) for e in read_rasa_data(out / CHUNK_FILE.format(n))]
    silver = out / SILVER_FILE
    write_rasa_yaml(examples, silver)
    summary = {
        "teacher": str(teacher),
        "sentences": len(examples),
        "entities": sum(len(e.spans) for e in examples),
        "sentences_with_entities": sum(bool(e.spans) for e in examples),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return silver
