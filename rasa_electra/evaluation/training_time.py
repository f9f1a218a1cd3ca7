"""What `rasa train nlu` spends its time on, stage by stage, read from its own log.

Rasa logs when each trained component starts and finishes; the ELECTRA extractor logs its
fine-tunings, its conversion and the copy into the archive. The stages are the gaps between
those lines (the log's clock has whole seconds), and the whole run is timed here.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from rasa_electra.components.electra_entity_extractor import STORED
from rasa_electra.evaluation.harness import rasa_command
from rasa_electra.serving.formats import CONVERTING

STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +INFO +\S+ +- (.*)")
STARTED = re.compile(r"Starting to train component '(\w+)'")
FINISHED = re.compile(r"Finished training component '(\w+)'")


@dataclass
class TrainingTime:
    """One `rasa train nlu`: its whole time and each stage's, in seconds."""

    data: str
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)


def stages(log: str, started: dt.datetime, ended: dt.datetime) -> dict[str, float]:
    """The stages of one run's log: reading and featurizing the data until the first trained
    component, each component (the extractor's fine-tuning, its conversion, and the stored model
    loaded to serve, apart), and the archive after the last one."""
    marks: list[tuple[str, dt.datetime]] = [("data", started)]
    for stamp, message in STAMP.findall(log):
        at = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        if match := STARTED.search(message):
            marks.append((match.group(1), at))
        elif CONVERTING in message:
            marks.append(("conversion", at))
        elif STORED in message:  # then the stored model is loaded to serve
            marks.append(("loading", at))
        elif FINISHED.search(message):
            marks.append(("archive", at))
    marks.append(("end", ended))
    spent: dict[str, float] = {}
    for (name, at), (_, following) in pairwise(marks):
        stage = "fine-tuning" if name == "ElectraEntityExtractor" else name
        spent[stage] = spent.get(stage, 0.0) + max(0.0, (following - at).total_seconds())
    return spent


def time_training(
    config: Path, nlu: Path, workdir: Path, previous: Path | None = None,
    epoch_fraction: float = 1.0, name: str = "model",
) -> TrainingTime:  # fmt: skip
    """`rasa train nlu` of ``config`` on ``nlu`` (a file or a folder) in ``workdir``, timed by
    stage; with ``previous``, `rasa train --finetune` of that archive for ``epoch_fraction``
    of the epochs. The archive is ``workdir/NAME.tar.gz``."""
    workdir.mkdir(parents=True, exist_ok=True)
    more = ["--finetune", str(previous), "--epoch-fraction", str(epoch_fraction)] \
        if previous else []  # fmt: skip
    started, clock = dt.datetime.now(), time.perf_counter()
    log = rasa_command(
        "train", "nlu", "--config", str(config), "--nlu", str(nlu), "--out", str(workdir),
        "--fixed-model-name", name, *more, cwd=workdir, log_path=workdir / f"rasa-{name}.log",
        label=f"[{nlu.name}] ",
    )  # fmt: skip
    seconds = time.perf_counter() - clock
    what = f"{nlu} (--finetune, epoch fraction {epoch_fraction})" if previous else str(nlu)
    return TrainingTime(what, round(seconds, 1), stages(log, started, dt.datetime.now()))
