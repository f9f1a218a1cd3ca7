"""Suggested entities written into a bot's own Rasa NLU YAML for review (`rasa-electra annotate`).

The file is edited, not regenerated: ruamel.yaml's round trip keeps its comments, its order and
every section that is not an intent's examples. Only examples that have no entity are offered
suggestions; an annotated example, a synonym, a regex or a lookup table is never touched.

A suggestion's confidence goes in a YAML comment after its example. A literal block
(``examples: |``) cannot hold comments, so an intent that gains a suggestion is written as a list
of ``- text:`` items (Rasa reads both); a line of the block that is not an example (Rasa skips
it with a warning) is kept as a comment above the item that followed it.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from rasa_electra.data.annotation import annotate, parse_annotated
from rasa_electra.data.spans import Example, Span

# Rasa's: what it strips around an example's text (rasa_yaml.STRIP_SYMBOLS)
STRIP = "\n\r "
EXAMPLE_MARK = "-"  # a literal block's example lines start with it

# texts → their predicted spans, each with its confidence, under the bot's entity names
Suggest = Callable[[Sequence[str]], Sequence[Sequence[Span]]]


class SuggestionError(ValueError):
    """A file that is not Rasa NLU YAML this command can edit; names the file (and line)."""


@dataclass
class SuggestionReport:
    """What annotate did to a file: the counts a reviewer reads first."""

    examples: int = 0
    without_entities: int = 0
    gained: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    below_confidence: int = 0  # suggestions left out by min_confidence

    def lines(self) -> list[str]:
        labels = ", ".join(f"{label} {n}" for label, n in self.entities.most_common()) or "none"
        return [
            f"{self.examples} examples, {self.without_entities} without entities",
            f"{self.gained} of those gained {sum(self.entities.values())} suggested entities "
            f"({labels})",
            f"{self.below_confidence} suggestions below --min-confidence left out",
        ]

    def as_dict(self) -> dict:
        return {
            "examples": self.examples,
            "without_entities": self.without_entities,
            "gained": self.gained,
            "entities": dict(self.entities),
            "below_confidence": self.below_confidence,
        }


@dataclass
class _Slot:
    """One example of the file, where it sits, and what it becomes."""

    intent: CommentedMap
    index: int  # its place among the intent's examples
    text: str  # annotated, as written
    plain: str  # Rasa's plain text
    spans: list[Span]
    suggested: list[Span] = field(default_factory=list)


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments and order kept
    yaml.width = 2**31  # never fold a long example over two lines
    yaml.allow_unicode = True
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _examples(intent: CommentedMap) -> list[tuple[int, str]]:
    """An intent's examples as written (annotated), each with its place in the list form
    (``_as_list``'s items), in order."""
    value = intent.get("examples", "")
    if isinstance(value, str):
        lines = [line for line in value.splitlines() if line.startswith(EXAMPLE_MARK)]
        return [(index, line[1:].strip(STRIP)) for index, line in enumerate(lines)]
    return [
        (index, str(item.get("text", "")).strip(STRIP))
        for index, item in enumerate(value or [])
        if isinstance(item, dict)
    ]


def _slots(document: CommentedMap) -> list[_Slot]:
    slots = []
    for intent in document.get("nlu") or []:
        if not isinstance(intent, CommentedMap) or "intent" not in intent:
            continue
        for index, text in _examples(intent):
            plain, spans = parse_annotated(text)
            slots.append(_Slot(intent, index, text, plain, spans))
    return slots


def _comment(plain: str, spans: Sequence[Span]) -> str:
    return "suggested: " + ", ".join(
        f"{plain[s.start : s.end]} → {s.label} {s.confidence or 0.0:.2f}" for s in spans
    )


def _as_list(intent: CommentedMap) -> CommentedSeq:
    """The intent's examples as ``- text:`` items (a literal block turned into one)."""
    value = intent.get("examples", "")
    if not isinstance(value, str):
        return value
    items, skipped = CommentedSeq(), []
    for line in value.splitlines():
        if not line.startswith(EXAMPLE_MARK):
            skipped.append(line)
            continue
        items.append(CommentedMap(text=DoubleQuotedScalarString(line[1:].strip(STRIP))))
        if skipped:
            items.yaml_set_comment_before_after_key(
                len(items) - 1, before="\n".join(f"not an example: {s}" for s in skipped),
                indent=4,
            )  # fmt: skip
            skipped = []
    if skipped:  # after the last example: kept in the file, below it
        items.yaml_set_comment_before_after_key(
            len(items) - 1, after="\n".join(f"not an example: {s}" for s in skipped), indent=4
        )
    intent["examples"] = items
    return items


def suggest_entities(
    path: str | Path, suggest: Suggest, min_confidence: float = 0.0
) -> tuple[str, SuggestionReport]:
    """``path``'s YAML with entities suggested for its examples that have none, and the report.
    Suggestions below ``min_confidence`` are left out; the file itself is not written."""
    yaml = _yaml()
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SuggestionError(f"{path}{line}: {error}") from None
    if not isinstance(document, CommentedMap) or "nlu" not in document:
        raise SuggestionError(f"{path}:1: not Rasa NLU YAML (no `nlu:` section)")
    slots = _slots(document)
    report = SuggestionReport(examples=len(slots))
    bare = [slot for slot in slots if not slot.spans and slot.plain]
    report.without_entities = len(bare)
    for slot, spans in zip(bare, suggest([s.plain for s in bare]) if bare else [], strict=True):
        kept = [s for s in spans if (s.confidence or 0.0) >= min_confidence]
        report.below_confidence += len(spans) - len(kept)
        slot.suggested = kept
    for slot in bare:
        if not slot.suggested:
            continue
        report.gained += 1
        report.entities.update(span.label for span in slot.suggested)
        items = _as_list(slot.intent)
        spans = tuple(Span(s.start, s.end, s.label) for s in slot.suggested)
        suggested = Example(slot.plain, spans)
        items[slot.index]["text"] = DoubleQuotedScalarString(annotate(suggested))
        items[slot.index].yaml_add_eol_comment(_comment(slot.plain, slot.suggested), "text")
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue(), report
