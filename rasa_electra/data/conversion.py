"""GSD BIO release → Rasa markdown + YAML, verified by reading the files back.

The YAML is read back with Rasa's own loader and the markdown with this package's reader; any
example whose text or spans differ is a mismatch and is listed in the summary (expected: none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rasa_electra.data.alignment import TokenOffsets, count_misaligned
from rasa_electra.data.bio import read_bio
from rasa_electra.data.rasa_nlu import (
    read_rasa_data,
    read_rasa_markdown,
    write_rasa_markdown,
    write_rasa_yaml,
)
from rasa_electra.data.spans import Example, count_labels, same_annotation

DEFAULT_INTENT = "gsd_sentence"


@dataclass
class SplitSummary:
    """What one split's conversion produced and found."""

    sentences: int
    entities: int
    labels: dict[str, int]
    oddities: list[str]
    yaml_mismatches: list[str]
    markdown_mismatches: list[str]
    mecab_misaligned: dict[str, object] = field(default_factory=dict)


def _mismatches(expected: list[Example], got: list[Example]) -> list[str]:
    if len(expected) != len(got):
        return [f"{len(expected)} examples written, {len(got)} read back"]
    return [f"{expected[i].source}: {expected[i].text!r}" for i in same_annotation(expected, got)]


def convert_split(
    bio_path: Path,
    out_dir: Path,
    split: str,
    intent: str = DEFAULT_INTENT,
    repair_orphan_inside: bool = False,
    word_offsets: TokenOffsets | None = None,
) -> SplitSummary:
    """Convert one ``.bio`` file to ``<split>.yml`` and ``<split>.md`` and check both;
    ``word_offsets`` (MeCab's, from the caller) counts entities off word boundaries."""
    document = read_bio(bio_path, intent=intent, repair_orphan_inside=repair_orphan_inside)
    examples = document.examples
    yaml_path, markdown_path = out_dir / f"{split}.yml", out_dir / f"{split}.md"
    write_rasa_yaml(examples, yaml_path)
    write_rasa_markdown(examples, markdown_path)

    misaligned = {}
    if word_offsets is not None:
        texts = tqdm(examples, desc=f"{split}: word boundaries", unit="sent", leave=False)
        misaligned = count_misaligned(texts, word_offsets).as_dict()
    labels = count_labels(examples)
    return SplitSummary(
        sentences=len(examples),
        entities=sum(labels.values()),
        labels=dict(labels.most_common()),
        oddities=document.oddities.summary(),
        yaml_mismatches=_mismatches(examples, read_rasa_data(yaml_path)),
        markdown_mismatches=_mismatches(examples, read_rasa_markdown(markdown_path).examples),
        mecab_misaligned=misaligned,
    )


def convert_release(
    files: dict[str, Path],
    out_dir: Path,
    intent: str = DEFAULT_INTENT,
    repair_orphan_inside: bool = False,
    word_offsets: TokenOffsets | None = None,
) -> dict[str, SplitSummary]:
    """Convert every split and write ``summary.json`` beside the data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summaries = {
        split: convert_split(path, out_dir, split, intent, repair_orphan_inside, word_offsets)
        for split, path in tqdm(files.items(), desc="converting", unit="split")
    }
    report = {split: vars(summary) for split, summary in summaries.items()}
    (out_dir / "summary.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summaries


def format_summary(summaries: dict[str, SplitSummary]) -> str:
    """A plain-text table of counts, then mismatches and misalignment per split.

    Oddities are not repeated here: ``read_bio`` logs them as it reads.
    """
    labels = sorted(
        {label for s in summaries.values() for label in s.labels},
        key=lambda label: -sum(s.labels.get(label, 0) for s in summaries.values()),
    )
    splits = list(summaries)
    width = max([len("sentences"), *map(len, labels)])
    rows = [f"{'':<{width}} " + " ".join(f"{split:>7}" for split in splits)]
    rows.append(
        f"{'sentences':<{width}} " + " ".join(f"{summaries[s].sentences:>7,}" for s in splits)
    )
    rows.append(
        f"{'entities':<{width}} " + " ".join(f"{summaries[s].entities:>7,}" for s in splits)
    )
    for label in labels:
        rows.append(
            f"{label:<{width}} "
            + " ".join(f"{summaries[s].labels.get(label, 0):>7,}" for s in splits)
        )
    for split, summary in summaries.items():
        m = summary.mecab_misaligned
        rows.append(
            f"{split}: round-trip mismatches yaml={len(summary.yaml_mismatches)} "
            f"markdown={len(summary.markdown_mismatches)}; entities not on MeCab boundaries "
            f"{m['misaligned']}/{m['entities']} ({100 * m['rate']:.2f}%; start {m['bad_start']}, "
            f"end {m['bad_end']})"
        )
        rows.extend(f"  {split} mismatch: {line}" for line in summary.yaml_mismatches[:5])
    return "\n".join(rows)
