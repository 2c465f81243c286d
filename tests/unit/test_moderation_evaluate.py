"""The evaluator's statistics and report, on a tiny hand-made file (never the dev data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import Moderator
from moderation.evaluate import evaluate, main, wilson


def test_wilson_known_values() -> None:
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4)
    assert hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(10, 10)
    assert lo == pytest.approx(0.7225, abs=1e-4)
    assert hi == pytest.approx(1.0)


def test_wilson_empty_and_bounds() -> None:
    assert wilson(0, 0) == (0.0, 0.0)
    for k in range(0, 21):
        lo, hi = wilson(k, 20)
        assert 0.0 <= lo <= k / 20 <= hi <= 1.0


ROWS = [
    {"text": "我想死", "lang": "zh", "label": "high"},
    {"text": "我准备今晚烧炭", "lang": "zh", "label": "high"},
    {"text": "今天天气真好", "lang": "zh", "label": "none"},
    {"text": "有点难过", "lang": "zh", "label": "low"},
    {"text": "I want to die", "lang": "en", "label": "high"},
    {"text": "nice game last night", "lang": "en", "label": "none"},
]


def test_evaluate_counts() -> None:
    report = evaluate(ROWS, Moderator())
    zh = report["languages"]["zh"]
    assert zh["recall_high_ge2"].k == 2 and zh["recall_high_ge2"].n == 2
    assert zh["recall_high_3"].k == 2  # issue 15: 我想死 pages too
    assert zh["false_alarm_none_ge2"].k == 0
    assert zh["confusion"]["none"] == [1, 0, 0, 0]
    en = report["languages"]["en"]
    assert en["recall_high_ge2"].value == 1.0
    assert report["timing"]["messages"] == len(ROWS)


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    assert main([str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["languages"]["zh"]["recall_high_ge2"]["rate"] == 1.0
    assert len(out["languages"]["en"]["recall_high_ge2"]["ci95"]) == 2
    assert "p99_ms" in out["timing"] and "lexicon_load_ms" in out["timing"]
    assert out["chat"]["languages"]["zh"]["recall_high_ge2"]["n"] >= 2


def test_cli_text_never_prints_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    assert main([str(f)]) == 0
    out = capsys.readouterr().out
    assert "recall high" in out
    assert "我想死" not in out and "I want to die" not in out


def test_chat_rows_are_short_and_keep_labels() -> None:
    from moderation.evaluate import chat_rows

    rows = [{"text": "First sentence here. " + "Second one is longer than the first. " * 5,
             "lang": "en", "label": "high"},
            {"text": "今天好累。真的不想说话了！明天还要考试。", "lang": "zh", "label": "low"}]
    out = chat_rows(rows)
    assert out and all(len(r["text"]) <= 80 for r in out)
    assert {r["label"] for r in out if r["lang"] == "en"} == {"high"}
    assert out[0]["text"] == "First sentence here."
    assert chat_rows(rows) == out  # the random window is seeded


def test_summary_table_has_both_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    assert main([str(f)]) == 0
    out = capsys.readouterr().out
    assert "| zh | posts |" in out and "| en | chat |" in out
    assert "我想死" not in out and "I want to die" not in out  # texts are never printed
