"""rasa-electra: Japanese named-entity recognition for Rasa.

Folders follow the pipeline: ``data`` (core span type, GSD BIO, Rasa NLU files),
``tokenization`` (MeCab words, alignment checks) and ``components`` (Rasa graph components).
"""

__version__ = "0.1.0"
