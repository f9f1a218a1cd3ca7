"""A WordPiece vocabulary learned on MeCab words (the `tokenizers` library).

Words are MeCab's, so the vocabulary fits the subword tokenizer the fine-tuning and the Rasa
component use (``rasa_electra.tokenization.subwords``). Special tokens come first, BERT's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from rasa_electra.tokenization.mecab import MecabTokenizer
from rasa_electra.tokenization.subwords import SPECIAL_TOKENS

# in BERT's order: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4
_BERT_ORDER = ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token")
VOCAB_SPECIALS = [SPECIAL_TOKENS[name] for name in _BERT_ORDER]


def build_wordpiece_vocab(
    texts: Iterable[str],
    out_dir: str | Path,
    vocab_size: int = 32000,
    min_frequency: int = 2,
    limit_alphabet: int = 6000,
    mecab_args: str | None = None,
) -> Path:
    """Train WordPiece on MeCab words of ``texts`` (streamed) and write ``out_dir/vocab.txt``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    mecab = MecabTokenizer(mecab_args)

    def words() -> Iterator[str]:
        for text in tqdm(texts, desc="MeCab words for WordPiece", unit="line"):
            yield " ".join(w.text for w in mecab.tokenize(text))

    tokenizer = Tokenizer(models.WordPiece(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        limit_alphabet=limit_alphabet,
        special_tokens=VOCAB_SPECIALS,
        show_progress=False,
    )
    tokenizer.train_from_iterator(words(), trainer=trainer)
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "vocab.txt"
    path.write_text("".join(f"{token}\n" for token, _ in vocab), encoding="utf-8")
    return path
