from collections import Counter

import pytest

from rasa_electra.data.spans import Example, Span
from rasa_electra.data.splits import holdout

EXAMPLES = [Example(f"文{i}", (Span(0, 1, "X"),), "a" if i < 10 else "b") for i in range(30)]


def test_each_intent_gives_its_share_to_test_and_nothing_is_lost():
    train, test = holdout(EXAMPLES, 0.3, seed=1)
    assert Counter(e.intent for e in test) == {"a": 3, "b": 6}
    assert sorted(e.text for e in train + test) == sorted(e.text for e in EXAMPLES)
    assert holdout(EXAMPLES, 0.3, seed=1) == (train, test)
    assert holdout(EXAMPLES, 0.3, seed=2) != (train, test)


@pytest.mark.parametrize("fraction", [0, 1, 1.5])
def test_a_fraction_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        holdout(EXAMPLES, fraction)
