"""How a model is fine-tuned, declared once: the finetune command's flags, the component's
training keys and the model card's record all read ``TrainingConfig``."""

from __future__ import annotations

from dataclasses import dataclass

from rasa_electra import defaults
from rasa_electra.data.entity_memory import check_share
from rasa_electra.data.viterbi import check_o_bias
from rasa_electra.settings import SettingError, Settings, above, at_least, setting
from rasa_electra.tokenization.word_features import check_names


@dataclass
class TrainingConfig(Settings):
    """How a model is fine-tuned: the finetune command's flags, the component's training keys and
    the model card's record. Defaults follow the ELECTRA paper's fine-tuning values where it has
    one, and the choices on GSD dev where we made one (docs/defaults.md)."""

    epochs: int = setting(defaults.EPOCHS, "passes over the training data", check=at_least(1))
    batch_size: int = setting(
        defaults.BATCH_SIZE,
        "windows per optimizer step (the global batch, split over replicas)",
        check=at_least(1),
    )
    learning_rate: float = setting(
        defaults.LEARNING_RATE, "peak rate of the encoder and the classifier", check=at_least(0.0)
    )
    warmup_ratio: float = setting(
        defaults.WARMUP_RATIO, "share of the steps warming up", check=at_least(0.0)
    )
    weight_decay: float = setting(0.01, "AdamW's decoupled weight decay", check=at_least(0.0))
    layerwise_lr_decay: float | None = setting(
        None, "e.g. 0.8: each layer down learns at this factor of the one above; none: off"
    )
    max_grad_norm: float = setting(1.0, "gradient clipping by global norm", check=above(0))
    dropout: float | None = setting(None, "the encoder's dropout; none: the start point's")
    keep_layers: int | None = setting(
        None,
        "fine-tune only the start point's first N encoder layers: a smaller model that "
        "answers faster (a student cut from its teacher); none: every layer",
        check=at_least(1, allow_none=True),
    )
    freeze_layers: int | None = setting(
        None,
        "keep the embeddings and the lowest N encoder layers as the start point has them: a "
        "step's backward pass stops above them; 0: train every layer; none: 0, but in "
        "trainable mode the lower half on small data (at most small_data_messages messages: "
        "components.trainable.for_data_size)",
        check=at_least(0, allow_none=True),
    )
    seed: int = setting(42, "seed of data order, dropout and new weights", flag=False)
    init_seed: int | None = setting(
        None,
        "seed of the new weights (the classifier head), the same for every trial; none: "
        "drawn from the seed. Runs that share it and their start point begin from the same "
        "weights and differ only in data order and dropout, so their soup is safe (model.soup)",
    )
    patience: int | None = setting(
        None,
        "stop after this many epochs without dev gain; none: never",
        check=at_least(1, allow_none=True),
    )
    keep_last: bool = setting(
        False,
        "keep the last epoch's weights, as trainable mode (no dev) "
        "does; dev only scores and never stops early",
    )
    eval_batch_size: int = setting(
        32, "windows per call when dev and test are scored", check=at_least(1)
    )
    length_bucketing: bool = setting(
        True, "batches of similar-length windows (features.bucketed_order): less padding, same data"
    )
    head: str = setting(
        defaults.HEAD,
        "crf: a linear-chain CRF over word tags, its transitions exported; softmax: per-word tags",
        choices=defaults.HEADS,
    )
    word_features: tuple[str, ...] = setting(
        defaults.WORD_FEATURES,
        "comma-separated facts of each word added to the tagger "
        "(tokenization.word_features): pos, pos-1, pos+1, shape, word, prefix2, suffix2",
        check=check_names,
    )
    head_learning_rate: float | None = setting(
        None,
        "peak rate of the CRF scores and word-feature tables, which start at 0; none: "
        f"{defaults.HEAD_LEARNING_RATE}, but in trainable mode "
        f"{defaults.SMALL_DATA_HEAD_LEARNING_RATE} on small data (at most small_data_messages "
        "messages: components.trainable.for_data_size)",
        check=above(0, allow_none=True),
    )
    continue_scores: bool = setting(
        False,
        "start the CRF's transitions and the word-feature tables from the start point's "
        "head too (head.continue_scores), for the tags and values it knows",
    )
    entity_memory: float | None = setting(
        defaults.ENTITY_MEMORY,
        "relabel a decoded span by the training data's label for its "
        "text when that label has at least this share (data.entity_memory); none: off",
        check=lambda share: share is None or check_share(share),
    )
    o_bias: float = setting(
        defaults.O_BIAS,
        "added to O's log-probability when dev and test are "
        "decoded and recorded for serving (data.viterbi)",
        check=check_o_bias,
    )
    eval_every: int = setting(
        1, "score dev every N epochs (and always after the last)", check=at_least(1)
    )
    min_steps: int = setting(
        0,
        "more epochs when the epochs would be fewer optimizer steps "
        "(trainable mode's small-data floor); 0: exactly the epochs",
        check=at_least(0),
    )
    max_steps: int = setting(
        0,
        "fewer epochs when the epochs would be more optimizer steps "
        "(trainable mode's ceiling on large data); 0: exactly the epochs",
        check=at_least(0),
    )
    average_last: int = setting(
        0,
        "also score the mean of the last N epochs' weights on dev and keep it when better (with "
        "no dev, as in trainable mode, keep it); 0: off",
        check=at_least(0),
    )
    save_every_steps: int | None = setting(
        None,
        "with a checkpoint directory, also save the run every N steps inside an epoch, so a "
        "killed run with long epochs (a silver stage's) resumes where it last saved, not at "
        "its epoch's start; none: at epoch ends only",
        check=at_least(1, allow_none=True),
    )
    distribute: str = setting(
        "none",
        "tf.distribute strategy: none, mirrored (all local GPUs), "
        "multi-worker (TF_CONFIG), tpu or tpu:ADDRESS",
    )

    def __post_init__(self) -> None:
        self.word_features = tuple(self.word_features)
        super().__post_init__()
        if self.keep_last and self.average_last:
            raise SettingError(
                "keep_last", "keeps the last epoch, average_last lets dev choose: give one"
            )
