"""Shared fixtures: paths to the repository, the test fixtures and the real GSD data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mini_bio() -> Path:
    """A hand-written BIO file with v2.6-NE's defects (CRLF on entity lines, empty last tag)."""
    return FIXTURES / "mini.bio"


@pytest.fixture(scope="session")
def gsd_root() -> Path:
    """The real GSD NE release folders; $RASA_ELECTRA_GSD_DIR overrides ../shared/data/…."""
    root = Path(
        os.environ.get("RASA_ELECTRA_GSD_DIR", REPO.parent / "shared/data/ud_japanese_gsd_ne")
    )
    if not (root / "v2.6-NE" / "train.bio").is_file():
        pytest.skip(f"real GSD data not found at {root} (set RASA_ELECTRA_GSD_DIR)")
    return root


@pytest.fixture(scope="session")
def converted_gsd(gsd_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both real GSD NE versions converted once with the real command (``training.convert``)."""
    from training.convert import main

    folders = {}
    for version in ("v2.6-NE", "r2.8-NE"):
        out = tmp_path_factory.mktemp(f"gsd_{version}")
        assert main(["--source", str(gsd_root), "--version", version, "--out", str(out)]) == 0
        folders[version] = out
    return folders
