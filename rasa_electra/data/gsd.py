"""UD_Japanese-GSD with Megagon Labs' NE labels: where the release files are and how to get them.

Derived data is CC BY-SA 4.0, like the treebank (see README for the citation).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

VERSIONS = ("v2.6-NE", "r2.8-NE")
SPLITS = ("train", "dev", "test")
# the release's 22 labels (its README): OntoNotes' plus TITLE_AFFIX, MOVEMENT, PET_NAME, PHONE
LABELS = frozenset(
    [
        "PERSON",
        "DATE",
        "ORG",
        "GPE",
        "QUANTITY",
        "PRODUCT",
        "ORDINAL",
        "FAC",
        "NORP",
        "WORK_OF_ART",
        "LOC",
        "TITLE_AFFIX",
        "EVENT",
        "MONEY",
        "TIME",
        "PERCENT",
        "MOVEMENT",
        "LANGUAGE",
        "LAW",
        "PET_NAME",
        "CARDINAL",
        "PHONE",
    ]
)
RELEASE_URL = (
    "https://github.com/megagonlabs/UD_Japanese-GSD/releases/download/{version}/{split}.bio"
)
ENV_VAR = "RASA_ELECTRA_GSD_DIR"  # a folder holding <version>/{train,dev,test}.bio
DEFAULT_CACHE = Path.home() / ".cache" / "rasa-electra" / "gsd"


class GsdNotFoundError(FileNotFoundError):
    """The release files are neither local nor downloadable."""


def _split_files(folder: Path) -> dict[str, Path] | None:
    files = {split: folder / f"{split}.bio" for split in SPLITS}
    return files if all(path.is_file() for path in files.values()) else None


def locate(
    version: str, source: str | Path | None = None, cache: Path = DEFAULT_CACHE
) -> dict[str, Path]:
    """Paths of ``{train,dev,test}.bio`` for a release version.

    Looks in ``source`` (the version's folder or its parent), then ``$RASA_ELECTRA_GSD_DIR``,
    then the download cache; downloads the canonical release files when none has them.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown GSD NE version {version!r}; choose one of {', '.join(VERSIONS)}")
    candidates = []
    if source is not None:
        candidates += [Path(source), Path(source) / version]
    elif os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]) / version)
    for folder in candidates:
        if files := _split_files(folder):
            return files
    if source is not None:
        raise GsdNotFoundError(
            f"{source} holds neither {{train,dev,test}}.bio nor a {version}/ folder with them"
        )
    if files := _split_files(cache / version):
        return files
    return download(version, cache / version)


def download(version: str, folder: Path) -> dict[str, Path]:
    """Fetch the release's BIO files into ``folder`` (atomically, one file at a time)."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        target = folder / f"{split}.bio"
        if target.is_file():
            continue
        url = RELEASE_URL.format(version=version, split=split)
        partial = target.with_suffix(".part")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                partial.write_bytes(response.read())
        except (urllib.error.URLError, OSError) as error:
            partial.unlink(missing_ok=True)
            raise GsdNotFoundError(
                f"could not download {url} ({error}). Without network access, pass the folder "
                f"that holds the release files with --source DIR or set ${ENV_VAR}."
            ) from error
        partial.rename(target)
    return {split: folder / f"{split}.bio" for split in SPLITS}
