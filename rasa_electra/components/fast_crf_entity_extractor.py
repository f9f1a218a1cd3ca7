"""``FastCRFEntityExtractor``: Rasa's CRF that loads in a second.

Rasa 3.6's ``CRFEntityExtractor`` stores its training data (``crf_dataset.json``) and fits the
CRFs again every time a model is loaded: 60–115 s before `rasa run` answers on GSD. This
subclass stores what the fit produced — each CRF's crfsuite model file, the bytes
python-crfsuite reads — and opens them at load. Training, features and prediction are Rasa's
own, so its entities equal Rasa's CRFEntityExtractor's (tested on every GSD test sentence).

    pipeline:
      - name: rasa_electra.components.fast_crf_entity_extractor.FastCRFEntityExtractor
        # the options of CRFEntityExtractor, unchanged
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_electra.components.rasa_checks import register_trainable_extractor, report_misaligned

logger = logging.getLogger(__name__)

ORDER_FILE = "crf_order.json"


def model_file(tag_name: str) -> str:
    """The crfsuite model of the CRF that predicts ``tag_name`` (entity, role or group)."""
    return f"crf-{tag_name}.crfsuite"


@register_trainable_extractor
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class FastCRFEntityExtractor(CRFEntityExtractor):
    """``CRFEntityExtractor`` that persists its fitted CRFs instead of refitting at load."""

    @staticmethod
    def check_correct_entity_annotations(training_data: TrainingData) -> None:
        """One summary line instead of Rasa's warning per misaligned message."""
        report_misaligned(training_data, "FastCRFEntityExtractor")

    def persist(self, dataset: list[list[CRFToken]]) -> None:
        """The fitted models and their order; not the training data (nothing refits)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            for tag_name, tagger in self.entity_taggers.items():
                (Path(model_dir) / model_file(tag_name)).write_bytes(
                    Path(tagger.modelfile.name).read_bytes()
                )
            (Path(model_dir) / ORDER_FILE).write_text(json.dumps(self.crf_order), "utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FastCRFEntityExtractor:
        """Open the stored CRFs in memory (the storage folder is temporary)."""
        import pycrfsuite
        import sklearn_crfsuite

        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = json.loads((Path(model_dir) / ORDER_FILE).read_text("utf-8"))
                models = {t: (Path(model_dir) / model_file(t)).read_bytes() for t in crf_order}
        except ValueError:  # as Rasa's: a pipeline trained without entity examples
            logger.warning(f"{cls.__name__}: nothing stored under {resource.name}; no entities")
            return cls(config, model_storage, resource)
        taggers = OrderedDict()
        for tag_name in crf_order:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(models[tag_name])
            crf = sklearn_crfsuite.CRF()
            crf._tagger = tagger  # what CRF.tagger_ would open from a file
            # the tagger reads the buffer without copying it: it lives as long as the CRF
            crf._model_bytes = models[tag_name]
            taggers[tag_name] = crf
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor
