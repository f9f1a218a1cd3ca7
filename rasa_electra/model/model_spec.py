"""Start points: where the encoder's weights, config and vocabulary come from.

``get(source)`` accepts
* a Hugging Face model directory — ELECTRA discriminator or any BERT-family encoder, weights as
  ``tf_model.h5``, ``model.safetensors`` or ``pytorch_model.bin`` (PyTorch weights read with
  ``safetensors.numpy``, or the restricted unpickler of ``torch_weights``, and copied into the
  TF class, so torch is never imported). This is also how the project's own pretraining output
  loads;
* a google-research/electra TF1 checkpoint directory (``model.ckpt-N.*`` + ``vocab.txt``),
  converted in-process (``tf1_checkpoint``);
* an installed model's name (``electra-small-ja``: the shipped encoder, ``pip install
  pretrained/``), found through the ``rasa_electra.models`` entry point (``installed_models``);
* a Hugging Face hub id (or a short name from ``KNOWN``), downloaded into the HF cache first —
  which fails on machines without network, with a message saying what to pass instead.
``random_init(size, vocab_dir)`` gives an untrained ELECTRA of the paper's sizes, the local start
point when nothing pretrained is at hand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from transformers.utils import SAFE_WEIGHTS_NAME

from rasa_electra import defaults
from rasa_electra.data.tags import OUTSIDE, SCHEMES, label_list
from rasa_electra.model import tf1_checkpoint
from rasa_electra.model.export import ENCODER_CONFIG_FILE, LABELS_FILE, TOKENIZER_DIR, read_labels
from rasa_electra.model.head import (
    HEAD_FILE,
    Origins,
    head_file_tags,
    load_export_weights,
    load_head,
    seed_columns,
)
from rasa_electra.model.torch_weights import read_pytorch_state_dict
from rasa_electra.model.weights import SAVED_MODEL_FILE, WEIGHTS_FILE, StartPointError
from rasa_electra.settings import Settings, at_least, setting
from rasa_electra.tokenization.subwords import SubwordTokenizer, bert_wordpiece

# Short names for published Japanese encoders (hub ids; they need network on first use). Each is
# cut as its tokenizer_config.json says (docs/start_points.md): izumi-lab and cl-tohoku v1 with
# MeCab + ipadic on NFKC text, megagonlabs' with SudachiTra (Sudachi A, dictionary forms).
KNOWN = {
    "electra-small-japanese": "izumi-lab/electra-small-japanese-discriminator",
    "electra-base-japanese": "izumi-lab/electra-base-japanese-discriminator",
    "bert-base-japanese": "cl-tohoku/bert-base-japanese-whole-word-masking",
    "electra-base-japanese-ud": "megagonlabs/transformers-ud-japanese-electra-base-discriminator",
}
# The ELECTRA paper's discriminator sizes (Clark et al. 2020, table 6).
# (embedding, hidden, layers, heads, intermediate); "tiny" is for tests only.
_SIZE_FIELDS = ("embedding_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size")  # fmt: skip
SIZES = {
    name: dict(zip(_SIZE_FIELDS, values, strict=True))
    for name, values in {
        "tiny": (32, 64, 2, 2, 128),
        "small": (128, 256, 12, 4, 1024),
        "base": (768, 768, 12, 12, 3072),
    }.items()
}
MODELS_ENTRY_POINT = "rasa_electra.models"  # installed models: name → their package
HUB_FILES = ["config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json",
             "special_tokens_map.json"]  # fmt: skip
# the weights, by preference: one of them is fetched, whichever the repository has
SAFETENSORS_FILE = SAFE_WEIGHTS_NAME  # the shipped encoder's too
WEIGHT_FILES = (SAFETENSORS_FILE, "tf_model.h5", "pytorch_model.bin")


@dataclass
class ModelSpec:
    """Everything needed to build the token classifier and encode text for it."""

    source: str
    kind: str  # "hf-directory", "tf1-checkpoint", "export" (continued fine-tuning), "random-init"
    config: Any  # a transformers PretrainedConfig
    tokenizer: SubwordTokenizer
    directory: Path | None = None
    checkpoint: str | None = None
    max_seq_length: int = defaults.MAX_SEQ_LENGTH
    label_scheme: str = defaults.LABEL_SCHEME
    notes: list[str] = field(default_factory=list)
    # a start point with a head (an export, an encoder directory's entity head): a new entity
    # label → the head's labels whose rows seed its rows
    # (e.g. place ← GPE, LOC, FAC from the component's entity_map); same-named labels keep theirs
    # a new label's origins among the head's labels, by weight (model.label_alignment) or alike
    label_origins: dict[str, Origins] = field(default_factory=dict)
    # False: an encoder directory's entity head is not read, so every head row starts fresh
    # (an export's rows are always kept: continuing it is what an export start point is for)
    entity_head: bool = True

    def tags(self, entity_labels: Iterable[str]) -> list[str]:
        """The tags a tagger of this start point predicts for these entity labels (its
        scheme's): the classifier's columns, in order."""
        return label_list(entity_labels, self.label_scheme)

    def head_tags(self) -> list[str]:
        """The tags of the head this start point carries (an export's, or an encoder
        directory's ``entity_head.safetensors``); none for a bare encoder."""
        if self.directory is None:
            return []
        if self.kind == "export":
            return read_labels(self.directory)
        if self.kind == "hf-directory" and self.entity_head:
            return head_file_tags(self.directory) or []
        return []

    def continues_head(self, labels: Sequence[str]) -> bool:
        """Whether the head's rows seed an entity tag of ``labels``: fine-tuning then continues
        the start point's entity training instead of learning a head from nothing."""
        seeds = seed_columns(labels, self.head_tags(), self.label_origins)
        return any(labels[column] != OUTSIDE for column in seeds)

    def __post_init__(self) -> None:
        if self.label_scheme not in SCHEMES:
            raise ValueError(f"label_scheme must be one of {SCHEMES}")
        positions = getattr(self.config, "max_position_embeddings", self.max_seq_length)
        if self.max_seq_length > positions:
            raise ValueError(
                f"max_seq_length {self.max_seq_length} > the model's {positions} positions"
            )

    def build_model(
        self, labels: list[str], dropout: float | None = None, keep_layers: int | None = None
    ):
        """A TF token classifier with this start point's encoder weights and a new head; with
        ``keep_layers`` only the first that many encoder layers (their weights by name, the
        rest of the start point's left unread)."""
        import tensorflow as tf
        from transformers import TFAutoModelForTokenClassification

        config = self.config.__class__.from_dict(self.config.to_dict())
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
        if dropout is not None:
            config.hidden_dropout_prob = config.attention_probs_dropout_prob = dropout
        if keep_layers is not None:
            if not 1 <= keep_layers <= config.num_hidden_layers:
                raise StartPointError(
                    f"keep_layers {keep_layers}: {self.source} has {config.num_hidden_layers} "
                    "encoder layers"
                )
            config.num_hidden_layers = keep_layers
        directory = self.directory
        if self.kind == "hf-directory" and (directory / "tf_model.h5").is_file():
            return TFAutoModelForTokenClassification.from_pretrained(str(directory), config=config)
        model = TFAutoModelForTokenClassification.from_config(config)
        model(model.dummy_inputs, training=False)  # create the weights
        if self.kind == "hf-directory":
            _load_pytorch_layout(model, directory)
            if self.entity_head and (directory / HEAD_FILE).is_file():
                seeded = load_head(model, directory, labels, self.label_origins)
                self.notes.append(f"the encoder's entity head: {seeded} of {len(labels)} rows")
        elif self.kind == "tf1-checkpoint":
            tf1_checkpoint.load_weights(model, self.checkpoint)
        elif self.kind == "export":
            seeded = load_export_weights(model, directory, labels, self.label_origins)
            self.notes.append(
                f"continued from the export: {seeded} of {len(labels)} head rows kept"
            )
        tf.debugging.assert_all_finite(model.weights[0], "start point weights")
        return model

    def describe(self) -> dict[str, Any]:
        """The model card's start point; a directory's safetensors weights by their hash too,
        so an export says which weights it came from when the path's content changes."""
        described = {
            "source": self.source,
            "kind": self.kind,
            "model_type": self.config.model_type,
            "max_seq_length": self.max_seq_length,
            "label_scheme": self.label_scheme,
            "vocab_size": self.tokenizer.vocab_size,
        }
        weights = self.directory / SAFETENSORS_FILE if self.directory else None
        if weights is not None and weights.is_file():
            described["weights_sha256"] = file_sha256(weights)
        return described


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class SpecOptions(Settings):
    """How a start point's text becomes the model's input: the windows' length and the tags."""

    max_seq_length: int = setting(
        defaults.MAX_SEQ_LENGTH,
        "subwords per window (a SavedModel export records its own)",
        check=at_least(8),
    )
    label_scheme: str = setting(
        defaults.LABEL_SCHEME, "how a span's words are tagged", choices=SCHEMES
    )


def get(
    source: str | Path,
    max_seq_length: int = defaults.MAX_SEQ_LENGTH,
    label_scheme: str = defaults.LABEL_SCHEME,
    mecab_args: str | None = None,
) -> ModelSpec:
    """Resolve a start point: a directory (HF or TF1 checkpoint), a hub id or a short name.

    ``random-init:SIZE:VOCAB_DIR`` (what ``random_init`` records as its source) is accepted too,
    so configs such as the Rasa component's ``pretrained:`` can name an untrained model.
    """
    if str(source).startswith("random-init:"):
        _, size, vocab_dir = str(source).split(":", 2)
        return random_init(size, vocab_dir, max_seq_length, label_scheme, mecab_args)
    path = Path(source)
    if path.is_dir():
        weights = (path / SAVED_MODEL_FILE).is_file() or (path / WEIGHTS_FILE).is_file()
        if weights and (path / LABELS_FILE).is_file():
            return _export_directory(path, str(source), max_seq_length, label_scheme, mecab_args)
        if (path / "config.json").is_file():
            return _hf_directory(path, str(source), max_seq_length, label_scheme, mecab_args)
        checkpoint = tf1_checkpoint.find_checkpoint(path)
        if checkpoint:
            return _tf1_directory(
                path, checkpoint, str(source), max_seq_length, label_scheme, mecab_args
            )
        raise StartPointError(f"{path} holds neither a config.json (HF model) nor a TF checkpoint")
    if path.exists():
        raise StartPointError(f"start point {source} is not a directory")
    installed = installed_models()
    if str(source) in installed:
        directory = installed[str(source)].directory
        spec = _hf_directory(directory, str(source), max_seq_length, label_scheme, mecab_args)
        return replace(spec, source=str(source))
    if str(source).startswith((".", "/")) or str(source).count("/") > 1:  # a path, not a hub id
        raise StartPointError(f"start point {source}: no such directory")
    hub_id = KNOWN.get(str(source), str(source))
    spec = _hf_directory(_download(hub_id), str(source), max_seq_length, label_scheme, mecab_args)
    return replace(spec, source=str(source))


@dataclass(frozen=True)
class InstalledModel:
    """A model installed as a Python package (``pip install pretrained/``): its name, the
    distribution that holds it and the directory of its files."""

    name: str
    distribution: str
    version: str
    directory: Path


def installed_models() -> dict[str, InstalledModel]:
    """Every model a package declares under the ``rasa_electra.models`` entry point, by name:
    the way spaCy finds ``ja_core_news_sm``, so a bot in any folder names the encoder."""
    from importlib.metadata import entry_points
    from importlib.util import find_spec

    found = {}
    for entry in entry_points(group=MODELS_ENTRY_POINT):
        module = find_spec(entry.value)
        if module is None or not module.submodule_search_locations:
            continue
        directory = Path(next(iter(module.submodule_search_locations)))
        distribution = entry.dist.name if entry.dist else entry.value
        version = entry.dist.version if entry.dist else ""
        found[entry.name] = InstalledModel(entry.name, distribution, version, directory)
    return found


def first_usable(
    candidates: Sequence[str],
    max_seq_length: int = defaults.MAX_SEQ_LENGTH,
    label_scheme: str = defaults.LABEL_SCHEME,
    report: Callable[[str], None] = print,
) -> ModelSpec | None:
    """The first start point of ``candidates`` that can be had (hub → shipped encoder →
    untrained, say), saying why each earlier one could not; ``None`` when none can."""
    for number, candidate in enumerate(candidates):
        try:
            return get(candidate, max_seq_length, label_scheme)
        except (StartPointError, FileNotFoundError, ValueError) as error:
            report(f"start point {candidate!r} cannot be used: {error}")
            if number + 1 < len(candidates):
                report(f"falling back to {candidates[number + 1]!r}")
    return None


def random_init(
    size: str,
    vocab_dir: str | Path,
    max_seq_length: int = defaults.MAX_SEQ_LENGTH,
    label_scheme: str = defaults.LABEL_SCHEME,
    mecab_args: str | None = None,
) -> ModelSpec:
    """An untrained ELECTRA discriminator of a paper size over a vocabulary (``vocab.txt``)."""
    from transformers import ElectraConfig

    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    tokenizer = SubwordTokenizer.from_directory(vocab_dir, mecab_args)
    config = ElectraConfig(
        vocab_size=tokenizer.vocab_size,
        max_position_embeddings=max(512, max_seq_length),
        **SIZES[size],
    )
    return ModelSpec(f"random-init:{size}:{vocab_dir}", "random-init", config, tokenizer,
                     Path(vocab_dir), None, max_seq_length, label_scheme)  # fmt: skip


def _hf_directory(path: Path, source: str, max_seq_length: int, label_scheme: str,
                  mecab_args: str | None) -> ModelSpec:  # fmt: skip
    from transformers import AutoConfig

    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise StartPointError(f"{path} has no weights: none of {', '.join(WEIGHT_FILES)}")
    config = AutoConfig.from_pretrained(str(path))
    tokenizer = SubwordTokenizer.from_directory(path, mecab_args)
    return ModelSpec(
        source, "hf-directory", config, tokenizer, path, None, max_seq_length, label_scheme
    )


def _export_directory(path: Path, source: str, max_seq_length: int, label_scheme: str,
                      mecab_args: str | None) -> ModelSpec:  # fmt: skip
    """A fine-tuned export as a start point: its encoder config and tokenizer now, its weights
    (and the head rows of the labels it knows) when the model is built."""
    config = export_encoder_config(path)
    tokenizer = SubwordTokenizer.from_directory(path / TOKENIZER_DIR, mecab_args)
    return ModelSpec(source, "export", config, tokenizer, path, None, max_seq_length, label_scheme)


def export_encoder_config(path: Path):
    """The transformers config of the encoder an export was fine-tuned from."""
    from transformers import AutoConfig

    config_file = path / ENCODER_CONFIG_FILE
    if not config_file.is_file():
        raise StartPointError(
            f"{path} is an export without {ENCODER_CONFIG_FILE}: its encoder is unknown, so "
            "fine-tuning cannot continue it"
        )
    values = json.loads(config_file.read_text(encoding="utf-8"))
    return AutoConfig.for_model(values.pop("model_type"), **values)


def _tf1_directory(path: Path, checkpoint: str, source: str, max_seq_length: int,
                   label_scheme: str, mecab_args: str | None) -> ModelSpec:  # fmt: skip
    from transformers import ElectraConfig

    if not (path / "vocab.txt").is_file():
        raise StartPointError(f"{path} has a TF checkpoint but no vocab.txt beside it")
    hparams_path = path / "hparams.json"
    hparams = json.loads(hparams_path.read_text(encoding="utf-8")) if hparams_path.is_file() else {}
    pieces = bert_wordpiece(
        path / "vocab.txt", do_lower_case=bool(hparams.get("do_lower_case", False))
    )
    config = ElectraConfig(**tf1_checkpoint.electra_config_values(checkpoint, path))
    return ModelSpec(source, "tf1-checkpoint", config, SubwordTokenizer(pieces, mecab_args), path,
                     checkpoint, max_seq_length, label_scheme)  # fmt: skip


def _download(hub_id: str) -> Path:
    try:
        from huggingface_hub import list_repo_files, snapshot_download

        published = set(list_repo_files(hub_id))
        weights = [name for name in WEIGHT_FILES if name in published][:1]
        return Path(snapshot_download(hub_id, allow_patterns=HUB_FILES + weights))
    except Exception as error:  # offline, unknown id, auth: all end the same way for the user
        raise StartPointError(
            f"could not fetch {hub_id!r} from the Hugging Face hub ({type(error).__name__}: "
            f"{error}). Pass a local model directory or TF checkpoint instead, or use "
            "model_spec.random_init(size, vocab_dir) for an untrained model."
        ) from error


def _load_pytorch_layout(model, directory: Path) -> None:
    """PyTorch-layout weights (model.safetensors, else pytorch_model.bin through the restricted
    unpickler) into a TF model without torch: numpy arrays all the way."""
    from safetensors.numpy import load_file
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    path = directory / SAFETENSORS_FILE
    if path.is_file():
        state = load_file(str(path))
    else:
        path = directory / "pytorch_model.bin"
        state = read_pytorch_state_dict(path)
    # the shipped encoder is stored in float16 to fit the repository; TF variables are float32
    weights = {
        name: array.astype("float32") if array.dtype.kind == "f" and array.itemsize < 4 else array
        for name, array in state.items()
    }
    _, info = load_pytorch_state_dict_in_tf2_model(
        model, weights, allow_missing_keys=True, output_loading_info=True,
        skip_logger_warnings=True,
    )  # fmt: skip
    missing = [name for name in info["missing_keys"] if "classifier" not in name]
    if missing or info["mismatched_keys"]:
        raise StartPointError(
            f"{path} does not fit the model: missing {missing[:5]}, "
            f"mismatched {info['mismatched_keys'][:5]}"
        )
