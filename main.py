"""Start the rnn-viz desktop app (same as the `rnn-viz` command)."""
import sys

from rnn_viz.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
