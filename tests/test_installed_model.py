"""The shipped encoder as an installable model: its wheel and the project's, installed (not
editable) into a fresh venv, and `rasa train` in an unrelated folder with
`pretrained: electra-small-ja`.

The fresh venv takes its third-party dependencies (Rasa, TensorFlow) from this environment's
site-packages through a plain path line, which does not process that directory's own ``.pth``
files: the editable install of this clone stays out of it, so rasa_electra and the model are
the wheels' copies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")


def run(*command: str, cwd: Path, timeout: int = 600) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> list[Path]:
    """The model's wheel and the project's, each built from a copy of its sources."""
    work = tmp_path_factory.mktemp("wheels")
    shutil.copytree(REPO / "pretrained", work / "pretrained")
    project = work / "project"
    shutil.copytree(REPO / "rasa_electra", project / "rasa_electra",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, project / name)
    for source in (work / "pretrained", project):
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
            str(source), "-w", str(work / "dist"), cwd=work)  # fmt: skip
    return sorted((work / "dist").glob("*.whl"))


@pytest.fixture(scope="module")
def fresh_python(wheels, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=venv).strip())  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
        *map(str, wheels), cwd=venv)  # fmt: skip
    return python


def test_the_model_wheel_holds_the_encoder_and_git_one_copy(wheels):
    (model,) = [w for w in wheels if w.name.startswith("electra_small_ja")]
    import zipfile

    names = set(zipfile.ZipFile(model).namelist())
    assert {"electra_small_ja/model.safetensors", "electra_small_ja/vocab.txt",
            "electra_small_ja/pretraining_card.json"} <= names  # fmt: skip
    if (REPO / ".git").exists():
        tracked = run("git", "ls-files", "*.safetensors", cwd=REPO).split()
        assert sorted(tracked) == ["pretrained/electra-small-ja/entity_head.safetensors",
                                   "pretrained/electra-small-ja/model.safetensors"]  # fmt: skip


def test_rasa_train_names_the_installed_encoder_from_any_folder(fresh_python, tmp_path):
    where = run(str(fresh_python), "-c",
                "import rasa_electra, electra_small_ja; print(rasa_electra.__file__); "
                "print(electra_small_ja.__file__)", cwd=tmp_path).split()  # fmt: skip
    venv = fresh_python.parents[1]
    assert all(Path(path).is_relative_to(venv) for path in where), where  # not this clone
    listed = run(str(fresh_python), "-m", "rasa_electra.cli", "info", "--json", cwd=tmp_path)
    assert [m["name"] for m in json.loads(listed)] == ["electra-small-ja"]

    bot = tmp_path / "bot"
    bot.mkdir()
    shutil.copy2(REPO / "data/examples/nlu.yml", bot / "nlu.yml")
    (bot / "config.yml").write_text(
        "language: ja\nassistant_id: installed-model\npipeline:\n"
        "  - name: rasa_electra.components.japanese_tokenizer.JapaneseTokenizer\n"
        "  - name: rasa_electra.components.electra_entity_extractor.ElectraEntityExtractor\n"
        "    pretrained: electra-small-ja\n    epochs: 1\n    min_train_steps: 0\n"
        "    max_seq_length: 32\n    average_seeds: 1\n    backend: savedmodel\n",
        encoding="utf-8",
    )
    run(str(fresh_python), "-m", "rasa", "train", "nlu", "--config", "config.yml", "--nlu",
        "nlu.yml", "--out", "models", "--fixed-model-name", "bot",
        cwd=bot, timeout=900)  # fmt: skip
    with tarfile.open(bot / "models" / "bot.tar.gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("export/model_card.json"))
        card = json.loads(tar.extractfile(member).read())
    assert card["start_point"]["source"] == "electra-small-ja"
