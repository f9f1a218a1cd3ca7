"""`rasa train nlu`'s stages read from its own log lines."""

import datetime as dt

from rasa_electra.cli.benchmark_training import training_table
from rasa_electra.components.electra_entity_extractor import STORED
from rasa_electra.evaluation.training_time import stages
from rasa_electra.serving.formats import CONVERTING

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


def test_a_continued_run_has_its_own_row_with_held_out_f1():
    spent = {"data": 5.0, "fine-tuning": 20.0, "archive": 1.0}
    rows = [
        {"data": "nlu.yml", "messages": 110, "seconds": 26.0, "stages": spent, "test_f1": 88.0},
        {"data": "edited (--finetune, epoch fraction 0.2)", "messages": 115, "seconds": 9.0,
         "stages": {"fine-tuning": 4.0}, "test_f1": 88.5},
    ]  # fmt: skip
    table = training_table(rows).splitlines()
    assert table[0].endswith("| held-out F1 |")
    assert table[2] == "| nlu.yml | 110 | 26 | 5 | 20 | 0 | 0 | 1 | 88.00 |"
    assert table[3].startswith("| edited (--finetune, epoch fraction 0.2) | 115 | 9 | 0 | 4 |")
