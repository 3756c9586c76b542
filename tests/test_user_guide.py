"""The user guide has one source, docs/user-guide.md; the app shows the copy shipped in the package
(resources/guide/, made by scripts/sync_guide.py) with every image it links."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_packaged_guide_is_a_copy_of_docs_user_guide():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_guide.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_image_the_guide_shows_is_shipped():
    from rnn_viz.package_data import resource_path

    guide = resource_path("guide", "user-guide.md")
    text = guide.read_text(encoding="utf-8")
    from rnn_viz.ui.help import guide_images

    images = guide_images(text)
    assert images
    for rel in images:
        assert (guide.parent / rel).is_file(), rel
