"""`rasa train nlu`'s stages read from its own log lines."""

import datetime as dt

from rasa_electra.cli.benchmark_training import training_table
from rasa_electra.components.electra_entity_extractor import CONVERTING, STORED
from rasa_electra.evaluation.training_time import stages

LOG = f"""\
2026-12-06 10:00:20 INFO     rasa.engine.training.hooks  - Starting to train component 'ElectraEntityExtractor'.
2026-12-06 10:00:21 INFO     rasa_electra.components.trainable  - ElectraEntityExtractor: fine-tuning 1 of 1 (seed 42)
[electra] epoch 1/2: 100%|██| 4/4
2026-12-06 10:01:20 INFO     rasa_electra.model.training  - epoch 1: loss 0.5000, 30.0s, about 30s left
2026-12-06 10:01:50 INFO     rasa_electra.components.electra_entity_extractor  - ElectraEntityExtractor: {CONVERTING} for backend auto
2026-12-06 10:02:05 INFO     rasa_electra.components.electra_entity_extractor  - ElectraEntityExtractor: {STORED}
2026-12-06 10:02:07 INFO     rasa.engine.training.hooks  - Finished training component 'ElectraEntityExtractor'.
Your Rasa model is trained and saved at 'models/model.tar.gz'.
"""  # noqa: E501


def test_the_stages_are_the_gaps_between_the_log_s_marks():
    started = dt.datetime(2026, 12, 6, 10, 0, 0)
    spent = stages(LOG, started, dt.datetime(2026, 12, 6, 10, 2, 10))
    assert spent == {"data": 20.0, "fine-tuning": 90.0, "conversion": 15.0, "loading": 2.0,
                     "archive": 3.0}  # fmt: skip
    assert sum(spent.values()) == 130.0  # the whole run, nothing counted twice


def test_a_pipeline_without_our_extractor_has_no_fine_tuning_stage():
    log = (
        "2026-12-06 10:00:05 INFO     rasa.engine.training.hooks  - Starting to train component "
        "'CRFEntityExtractor'.\n2026-12-06 10:00:09 INFO     rasa.engine.training.hooks  - "
        "Finished training component 'CRFEntityExtractor'.\n"
    )
    spent = stages(log, dt.datetime(2026, 12, 6, 10, 0, 0), dt.datetime(2026, 12, 6, 10, 0, 10))
    assert spent == {"data": 5.0, "CRFEntityExtractor": 4.0, "archive": 1.0}
    table = training_table([{"data": "nlu.yml", "messages": 3, "seconds": 10.0, "stages": spent}])
    assert "| nlu.yml | 3 | 10 | 5 | 0 | 0 | 0 | 1 |" in table
