"""The analysis benchmark's figures on a small file written here (not on real data)."""

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "analysis_benchmark.py"


def load_benchmark(monkeypatch):
    # as when run as a script: its folder is on the path (it imports process_memory beside it)
    monkeypatch.syspath_prepend(str(BENCHMARK.parent))
    spec = importlib.util.spec_from_file_location("analysis_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_complaint_figures_per_value_of_a_grouping_key(tmp_path, capsys, monkeypatch):
    records = [
        {"text": "@shop my parcel never arrived and nobody answers, this is terrible", "lang": "en",
         "complaint": True, "domain": "retail"},
        {"text": "@shop the refund still has not come after three weeks, awful service", "lang": "en",
         "complaint": True, "domain": "retail"},
        {"text": "What a lovely sunny morning for a walk in the park with friends", "lang": "en",
         "complaint": False, "domain": "random_tweet"},
    ]  # fmt: skip
    data = tmp_path / "complaints_en.jsonl"
    data.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    figures = tmp_path / "figures.json"

    benchmark = load_benchmark(monkeypatch)
    assert benchmark.main([str(data), "--group-by", "domain", "--rounds", "1", "--json", str(figures)]) == 0

    output = capsys.readouterr().out
    assert "| domain | n |" in output
    rows = json.loads(figures.read_text(encoding="utf-8"))["files"][data.name]
    assert set(rows) == {"retail", "random_tweet", "all"}
    assert (rows["retail"]["n"], rows["random_tweet"]["n"], rows["all"]["n"]) == (2, 1, 3)
    # the two complaints are recognised: F1 1.0 where they are, and no complaint where there is none
    assert rows["retail"]["complaint F1"] == 1.0
    assert rows["all"]["complaint F1"] == 1.0
