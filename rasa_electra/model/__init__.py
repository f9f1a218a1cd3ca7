"""Transformer token classification for Japanese NER, in TFLite Model Maker's shape.

from rasa_electra.model import DataLoader, model_spec, ner

spec = model_spec.get("path/to/electra-or-bert")      # HF dir, hub id or TF1 ELECTRA checkpoint
train = DataLoader.from_rasa_yaml("data/gsd_v2.6-NE/train.yml", spec)
dev = DataLoader.from_rasa_yaml("data/gsd_v2.6-NE/dev.yml", spec)
model = ner.create(train, model_spec=spec, validation_data=dev, epochs=3)
model.evaluate(DataLoader.from_rasa_yaml("data/gsd_v2.6-NE/test.yml", spec))
model.export("exported/electra-gsd")
"""

from rasa_electra.model import model_spec, ner
from rasa_electra.model.data_loader import DataLoader

__all__ = ["DataLoader", "model_spec", "ner"]
