"""``python -m rnn_viz``: the same as the ``rnn-viz`` command."""
import sys

from rnn_viz.cli import main

if __name__ == "__main__":
    sys.exit(main())
