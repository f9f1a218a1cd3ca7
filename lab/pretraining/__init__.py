"""ELECTRA pretraining on raw Japanese text (replaced-token detection), in PyTorch + Accelerate.

``corpus`` (sentence rules, streaming) and ``shards`` (token-id shards) need no torch;
``electra``, ``trainer`` and ``probe`` run in the optional pretraining environment
(``make pretrain-setup``), so the Rasa runtime stays free of torch.
"""
