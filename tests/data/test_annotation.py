"""Inline annotation must read back exactly through Rasa's own parser, whatever the text holds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_electra.data.annotation import UnrepresentableError, annotate, parse_annotated
from rasa_electra.data.spans import Example, Span


def round_trip(example: Example) -> tuple[str, tuple[Span, ...]]:
    text, spans = parse_annotated(annotate(example))
    return text, tuple(spans)


@pytest.mark.parametrize(
    "text, spans",
    [
        ("右にある[表示]をクリック", []),  # real GSD sentence: brackets not followed by (…)
        ("x[y 東京です", [Span(4, 6, "GPE")]),  # stray '[' before an entity
        ("[注](1)を参照", []),  # plain text that looks exactly like an annotation
        ("[a]{b} と [c][d]", []),  # the dict and list forms, as plain text
        ("西日本バンドー(株)の所在地", [Span(0, 10, "ORG")]),  # entity holding ( )
        ("a[b](c) [x]", [Span(0, 1, "X"), Span(2, 3, "Y")]),
        ("[[東京]]", [Span(2, 4, "GPE")]),
        ("ラベル", [Span(0, 3, "A:B)")]),  # label Rasa's (LABEL) form cannot hold
        ("値", [Span(0, 1, "X", value="}{", role="r", group="g")]),
    ],
)
def test_clashing_characters_round_trip(text, spans):
    example = Example(text, tuple(spans))
    assert round_trip(example) == (example.text, example.spans)


def test_plain_annotation_is_kept_when_it_already_reads_back():
    example = Example("山田太郎は東京へ", (Span(0, 4, "PERSON"), Span(5, 7, "GPE")))
    assert annotate(example) == "[山田太郎](PERSON)は[東京](GPE)へ"


def test_entity_containing_closing_bracket_is_reported_not_changed():
    example = Example("[表示]ボタン", (Span(0, 4, "PRODUCT"),))
    with pytest.raises(UnrepresentableError, match=r"entity text '\[表示\]' contains '\]'"):
        annotate(example)


CLASHING = st.sampled_from(list('[](){}:"\\,|#- \t東京山田です😀\u3000aZ0'))
LABELS = st.sampled_from(["PERSON", "GPE", "DATE", "a:b", "x)y", "{z}"])


@st.composite
def examples(draw):
    text = "".join(draw(st.lists(st.one_of(CLASHING, st.characters()), min_size=1, max_size=25)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=6))))
    spans = [
        Span(start, end, draw(LABELS))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False)
        if draw(st.booleans())
    ]
    return Example(text, tuple(s for s in spans if s.start < s.end))


@settings(max_examples=400, deadline=None)
@given(examples())
def test_any_text_round_trips_unless_an_entity_holds_a_closing_bracket(example):
    if any("]" in example.span_text(s) for s in example.spans):
        with pytest.raises(UnrepresentableError):
            annotate(example)
    else:
        assert round_trip(example) == (example.text, example.spans)
