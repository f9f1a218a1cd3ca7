"""Rasa 3 graph components, usable in ``config.yml`` by class path."""
