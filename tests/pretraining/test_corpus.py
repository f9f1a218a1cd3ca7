"""Corpus rules: the write-up's Wikipedia filters, sentence splitting, formats, streaming."""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from lab.livedoor import categories, read_articles
from lab.pretraining.corpus import documents, read_corpus, split_sentences, write_corpus


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("今日は晴れ。明日は雨。", ["今日は晴れ。", "明日は雨。"]),
        # a quoted sentence stays inside its sentence; 。 right before 」 is not a boundary
        ("彼は「行く。」と言った。次だ。", ["彼は「行く。」と言った。", "次だ。"]),
        # the brackets closing right after 。 belong to the sentence that ends there
        ("終わった。」そして続く。", ["終わった。」", "そして続く。"]),
        ("文の途中で終わる", ["文の途中で終わる"]),
        ("Ａ。。Ｂ", ["Ａ。。", "Ｂ"]),
        ("  ", []),
    ],
)
def test_split_sentences(line: str, expected: list[str]) -> None:
    assert split_sentences(line) == expected


def test_wiki_rules(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki.txt"
    wiki.write_text(
        '<doc id="1" title="東京">\n東京\n東京は首都である。人口が多い。\n'
        "見出しのような行\nCategory:日本の都市。\n。で始まる行。\n"
        "thumb|写真の説明。\n</doc>\n"
        '<doc id="2" title="空">\n空\n</doc>\n'
        '<doc id="3" title="京都">\n京都\n京都は古都である。\n</doc>\n',
        encoding="utf-8",
    )
    assert list(documents(wiki, "wiki")) == [
        ["東京は首都である。", "人口が多い。"],
        ["京都は古都である。"],
    ]


def test_plain_lines_and_xz(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt.xz"
    with lzma.open(plain, "wt", encoding="utf-8") as handle:
        handle.write("一つ目。二つ目。\n続き\n\n\n別の文書。\n")
    assert list(documents(plain, "plain")) == [["一つ目。", "二つ目。", "続き"], ["別の文書。"]]
    lines = tmp_path / "lines.txt"
    lines.write_text("問い？\n\n答え。次。\n", encoding="utf-8")
    assert list(documents(lines, "lines")) == [["問い？"], ["答え。", "次。"]]


def test_livedoor(livedoor_tree, tmp_path: Path) -> None:
    root = livedoor_tree(tmp_path / "livedoor")
    assert categories(root) == ["it-life-hack", "peachy", "sports-watch"]
    articles = list(read_articles(root))
    assert len(articles) == 9
    assert articles[0].title == "it-life-hackの記事0"
    assert articles[0].body == ["本文です。it-life-hackについて書く。"]
    assert next(documents(root, "livedoor")) == [
        "it-life-hackの記事0", "本文です。", "it-life-hackについて書く。",
    ]  # fmt: skip


def test_write_then_read_back(tmp_path: Path) -> None:
    source = tmp_path / "lines.txt"
    source.write_text("一。二。\n三。\n", encoding="utf-8")
    out = tmp_path / "corpus.txt"
    with out.open("w", encoding="utf-8") as handle:
        counts = write_corpus([(source, "lines")], handle)
    assert counts == {"documents": 2, "sentences": 3, "characters": 6}
    assert out.read_text(encoding="utf-8") == "一。\n二。\n\n三。\n\n"
    assert list(read_corpus(out)) == [["一。", "二。"], ["三。"]]


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        list(documents(tmp_path, "html"))
