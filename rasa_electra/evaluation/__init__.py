"""Evaluation: span-level scores on the core type, independent of any tokenizer."""
