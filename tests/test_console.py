"""The command-line tools' shared terminal helpers."""
import math

import pytest

from rnn_viz.console import duration


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (187, "3 min 07 s"),
                                           (3600, "1 h 00 min"), (7500, "2 h 05 min"),
                                           (math.nan, "?"), (math.inf, "?")])
def test_duration_reads_as_a_person_would_say_it(seconds, text):
    assert duration(seconds) == text
