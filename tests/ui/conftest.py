import gc

import pytest


@pytest.fixture(autouse=True)
def collect_garbage_in_the_gui_thread():
    """As the app does (rnn_viz/ui/app.py): no automatic cyclic collection while a test runs, so a
    worker thread can never collect Qt items left over from earlier tests while the GUI thread
    paints (that crashed the process, about one full run in four); collect here, in the GUI thread."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()
    gc.collect()
