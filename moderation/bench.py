"""Scan-time benchmark: ``python -m moderation.bench [--n 3000] [--chars 40 500] [--from-jsonl F]``.

Times :meth:`Moderator.scan` on synthetic messages of a fixed length in both languages:
ordinary text with a few risk phrases, PII items and evasions mixed in, so every code path
runs. One core, after a warm-up, each message scanned three times. Reports lexicon load time
separately from scan time, because the hub pays the first once at start-up and the second on
every message.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence

from .scanner import Moderator

__all__ = ["make_messages", "bench", "main"]

# Ordinary chat sentences, written for this benchmark, plus a few risk, PII and evasion lines.
_EN_LINES = [
    "hey, are you still there?", "I have been feeling really tired this week.",
    "The exams are next Monday and I have not started revising.",
    "My parents keep calling about my grades and it stresses me out.",
    "Honestly nobody listens when I try to talk about it.", "Today was long but okay.",
    "We watched a film after class and the coffee helped a bit.",
    "I don't know what to do about my roommate, she never cleans up.",
    "Sometimes I feel like I am falling behind everyone else.", "thanks for listening, really.",
    "Do you think it gets easier in second year?", "I skipped lunch again, no time.",
    "My friend said I should talk to the counselling office but I'm not sure.",
]
_EN_EXTRA = ["I want to die.", "s u i c i d e is on my mind", "call me 138-1234-5678",
             "i want to k1ll myself", "this is killing me lol", "mail me at a.b@example.com",
             "I have the pills ready tonight."]
_ZH_LINES = [
    "你还在吗？", "我最近真的好累，每天都睡不着。", "考试压力很大，还有三门没复习。",
    "爸妈一直打电话问成绩，我觉得好烦。", "感觉没人理解我，说了也没用。",
    "今天和朋友去吃饭了，心情好一点。", "室友每天晚上打游戏到很晚，吵得我睡不好。",
    "有时候觉得自己什么都做不好，比别人差很多。", "谢谢你愿意听我说这些。",
    "你觉得大二会不会轻松一点？", "今天又没吃午饭，实在没时间。",
    "辅导员说可以去心理咨询中心，但我有点犹豫。", "明天还要早起上课，先不说了。",
]
_ZH_EXTRA = ["我真的好想死。", "自.杀", "加我微信 abc_12345", "活着没意思", "笑死我了",
             "手机13812345678", "安眠药已经准备好了，今晚就走。"]


def make_messages(n: int, chars: int, seed: int = 7) -> list[str]:
    """``n`` synthetic messages of exactly ``chars`` characters, alternating en and zh.

    Each is built from ordinary chat sentences with, one time in four, a risk, PII or evasion
    line mixed in, so every code path runs but the text still reads like a chat message.
    """
    rnd = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        lines, extra, sep = (_EN_LINES, _EN_EXTRA, " ") if i % 2 == 0 else (
            _ZH_LINES, _ZH_EXTRA, "")
        parts: list[str] = []
        size = 0
        while size < chars:
            piece = rnd.choice(extra) if rnd.random() < 0.25 / 4 else rnd.choice(lines)
            parts.append(piece)
            size += len(piece) + len(sep)
        out.append(sep.join(parts)[:chars])
    return out


def messages_from_jsonl(path: str, n: int, chars: int, seed: int = 7) -> list[str]:
    """``n`` messages of ``chars`` characters, alternating en and zh, each made by joining
    random texts of that language from a JSONL file with ``text`` and ``lang`` (for example
    the evaluation data: real posts are denser in risk words than the synthetic chat)."""
    by_lang: dict[str, list[str]] = {"en": [], "zh": []}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row.get("lang") in by_lang:
                    by_lang[row["lang"]].append(row["text"])
    rnd = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        pool = by_lang["en" if i % 2 == 0 else "zh"]
        text = ""
        while len(text) < chars:
            text += rnd.choice(pool) + " "
        out.append(text[:chars])
    return out


def bench(moderator: Moderator, messages: Sequence[str], repeats: int = 3) -> dict[str, float]:
    """Per-scan timings in milliseconds (p50, p99, max) and messages per second.

    Each message is scanned ``repeats`` times; the main figures keep each message's fastest
    wall-clock run, ``cpu_*`` its least CPU time (which leaves out time the process was not
    running at all), ``raw_p99_ms`` every run as it came.
    """
    for text in messages[:200]:
        moderator.scan(text)
    best: list[float] = []
    raw: list[float] = []
    cpu: list[float] = []
    for text in messages:
        runs = []
        cpu_runs = []
        for _ in range(max(1, repeats)):
            c0 = time.thread_time()
            t0 = time.perf_counter()
            moderator.scan(text)
            runs.append(time.perf_counter() - t0)
            cpu_runs.append(time.thread_time() - c0)
        raw.extend(runs)
        best.append(min(runs))
        cpu.append(min(cpu_runs))
    best.sort()
    raw.sort()
    cpu.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    return {
        "p50_ms": pct(best, 0.5),
        "p99_ms": pct(best, 0.99),
        "max_ms": best[-1] * 1000,
        "raw_p99_ms": pct(raw, 0.99),
        "cpu_p50_ms": pct(cpu, 0.5),
        "cpu_p99_ms": pct(cpu, 0.99),
        "per_s": len(best) / sum(best),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m moderation.bench", description=__doc__)
    parser.add_argument("--n", type=int, default=3000, help="messages per length")
    parser.add_argument("--chars", type=int, nargs="+", default=[40, 500])
    parser.add_argument("--from-jsonl", default=None,
                        help="build messages from the texts of this JSONL (text, lang) instead")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    moderator = Moderator()
    print(f"lexicon load: {(time.perf_counter() - t0) * 1000:.0f} ms "
          f"({len(moderator.lexicon.entries)} entries, {len(moderator.lexicon.cues)} cues)")
    for chars in args.chars:
        messages = (
            messages_from_jsonl(args.from_jsonl, args.n, chars)
            if args.from_jsonl
            else make_messages(args.n, chars)
        )
        for lang, subset in (("en", messages[0::2]), ("zh", messages[1::2])):
            r = bench(moderator, subset)
            print(f"{lang} {chars:4d} chars x {len(subset)}: p50 {r['p50_ms']:.4f} ms  "
                  f"p99 {r['p99_ms']:.4f} ms  max {r['max_ms']:.4f} ms  "
                  f"{r['per_s']:.0f} scans/s  (CPU time: p50 {r['cpu_p50_ms']:.4f} ms, "
                  f"p99 {r['cpu_p99_ms']:.4f} ms; every run: p99 {r['raw_p99_ms']:.4f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
