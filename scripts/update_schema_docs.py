"""Rewrite the [model] and [training] tables of docs/file-formats.md from the settings schema.

    .venv/bin/python scripts/update_schema_docs.py

tests/experiment/test_schema.py fails while the docs and the schema disagree.
"""
from pathlib import Path

from rnn_viz.experiment.config import MODEL_SETTINGS, TRAINING_SETTINGS
from rnn_viz.experiment.schema import markdown_table, replace_tables

DOC = Path(__file__).resolve().parent.parent / "docs" / "file-formats.md"


def tables() -> dict[str, str]:
    return {"model": markdown_table(MODEL_SETTINGS), "training": markdown_table(TRAINING_SETTINGS)}


if __name__ == "__main__":
    DOC.write_text(replace_tables(DOC.read_text(encoding="utf-8"), tables()), encoding="utf-8")
    print(f"updated {DOC}")
