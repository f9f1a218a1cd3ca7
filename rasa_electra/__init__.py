"""rasa-electra: Japanese named-entity recognition for Rasa.

Folders follow the pipeline: ``data`` (core span type, GSD BIO, Rasa NLU files),
``tokenization`` (MeCab words, alignment checks, WordPiece vocabularies), ``model``
(transformer fine-tuning and SavedModel export), ``components`` (Rasa graph components) and
``evaluation`` (span-level metrics).
"""

__version__ = "0.1.0"
