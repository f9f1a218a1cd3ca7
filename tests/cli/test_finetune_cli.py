"""The fine-tuning and vocabulary commands, run as a user runs them."""

import json
import statistics
import subprocess
import sys

import pytest

from rasa_electra.tokenization.subwords import SubwordTokenizer


def run(repo, *args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=repo, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_two_trials_give_mean_and_std_and_an_export(repo, pytorch_layout_dir, tmp_path):
    data = str(repo / "data/examples/nlu.yml")
    result = run(
        repo, "rasa_electra.cli.finetune", "--start-point", str(pytorch_layout_dir),
        "--train", data, "--dev", data, "--test", data, "--epochs", "2", "--trials", "2",
        "--batch-size", "8", "--learning-rate", "3e-3", "--max-seq-length", "24",
        "--label-scheme", "BIOES", "--layerwise-lr-decay", "0.8", "--head", "softmax",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [t["seed"] for t in results["trials"]] == [42, 43]
    f1s = [t["test"]["micro"]["f1"] for t in results["trials"]]
    assert results["test"]["micro"]["f1"]["mean"] == pytest.approx(statistics.fmean(f1s), abs=1e-6)
    assert results["test"]["micro"]["f1"]["std"] == pytest.approx(statistics.stdev(f1s), abs=1e-6)
    assert all(len(t["epochs"]) == 2 and t["epochs"][0]["seconds"] > 0 for t in results["trials"])
    card = json.loads((tmp_path / "export/model_card.json").read_text(encoding="utf-8"))
    assert card["start_point"]["label_scheme"] == "BIOES"
    assert card["hyperparameters"]["layerwise_lr_decay"] == 0.8
    assert "E-PERSON" in json.loads((tmp_path / "export/labels.json").read_text()).values()
    assert "test: P" in result.stdout and "± " in result.stdout
    assert not (tmp_path / "checkpoints").exists()  # a whole run leaves nothing to resume


def test_random_init_needs_a_vocabulary(repo, tmp_path):
    data = str(repo / "data/examples/nlu.yml")
    result = run(repo, "rasa_electra.cli.finetune", "--random-init", "tiny",
                 "--train", data, "--dev", data, "--test", data,
                 "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 2 and "--random-init needs --vocab" in result.stderr


def test_vocabulary_from_rasa_data_loads_in_the_fine_tuning_tokenizer(repo, tmp_path):
    result = run(repo, "lab.cli.build_vocab", "--rasa",
                 str(repo / "data/examples/nlu.yml"),
                 "--size", "300", "--min-frequency", "1", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    vocab = (tmp_path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = SubwordTokenizer.from_directory(tmp_path)
    tokenized = tokenizer.tokenize("山田太郎さんは東京に住んでいます。")
    ids = [p.id for word in tokenized.word_pieces for p in word]
    assert tokenizer.pieces.unk_token_id not in ids  # every piece of a training sentence is known


def test_unreachable_start_point_falls_back_and_says_so(repo, pytorch_layout_dir, tmp_path):
    import os

    data = str(repo / "data/examples/nlu.yml")
    offline = {**os.environ, "HF_HUB_OFFLINE": "1"}  # the hub unreachable, as on these machines
    result = subprocess.run(
        [sys.executable, "-m", "rasa_electra.cli.finetune",
         "--start-point", "electra-small-japanese",
         "--fallback", str(tmp_path / "not-pretrained-yet"), "--fallback", str(pytorch_layout_dir),
         "--train", data, "--dev", data, "--test", data, "--epochs", "1", "--batch-size", "8",
         "--max-seq-length", "24", "--head", "softmax", "--out", str(tmp_path / "out")],
        cwd=repo, capture_output=True, text=True, timeout=900, env=offline,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'electra-small-japanese' cannot be used: could not fetch" in result.stderr
    assert f"falling back to '{pytorch_layout_dir}'" in result.stderr
    results = json.loads((tmp_path / "out/results.json").read_text(encoding="utf-8"))
    assert results["start_point"]["source"] == str(pytorch_layout_dir)

    missing = str(tmp_path / "missing")
    nothing = run(repo, "rasa_electra.cli.finetune", "--start-point", missing, "--train", data,
                  "--dev", data, "--test", data, "--out", str(tmp_path / "x"))  # fmt: skip
    assert nothing.returncode == 2 and "no usable start point" in nothing.stderr
