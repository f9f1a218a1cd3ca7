"""The project's own pretraining output is a start point: made by the real pretraining commands
in their torch environment, loaded into the TF fine-tuning here without importing torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rasa_electra.model import DataLoader, model_spec, ner

REPO = Path(__file__).resolve().parents[2]
LABELS = ["O", "B-GPE", "I-GPE"]


def pretrain_python() -> Path:
    python = Path(
        os.environ.get("RASA_ELECTRA_PRETRAIN_PYTHON", REPO / ".venv-pretrain" / "bin" / "python")
    )
    if not python.is_file():
        pytest.fail(f"{python} missing: run `make pretrain-setup` (make test does it first)")
    return python


@pytest.fixture(scope="module")
def pretrained_dir(tmp_path_factory, examples) -> Path:
    """corpus → vocabulary → shards → 3 RTD steps, each by its command-line entry point."""
    work = tmp_path_factory.mktemp("pretraining")
    (work / "raw.txt").write_text("\n".join(e.text for e in examples * 4) + "\n", encoding="utf-8")
    steps = [
        ["lab.cli.prepare_corpus", "--source", f"{work / 'raw.txt'}:lines",
         "--out", str(work / "corpus.txt")],
        ["lab.cli.build_vocab", "--text", str(work / "corpus.txt"), "--size", "400",
         "--min-frequency", "1", "--out", str(work / "vocab")],
        ["lab.cli.make_shards", "--corpus", str(work / "corpus.txt"), "--vocab",
         str(work / "vocab"), "--max-seq-length", "32", "--out", str(work / "shards")],
        ["lab.cli.pretrain", "--shards", str(work / "shards"), "--preset", "tiny",
         "--train-steps", "3", "--batch-size", "4", "--warmup-steps", "1", "--out",
         str(work / "run")],
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run(
            [str(pretrain_python()), "-m", *step], cwd=REPO, capture_output=True, text=True,
            timeout=300, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        )  # fmt: skip
        assert done.returncode == 0, f"{step[0]} failed:\n{done.stderr[-3000:]}"
    return work / "run" / "discriminator"


def test_pretraining_output_loads_into_tf_without_torch(pretrained_dir) -> None:
    from safetensors.numpy import load_file
    from transformers.modeling_tf_pytorch_utils import convert_tf_weight_name_to_pt_weight_name

    spec = model_spec.get(pretrained_dir, max_seq_length=32)
    assert spec.kind == "hf-directory" and spec.config.model_type == "electra"
    model = spec.build_model(LABELS)
    assert "torch" not in sys.modules
    saved = load_file(str(pretrained_dir / "model.safetensors"))
    compared = 0
    for weight in model.weights:
        name, transpose = convert_tf_weight_name_to_pt_weight_name(
            weight.name, tf_weight_shape=weight.shape
        )
        if not name.startswith("electra."):
            continue  # the new classification head
        value = saved[name].T if transpose.name == "SIMPLE" else saved[name]
        np.testing.assert_array_equal(weight.numpy(), value, err_msg=name)
        compared += 1
    assert compared > 20


def test_pretraining_output_fine_tunes_and_predicts(pretrained_dir, examples) -> None:
    spec = model_spec.get(pretrained_dir, max_seq_length=32)
    train = DataLoader(examples, spec)
    model = ner.create(train, epochs=1, batch_size=8, seed=1)
    predictions = model.predict([examples[0].text])
    assert len(predictions) == 1
    assert all(0 <= s.start < s.end <= len(examples[0].text) for s in predictions[0].spans)


def test_a_checkpoint_published_as_pytorch_model_bin_loads_without_torch(
    pytorch_layout_dir, tmp_path
) -> None:
    """torch.save in the torch environment (float32 and bfloat16 copies), then read here
    through the restricted unpickler: the same TF weights as from model.safetensors."""
    import shutil

    script = (
        "import sys, torch; from safetensors.torch import load_file; "
        "state = load_file(sys.argv[1]); torch.save(state, sys.argv[2]); "
        "torch.save({k: v.bfloat16() for k, v in state.items()}, sys.argv[3])"
    )
    folders = {name: tmp_path / name for name in ("fp32", "bf16")}
    for folder in folders.values():
        folder.mkdir()
        for name in ("config.json", "vocab.txt"):
            shutil.copy(pytorch_layout_dir / name, folder / name)
    done = subprocess.run(
        [str(pretrain_python()), "-c", script, str(pytorch_layout_dir / "model.safetensors"),
         str(folders["fp32"] / "pytorch_model.bin"), str(folders["bf16"] / "pytorch_model.bin")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "torch" not in sys.modules
    reference = model_spec.get(pytorch_layout_dir).build_model(LABELS)
    for name, tolerance in (("fp32", 0.0), ("bf16", 2**-7)):
        model = model_spec.get(folders[name]).build_model(LABELS)
        for ours, theirs in zip(model.weights, reference.weights, strict=True):
            if "classifier" in ours.name:  # a new head either way
                continue
            expected = theirs.numpy()
            assert np.allclose(ours.numpy(), expected, rtol=tolerance, atol=1e-30), ours.name
    assert "torch" not in sys.modules
