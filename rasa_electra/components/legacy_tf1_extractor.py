"""``LegacyTF1EntityExtractor``: the original write-up's TF1 export in a Rasa 3 pipeline.

    - name: rasa_electra.components.legacy_tf1_extractor.LegacyTF1EntityExtractor
      model_path: exported/tf1-electra       # saved_model.pb, variables/, vocab.txt, label2id.pkl

That export has outputs ``chunk_probs``/``chunk_predictions``, its WordPiece vocabulary and a
pickled label map beside it, and no model card: it is served, never trained, and decoded with
the fine-tuning command's O bias unless ``o_bias`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra import serving
from rasa_electra.components.electra_config import (
    ElectraConfigError,
    ExtractorOptions,
    parse_checked,
)
from rasa_electra.components.electra_entity_extractor import ElectraEntityExtractor
from rasa_electra.serving import ServingOptions
from rasa_electra.serving.servable import Servable
from rasa_electra.serving.tf1_legacy import LegacyTF1Model, TF1Options

OWN_KEYS = ("model_path", "entity_map", "confidence_threshold", "keep_overlapping",
            "inference_batch_size")  # fmt: skip
SERVING_KEYS = ("decoding", "o_bias", "intra_op_threads", "inter_op_threads")


@dataclass(frozen=True)
class TF1Config:
    """The TF1 component's settings: the serving keys that apply to it, and the export's own."""

    own: ExtractorOptions
    serving: ServingOptions
    tf1: TF1Options

    @staticmethod
    def defaults() -> dict[str, Any]:
        own, options = ExtractorOptions.defaults(), ServingOptions.defaults()
        return {
            **{key: own[key] for key in OWN_KEYS},
            **{key: options[key] for key in SERVING_KEYS},
            **TF1Options.defaults(),
        }

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> TF1Config:
        known = cls.defaults()
        return parse_checked(
            "LegacyTF1EntityExtractor", config, known, f"its keys are {', '.join(known)}",
            lambda: cls(
                own=ExtractorOptions.from_mapping(config, strict=False),
                serving=ServingOptions.from_mapping(config, strict=False),
                tf1=TF1Options.from_mapping(config, strict=False),
            ),
        )  # fmt: skip

    def check_mode(self) -> None:
        if not self.own.model_path:
            raise ElectraConfigError("LegacyTF1EntityExtractor needs `model_path` (the TF1 export)")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LegacyTF1EntityExtractor(ElectraEntityExtractor):
    """Serves a TF1 export as ``ElectraEntityExtractor`` serves ours; `rasa train` copies it."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return TF1Config.defaults()

    @classmethod
    def parse_config(cls, config: dict[str, Any]) -> TF1Config:
        return TF1Config.parse(config)

    @classmethod
    def check_model(cls, settings: TF1Config) -> None:
        if not Path(settings.own.model_path).is_dir():
            raise ElectraConfigError(f"model_path {settings.own.model_path} is not a directory")

    def _persist_served(self, export_dir: Path, training_data: TrainingData) -> None:
        self.persist(export_dir)

    def persist(self, export_dir: Path) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            serving.copy_whole(export_dir, Path(directory) / "export")

    def _open(self, directory: Path) -> Servable:
        from rasa_electra.serving import backends

        options, tf1 = self._settings.serving, self._settings.tf1
        backends.set_tf_threads(options.intra_op_threads, options.inter_op_threads)
        model = LegacyTF1Model(directory, tf1.label_map, tf1.max_seq_length, tf1.do_lower_case)
        return serving.decoded(model, options)
