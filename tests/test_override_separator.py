"""Which ':' of an unparsable override is taken for a swapped '=' (trainlab/override_separator.py); the messages
that name the form it meant are pinned in test_hydra_errors.py."""

from __future__ import annotations

import pytest

from trainlab.override_separator import first_separator, separator_advice


@pytest.mark.parametrize(("word", "index"), [
    ("optimizer:adam", 9),
    ("+trainer.max_epochs:1", 19),
    ("hydra.run.dir=/tmp/a:b", None),  # after the '=': part of the value
    ("'a:b':c", 5),  # inside quotes: not the separator
    ("[a:b]:c", 5),  # inside brackets: not the separator
    ("optimizer.lr=interval(0.1", None),
])
def test_the_separator_taken_for_a_swapped_equals_is_the_first_colon_outside_quotes_and_brackets(word, index):
    assert first_separator(word) == index


def test_advice_is_given_only_where_the_word_with_equals_parses():
    assert separator_advice("optimizer:adam") == "; did you mean optimizer=adam? (an override is key=value)"
    assert separator_advice("optimizer:[adam") == ""  # optimizer=[adam does not parse either
    assert separator_advice("optimizer") == ""  # no ':' at all
