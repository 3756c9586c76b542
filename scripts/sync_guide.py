#!/usr/bin/env python3
"""Copy the user guide into the package: docs/user-guide.md is the one source; the app shows the copy
in resources/guide/ (with the images it links), because docs/ is not installed.

    python scripts/sync_guide.py          # copy (run after editing docs/user-guide.md)
    python scripts/sync_guide.py --check  # exit 1, naming what differs (tests/test_user_guide.py)
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "docs" / "user-guide.md"
TARGET = ROOT / "resources" / "guide"
sys.path.insert(0, str(ROOT))
from rnn_viz.ui.help import guide_images as images  # noqa: E402  (one reader of the guide's image links)


def differences() -> list[str]:
    text = SOURCE.read_text(encoding="utf-8")
    out = []
    copy = TARGET / "user-guide.md"
    if not copy.is_file() or copy.read_text(encoding="utf-8") != text:
        out.append(f"{copy.relative_to(ROOT)} differs from docs/user-guide.md")
    wanted = images(text)
    for rel in wanted:
        src, dst = SOURCE.parent / rel, TARGET / rel
        if not src.is_file():
            out.append(f"docs/user-guide.md shows {rel}, which docs/ lacks")
        elif not dst.is_file() or dst.read_bytes() != src.read_bytes():
            out.append(f"{dst.relative_to(ROOT)} differs from docs/{rel}")
    for extra in sorted((TARGET / "img").glob("*")) if (TARGET / "img").is_dir() else ():
        if f"img/{extra.name}" not in wanted:
            out.append(f"{extra.relative_to(ROOT)} is not shown by the guide")
    return out


def sync() -> None:
    text = SOURCE.read_text(encoding="utf-8")
    (TARGET / "img").mkdir(parents=True, exist_ok=True)
    (TARGET / "user-guide.md").write_text(text, encoding="utf-8")
    wanted = images(text)
    for rel in wanted:
        shutil.copyfile(SOURCE.parent / rel, TARGET / rel)
    for extra in (TARGET / "img").glob("*"):
        if f"img/{extra.name}" not in wanted:
            extra.unlink()


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        problems = differences()
        for p in problems:
            print(f"sync_guide: {p}; run python scripts/sync_guide.py", file=sys.stderr)
        sys.exit(1 if problems else 0)
    sync()
