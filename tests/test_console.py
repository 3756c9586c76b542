"""The command-line tools' shared terminal helpers."""
import math

import pytest

from rnn_viz.console import duration


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (187, "3 min 07 s"),
                                           (3600, "1 h 00 min"), (7500, "2 h 05 min"),
                                           (math.nan, "?"), (math.inf, "?")])
def test_duration_reads_as_a_person_would_say_it(seconds, text):
    assert duration(seconds) == text


def test_output_into_a_closed_pipe_ends_quietly_with_141():
    # `rnn-viz presets | head -1`: the reader goes away before rnn-viz has written everything.
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import sys; from rnn_viz.cli import main; sys.exit(main(['presets']))"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # before its first line: every write meets a closed pipe
    _, err = child.communicate(timeout=120)
    assert child.returncode == 141, err
    assert err == b""
