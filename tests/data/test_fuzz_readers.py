"""Untrusted training files, mutated: every reader parses them or raises one error that names
the file and line, never a traceback from inside a library."""

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasa_electra.data.bio import BioFormatError, read_bio
from rasa_electra.data.rasa_nlu import (
    NluFormatError,
    read_rasa_data,
    read_rasa_markdown,
    to_rasa_markdown,
    to_rasa_yaml,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "data/examples/nlu.yml"


def mutations(original: bytes):
    """A real file, broken the ways files break: cut short, a byte or line changed, columns
    dropped or doubled, bad UTF-8, NUL, an enormous line."""
    lines = original.split(b"\n")
    index = st.integers(0, max(0, len(lines) - 1))
    junk = st.sampled_from([b"\xff\xfe", b"\x00", b"\t", b"\t\t", b"\r", b"B-", b"I-X", b"-",
                            b"[", b"](", b"{", b"- ", b"## intent:", b": [", b"\xe3\x81",
                            b"x" * 100_000])  # fmt: skip

    def replace_line(i, new):
        return b"\n".join([*lines[:i], new, *lines[i + 1 :]])

    def insert(i, extra):
        return b"\n".join([*lines[:i], extra + lines[i], *lines[i + 1 :]]) if lines else extra

    return st.one_of(
        st.integers(0, len(original)).map(lambda n: original[:n]),
        st.tuples(index, junk).map(lambda a: insert(*a)),
        st.tuples(index, junk).map(lambda a: replace_line(*a)),
        st.tuples(index, st.binary(max_size=20)).map(lambda a: replace_line(*a)),
        index.map(lambda i: replace_line(i, lines[i].replace(b"\t", b""))),
        index.map(lambda i: replace_line(i, lines[i].replace(b"\t", b"\t\t"))),
        index.map(lambda i: replace_line(i, lines[i].replace(b"B-", b"I-"))),
    )


def read_mutated(data: bytes, suffix: str, reader):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"train{suffix}"
        path.write_bytes(data)
        try:
            reader(path)
        except (BioFormatError, NluFormatError) as error:
            assert str(path) in str(error)  # the file, and
            assert re.match(rf"{re.escape(str(path))}:\d+: ", str(error)), error


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=mutations((FIXTURES / "mini.bio").read_bytes()))
def test_the_gsd_bio_reader_survives_mutation(data):
    read_mutated(data, ".bio", read_bio)


@FUZZ
@given(data=mutations(to_rasa_markdown(read_rasa_data(EXAMPLES)).encode()))
def test_the_markdown_reader_survives_mutation(data):
    read_mutated(data, ".md", read_rasa_markdown)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations(to_rasa_yaml(read_rasa_data(EXAMPLES)[:12]).encode()))
def test_the_yaml_reader_survives_mutation(data):
    read_mutated(data, ".yml", read_rasa_data)


@pytest.mark.parametrize(
    "data, where",
    [(b"\xe5\xb1\xb1\xe7\x94\xb0\tO\n\xff\tO\n", ":2"), (b"a\tO\n\x00\tO\n", None)],
)
def test_bad_bytes_name_their_line(tmp_path, data, where):
    path = tmp_path / "bad.bio"
    path.write_bytes(data)
    if where is None:
        read_bio(path)  # NUL is a character like any other in a token
        return
    with pytest.raises(BioFormatError, match=rf"bad\.bio{where}: not UTF-8"):
        read_bio(path)


def test_a_yaml_syntax_error_rasa_passes_on_names_its_file_and_line(tmp_path):
    """Hypothesis found it: Rasa's YAML reader lets ruamel's ScannerError through unwrapped."""
    path = tmp_path / "nlu.yml"
    path.write_bytes(b"&\xf0\x90\x80\x80\n" + EXAMPLES.read_bytes())
    where = re.escape(str(path))
    with pytest.raises(NluFormatError, match=rf"{where}:1: while scanning an anchor"):
        read_rasa_data(path)


@st.composite
def annotated_examples(draw):
    from rasa_electra.data.spans import Example, Span

    text = draw(st.text(alphabet="東京山田太郎は にへ。[](){}\"'#-:ＡB1 ", min_size=1, max_size=20))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=6)))
    pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
    labels = st.sampled_from(["GPE", "PERSON", "DATE"])
    spans = tuple(Span(a, b, draw(labels)) for a, b in pairs)
    return Example(text, spans, "inform")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=annotated_examples())
def test_conversion_writes_every_entity_or_says_why_not(example):
    from rasa_electra.data.annotation import UnrepresentableError

    try:
        yaml_text = to_rasa_yaml([example])
    except UnrepresentableError as error:  # counted and reported by the converter, with text
        assert repr(example.text) in str(error) or "empty text" in str(error)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nlu.yml"
        path.write_text(yaml_text, encoding="utf-8")
        (back,) = read_rasa_data(path)
    assert (back.text, back.spans) == (example.text, example.spans)
