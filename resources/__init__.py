"""The files rnn-viz ships: guided experiments (presets/), built-in texts (text/), sample data (samples/).

Built into the wheel as the package ``rnn_viz.resources`` (pyproject.toml maps this folder there), so
code finds them through ``importlib.resources`` wherever rnn-viz is installed; see
``rnn_viz.package_data``. This file makes the folder a regular package, which an editable install
(``pip install -e .``) needs to map it.
"""
