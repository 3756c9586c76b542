"""rnn-viz: watch the error signal travel back through time in a recurrent network."""

__version__ = "0.1.0"
