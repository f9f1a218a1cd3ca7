"""The lab: the experiment, pretraining and benchmark tools beside the product.

A bot builder never meets this package: it is not installed with ``rasa-electra`` and nothing
under ``rasa_electra`` imports it. It runs from the repository root (``python -m lab COMMAND``,
or ``make -f lab/Makefile TARGET``) and builds on the product's library.
"""
