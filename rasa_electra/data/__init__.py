"""Data: the core span type, GSD BIO files, and Rasa NLU training data (YAML and markdown)."""
