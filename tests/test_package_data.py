"""Shipped files are found through importlib.resources (rnn_viz.package_data), not by a path into the
source tree, and an installation that cannot give a real path says so."""
import zipfile

import pytest

from rnn_viz import package_data
from rnn_viz.data.textdata import DEFAULT_TEXT
from rnn_viz.experiment.presets import PRESETS_DIR


def test_presets_and_texts_come_from_the_resource_package():
    root = package_data.resource_path()
    assert PRESETS_DIR == root / "presets" and DEFAULT_TEXT == root / "text" / "lighthouse.txt"
    assert (PRESETS_DIR / "default.toml").is_file() and DEFAULT_TEXT.is_file()
    assert package_data.resource_path("samples", "weather_daily.csv").is_file()


def test_a_zipped_installation_is_refused_in_words(tmp_path, monkeypatch):
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("rnn_viz/resources/presets/default.toml", "")
    monkeypatch.setattr(package_data, "files", lambda name: zipfile.Path(archive, "rnn_viz/resources/"))
    with pytest.raises(RuntimeError, match="presets is not on the filesystem"):
        package_data.resource_path("presets")
