"""The report writer and the serving statistics on numbers made here (no Rasa run)."""

import json

import pytest

from rasa_electra.data.span_metrics import summarize_trials
from rasa_electra.evaluation.rasa_agent import percentile
from rasa_electra.evaluation.report import write_report
from rasa_electra.evaluation.scoreboard import (
    append_record,
    make_record,
    read_scoreboard,
    render_into,
)
from rasa_electra.evaluation.serving import LoadResult, Timing


def system(f1: float, person_f1: float) -> dict:
    trial = {
        "micro": {"precision": f1, "recall": f1, "f1": f1},
        "per_label": {"PERSON": {"precision": 1, "recall": 1, "f1": person_f1, "support": 7}},
    }
    stat = {"mean": 1.5, "std": 0.0}
    return {
        "trials": 1, **summarize_trials([trial]), "train_seconds": stat, "load_seconds": stat,
        "latency_ms_p50": stat, "latency_ms_p95": stat, "archive_mb": 3.25,
        "unrepresentable_gold_entities": 2, "gold_entities": 40,
        "token_level_weighted_avg": {"CRFEntityExtractor": {"precision": 0.5, "recall": 0.25,
                                                            "f1-score": 0.3}},
    }  # fmt: skip


def test_report_writes_json_markdown_and_charts(tmp_path):
    systems = {"crf": system(0.7324, 0.5), "electra": system(0.3112, 0.25)}
    results = {"train": "train.yml", "test": "test.yml", "test_messages": 12, "systems": systems}
    paths = write_report(results, tmp_path, "GSD test")
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == results
    report = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert report.startswith("# GSD test")
    assert "| crf | 1 | 73.24 | 73.24 | **73.24** | – |" in report  # no boundary F1 recorded
    assert "| electra | 1 | 31.12 | 31.12 | **31.12** |" in report
    assert "| PERSON | 7 | 50.00 ± 0.00 | 25.00 ± 0.00 |" in report
    assert "| 3.25 | 2/40 |" in report
    assert "| crf | CRFEntityExtractor | 50.00 | 25.00 | 30.00 |" in report
    charts = [p for p in paths if p.suffix == ".png"]
    assert charts and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in charts)


def test_percentile_and_timing_statistics():
    values = list(range(1, 101))  # 1..100 ms
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.95)
    assert percentile([7.0], 95) == 7.0
    timing = Timing(load_seconds=2.0, latencies_ms=[float(v) for v in values])
    assert timing.p50 == pytest.approx(50.5) and timing.p95 == pytest.approx(95.95)


def test_load_result_summary():
    latencies = [10.0] * 19 + [90.0]
    result = LoadResult(requests=20, concurrency=4, seconds=4.0, latencies_ms=latencies, errors=1,
                        rss_mb=512.04, peak_rss_mb=600.06, ready_seconds=30.04)  # fmt: skip
    summary = result.as_dict()
    assert summary["requests_per_second"] == 5.0 and summary["errors"] == 1
    assert summary["p50_ms"] == 10.0 and summary["p95_ms"] == pytest.approx(86.0)
    assert (summary["rss_mb"], summary["peak_rss_mb"], summary["ready_seconds"]) == (
        512.0,
        600.1,
        30.0,
    )


def test_serving_tables_give_ratios_to_the_first_system():
    from rasa_electra.evaluation.scoreboard import serving_tables

    def row(p50: float, rate: float) -> dict:
        return {"archive_mb": 1.0, "load_seconds": 2.0, "p50_ms": p50, "p95_ms": 2 * p50,
                "messages_per_second": {"1": rate, "8": 2 * rate}}  # fmt: skip

    report = {"systems": {"crf": row(3.0, 100.0), "electra": row(12.0, 50.0)}}
    table = serving_tables(report, [1, 8])
    assert "| electra | 1.0 | 2.0 | 12.0 | 24.0 | 50.0 | 100.0 | 4.00× | 0.50× |" in table
    assert "| crf |" in table and "load test" not in table


def test_the_scoreboard_appends_records_and_rewrites_only_the_marked_tables(tmp_path):
    board, doc = tmp_path / "scoreboard.json", tmp_path / "results.md"
    systems = {"crf": system(0.7324, 0.5), "diet": system(0.5, 0.4)}
    systems["diet"]["selection"] = {"parameter": "epochs", "dev_f1": {"10": 0.41, "20": 0.45},
                                    "chosen": 20}  # fmt: skip
    results = {"train": "t.yml", "dev": "d.yml", "test": "x.yml", "test_messages": 12,
               "systems": systems}  # fmt: skip
    doc.write_text("# Results\nhand-written\n<!-- scoreboard: gsd -->\nstale\n"
                   "<!-- /scoreboard: gsd -->\nafter\n", encoding="utf-8")  # fmt: skip
    command = "rasa-electra evaluate …"
    append_record(board, make_record(results, "gsd", command, "GSD", "2026-11-01"))
    systems["crf"] = system(0.75, 0.5)
    append_record(board, make_record(results, "gsd", command, "GSD", "2026-11-02"))
    records = read_scoreboard(board)
    assert [r["date"] for r in records] == ["2026-11-01", "2026-11-02"]  # nothing overwritten
    assert records[0]["systems"]["crf"]["f1"] == {"mean": 73.24, "std": 0.0}
    assert render_into(doc, records) == ["gsd"]
    text = doc.read_text(encoding="utf-8")
    assert "stale" not in text and text.startswith("# Results\nhand-written\n")
    assert text.endswith("<!-- /scoreboard: gsd -->\nafter\n")
    assert "Run `gsd`, 2026-11-02" in text and "| crf | 1 | 75.00 |" in text  # the newest
    assert "diet: epochs 20 chosen on dev (dev F1 by epochs: 10: 41.00, 20: 45.00)" in text
    append_record(board, make_record(results, "unidic", command, "GSD", "2026-11-03"))
    doc.write_text("<!-- scoreboard: gsd/crf+unidic -->\n<!-- /scoreboard: gsd/crf+unidic -->\n",
                   "utf-8")  # fmt: skip
    assert render_into(doc, read_scoreboard(board)) == ["gsd", "unidic"]
    text = doc.read_text(encoding="utf-8")
    assert "| gsd: crf | 1 | 75.00 |" in text and "| unidic: diet | 1 |" in text
    assert "gsd: diet" not in text  # RUN/SYSTEM keeps one system of that run
    assert "- `unidic`: 2026-11-03" in text
    doc.write_text("<!-- scoreboard: other -->\n<!-- /scoreboard: other -->\n", "utf-8")
    with pytest.raises(KeyError, match="no scoreboard record for run 'other'"):
        render_into(doc, records)


def test_scoreboard_show_prints_a_runs_newest_table_and_fails_on_an_unknown_run(tmp_path, capsys):
    from rasa_electra.cli import scoreboard

    board = tmp_path / "scoreboard.json"
    results = {"train": "t.yml", "dev": "d.yml", "test": "x.yml", "test_messages": 12,
               "systems": {"crf": system(0.7324, 0.5)}}  # fmt: skip
    append_record(
        board, make_record(results, "gsd", "rasa-electra evaluate …", "GSD", "2026-11-01")
    )
    results["systems"] = {"crf": system(0.75, 0.5)}
    append_record(
        board, make_record(results, "gsd", "rasa-electra evaluate …", "GSD", "2026-11-02")
    )
    assert scoreboard.main(["--scoreboard", str(board), "--show", "gsd"]) == 0
    shown = capsys.readouterr().out
    assert "Run `gsd`, 2026-11-02" in shown and "| crf | 1 | 75.00 |" in shown
    assert scoreboard.main(["--scoreboard", str(board), "--show", "other"]) == 1
    assert "no record of run 'other'" in capsys.readouterr().err


def test_a_serving_benchmark_is_recorded_and_rendered_with_its_own_tables(tmp_path, capsys):
    from rasa_electra.cli import scoreboard
    from rasa_electra.evaluation.scoreboard import make_serving_record

    def row(p50: float, rate: float, requests_per_second: float) -> dict:
        load = {"servers": 1, "ready_seconds": 3.0, "requests": 300, "concurrency": 8,
                "requests_per_second": requests_per_second, "p50_ms": 40.0, "p95_ms": 60.0,
                "errors": 0, "rss_mb": 600.0, "peak_rss_mb": 700.0}  # fmt: skip
        return {"archive_mb": 1.0, "load_seconds": 0.5, "p50_ms": p50, "p95_ms": 2 * p50,
                "messages_per_second": {"1": rate, "8": 2 * rate}, "load_test": load}  # fmt: skip

    report = {"messages": 200, "systems": {"crf": row(4.0, 100.0, 180.0),
                                           "electra": row(5.0, 80.0, 90.0)}}  # fmt: skip
    board, doc = tmp_path / "scoreboard.json", tmp_path / "results.md"
    command = "rasa-electra benchmark-serving …"
    append_record(board, make_serving_record(report, "bench", command, "test.yml", "idle"))
    doc.write_text("<!-- scoreboard: bench -->\n<!-- /scoreboard: bench -->\n", "utf-8")
    assert render_into(doc, read_scoreboard(board)) == ["bench"]
    text = doc.read_text(encoding="utf-8")
    assert "Run `bench`" in text and "(200 messages)" in text and ". idle." in text
    assert "| electra | 1.0 | 0.5 | 5.0 | 10.0 | 80.0 | 160.0 | 1.25× | 0.80× |" in text
    assert "| electra | 1 | 3.0 | 300 | 8 | 90.0 |" in text and "0.50× |" in text
    assert scoreboard.main(["--scoreboard", str(board), "--show", "bench"]) == 0
    assert "| crf | 1.0 | 0.5 | 4.0 |" in capsys.readouterr().out
    doc.write_text("<!-- scoreboard: bench+bench -->\n<!-- /scoreboard: bench+bench -->\n", "utf-8")
    with pytest.raises(ValueError, match="rendered alone"):
        render_into(doc, read_scoreboard(board))
