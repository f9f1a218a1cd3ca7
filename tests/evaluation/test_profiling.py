"""The per-stage latency profile runs the component's real stages on a tiny export."""

import subprocess
import sys

from lab.profiling import STAGES, profile_stages, stage_table
from rasa_electra.serving.servable import ExportedModel


def test_every_stage_is_timed_for_every_message(exported_tiny):
    texts = ["山田太郎さんは東京に住んでいます。", "", "東京" * 400]
    timings = profile_stages(ExportedModel(exported_tiny), texts)
    assert list(timings) == list(STAGES)
    assert all(len(values) == len(texts) for values in timings.values())
    # every stage did real work on the two non-empty messages (a skipped stage reads 0.0)
    assert all(values[0] > 0 and values[2] > 0 for values in timings.values())
    table = stage_table(timings)
    rows = [line.split("|") for line in table.splitlines()[2:]]
    assert [row[1].strip() for row in rows[:-1]] == list(STAGES) and rows[-1][1].strip() == "total"
    shares = [float(row[4].strip().rstrip("%")) for row in rows[:-1]]
    assert abs(sum(shares) - 100) < 0.1 * len(STAGES)


def test_profile_command_prints_the_table(repo, exported_tiny):
    command = [sys.executable, "-m", "lab.cli.profile_latency",
               "--export", str(exported_tiny), "--data", str(repo / "data/examples/nlu.yml"),
               "--messages", "5"]  # fmt: skip
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| mecab |" in result.stdout and "| total |" in result.stdout
