"""Where one message's time goes inside the component: MeCab, subwords, windows, model, decoding.

Runs the same stage functions ``features.predict`` composes, one message at a time, timing each.
For benchmark scripts only: timings are printed and recorded, never asserted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from rasa_electra.data.spans import Example
from rasa_electra.model import features
from rasa_electra.serving.servable import Servable

STAGES = ("mecab", "subwords", "windows", "padding", "model", "decoding")


def profile_stages(model: Servable, texts: Sequence[str]) -> dict[str, list[float]]:
    """Milliseconds per stage per message (after one warm-up message)."""
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    tokenizer, pad = model.tokenizer, model.tokenizer.pieces.pad_token_id
    for index, text in enumerate([texts[0], *texts]):
        marks = [time.perf_counter()]
        words = tokenizer.words.tokenize(text)
        marks.append(time.perf_counter())
        tokenized = tokenizer.tokenize(text, words)
        marks.append(time.perf_counter())
        example = Example(text)
        encoded = features.encode(
            [example], tokenizer, None, model.max_seq_length, tokenized=[tokenized]
        )
        marks.append(time.perf_counter())
        padded = list(features.batches(encoded.windows, 32, pad))
        marks.append(time.perf_counter())
        outputs = [model.run(inputs) for _, inputs, _ in padded]
        marks.append(time.perf_counter())
        # decoding: the same code as predict, with the model answers already in hand
        answers = iter(outputs)
        probs = features.word_probabilities(
            encoded, len(model.labels), lambda _, answers=answers: next(answers), 32, pad
        )
        features.decode_words(
            example, tokenized, probs[0], model.decoder, model.word_features, model.memory
        )
        marks.append(time.perf_counter())
        if index:  # the first message only warms up
            for stage, start, stop in zip(STAGES, marks[:-1], marks[1:], strict=True):
                timings[stage].append(1000 * (stop - start))
    return timings


def stage_table(timings: dict[str, list[float]]) -> str:
    """Markdown: mean and p50 per stage, and each stage's share of the mean total."""
    total = sum(statistics.fmean(values) for values in timings.values())
    lines = ["| stage | mean ms | p50 ms | share |", "|---|---:|---:|---:|"]
    for stage, values in timings.items():
        mean = statistics.fmean(values)
        lines.append(
            f"| {stage} | {mean:.3f} | {statistics.median(values):.3f} | {mean / total:.1%} |"
        )
    lines.append(f"| total | {total:.3f} | | |")
    return "\n".join(lines)
