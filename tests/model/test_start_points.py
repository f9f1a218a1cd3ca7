"""All start-point kinds load the same encoder weights into the TF token classifier."""

import numpy as np
import pytest

from rasa_electra.data.tags import entity_labels, label_list
from rasa_electra.model import model_spec
from rasa_electra.model.weights import StartPointError

LABELS = ["O", "B-GPE", "I-GPE"]


def encoder_weights(model) -> dict[str, np.ndarray]:
    """Encoder weights by their name below the model prefix (heads excluded)."""
    return {
        w.name.split("/", 1)[1]: w.numpy()
        for w in model.weights
        if w.name.split("/", 1)[1].startswith("electra/")
    }


def assert_same_encoder(model, reference) -> None:
    got, expected = encoder_weights(model), encoder_weights(reference)
    assert got.keys() == expected.keys() and len(got) > 20
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def test_pretraining_output_in_pytorch_layout_loads_without_torch(
    pytorch_layout_dir, pretrained_tf_model
):
    import sys

    spec = model_spec.get(pytorch_layout_dir)
    assert spec.kind == "hf-directory"
    assert_same_encoder(spec.build_model(LABELS), pretrained_tf_model)
    assert "torch" not in sys.modules


def test_hf_directory_with_tf_weights(tmp_path, pretrained_tf_model, vocab_dir):
    pretrained_tf_model.save_pretrained(str(tmp_path))
    (tmp_path / "vocab.txt").write_bytes((vocab_dir / "vocab.txt").read_bytes())
    model = model_spec.get(tmp_path).build_model(LABELS)
    assert_same_encoder(model, pretrained_tf_model)
    assert model.config.id2label == dict(enumerate(LABELS))


def test_tf1_checkpoint_is_converted_in_process(tf1_checkpoint_dir, pretrained_tf_model):
    spec = model_spec.get(tf1_checkpoint_dir)
    assert spec.kind == "tf1-checkpoint" and spec.checkpoint.endswith("model.ckpt-1000")
    expected = pretrained_tf_model.config
    for key in ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers",
                "intermediate_size", "max_position_embeddings", "num_attention_heads"):  # fmt: skip
        assert getattr(spec.config, key) == getattr(expected, key), key
    assert_same_encoder(spec.build_model(LABELS), pretrained_tf_model)


def test_tf1_checkpoint_with_a_wrong_shape_is_refused(tf1_checkpoint_dir, tmp_path):
    spec = model_spec.get(tf1_checkpoint_dir)
    spec.config.intermediate_size += 1  # a config that does not match the checkpoint
    with pytest.raises(ValueError, match="intermediate/dense/kernel: checkpoint shape"):
        spec.build_model(LABELS)


def test_a_pytorch_bin_that_is_no_torch_zip_says_what_to_do(tmp_path, pytorch_layout_dir):
    from rasa_electra.model.torch_weights import UnsafeCheckpointError

    for name in ("config.json", "vocab.txt"):
        (tmp_path / name).write_bytes((pytorch_layout_dir / name).read_bytes())
    (tmp_path / "pytorch_model.bin").write_bytes(b"not a zip")
    spec = model_spec.get(tmp_path)  # the config and vocabulary are fine
    with pytest.raises(UnsafeCheckpointError, match="not a zip-format torch checkpoint"):
        spec.build_model(LABELS)


def test_a_directory_without_weights_names_the_files_it_looked_for(tmp_path, pytorch_layout_dir):
    for name in ("config.json", "vocab.txt"):
        (tmp_path / name).write_bytes((pytorch_layout_dir / name).read_bytes())
    with pytest.raises(StartPointError, match=r"none of model\.safetensors, tf_model\.h5, pytorch"):
        model_spec.get(tmp_path)


def test_unreachable_hub_id_gives_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(StartPointError, match=r"could not fetch 'izumi-lab/electra-small-japanese"):
        model_spec.get("electra-small-japanese")


def test_not_a_model_directory(tmp_path, monkeypatch):
    with pytest.raises(StartPointError, match=r"neither a config\.json"):
        model_spec.get(tmp_path)
    with pytest.raises(StartPointError, match="no such directory"):
        model_spec.get(str(tmp_path / "missing"))
    # a relative path that does not exist (yet) is named as such, not tried on the hub
    monkeypatch.chdir(tmp_path)  # (the repository may hold a local pretraining output there)
    with pytest.raises(StartPointError, match="models/electra-small-ja/discriminator: no such"):
        model_spec.get("models/electra-small-ja/discriminator")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(StartPointError, match="is not a directory"):
        model_spec.get(str(tmp_path / "file.txt"))


def test_random_init_uses_the_paper_sizes(vocab_dir):
    spec = model_spec.random_init("small", vocab_dir)
    assert (spec.config.hidden_size, spec.config.embedding_size, spec.config.num_hidden_layers) == (
        256,
        128,
        12,
    )
    base = model_spec.random_init("base", vocab_dir)
    assert (base.config.hidden_size, base.config.embedding_size) == (768, 768)
    again = model_spec.get(spec.source)  # the recorded source string names the same start point
    assert again.kind == "random-init" and again.config.to_dict() == spec.config.to_dict()


def test_the_shipped_encoder_loads_from_float16_without_torch(repo):
    """pretrained/electra-small-ja (GPU-pretrained, stored in float16) is a start point: its
    weights come back as float32 equal to the stored values, and its card says where from."""
    import json
    import sys

    from safetensors.numpy import load_file

    shipped = repo / "pretrained" / "electra-small-ja"
    spec = model_spec.get(shipped)
    model = spec.build_model(LABELS)
    stored = load_file(str(shipped / "model.safetensors"))
    word_embeddings = stored["electra.embeddings.word_embeddings.weight"]
    assert word_embeddings.dtype == np.float16
    loaded = {w.name: w.numpy() for w in model.weights}
    (name,) = [n for n in loaded if "word_embeddings" in n]
    np.testing.assert_array_equal(loaded[name], word_embeddings.astype(np.float32))
    assert spec.tokenizer.vocab_size == len(word_embeddings)
    card = json.loads((shipped / "pretraining_card.json").read_text(encoding="utf-8"))
    assert card["runs"] and all(run["hardware"] and run["tokens_seen"] for run in card["runs"])
    assert card["corpus_licences"] and card["steps"] == card["runs"][-1]["steps"]
    assert "torch" not in sys.modules

    # the silver stage's entity head: GSD's tags, which trainable mode continues on GSD data
    tags = spec.head_tags()
    assert tags == label_list(entity_labels(tags)) and {"B-PERSON", "I-GPE"} <= set(tags)
    assert spec.continues_head(label_list(["PERSON", "ORG"]))
    assert not spec.continues_head(label_list(["place", "date"]))
