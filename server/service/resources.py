"""Crisis resources shown to seekers, and self-help material shown while they wait.

Operators replace the defaults with a JSON file (``PEERLINE_RESOURCES_FILE``) holding
``{"crisis": [...], "self_help": [...]}``; the campus counselling centre entry below is a
placeholder that a deployment must fill in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CRISIS: list[dict[str, Any]] = [
    {"title": "全国青少年服务台 12355 (Youth hotline, China)", "phone": "12355",
     "url": "https://www.12355.net", "lang": "zh"},
    {"title": "希望24热线 (Hope 24h crisis line, China)", "phone": "400-161-9995",
     "url": None, "lang": "zh"},
    {"title": "北京心理危机研究与干预中心 (Beijing crisis line)", "phone": "010-82951332",
     "url": None, "lang": "zh"},
    {"title": "学校心理咨询中心 / Campus counselling centre (operator: set the number)",
     "phone": None, "url": None, "lang": "zh"},
    {"title": "紧急情况 请拨打 110 / 120 (Emergency: police 110, ambulance 120)",
     "phone": "120", "url": None, "lang": "zh"},
    {"title": "988 Suicide & Crisis Lifeline (US)", "phone": "988",
     "url": "https://988lifeline.org", "lang": "en"},
    {"title": "Samaritans (UK & Ireland)", "phone": "116 123",
     "url": "https://www.samaritans.org", "lang": "en"},
    {"title": "Emergency services: 911 (US/Canada), 999 (UK), 112 (EU)", "phone": "112",
     "url": None, "lang": "en"},
]

SELF_HELP: list[dict[str, Any]] = [
    {"title": "Slow breathing / 缓慢呼吸", "url": None,
     "text": "Breathe in for 4, hold for 4, out for 6. Repeat five times. "
             "吸气4秒，屏住4秒，呼气6秒，重复五次。"},
    {"title": "Grounding 5-4-3-2-1 / 五感着陆", "url": None,
     "text": "Name 5 things you see, 4 you can touch, 3 you hear, 2 you smell, 1 you taste. "
             "说出你看到的5样东西、摸到的4样、听到的3种声音、闻到的2种气味、尝到的1种味道。"},
    {"title": "You are not alone / 你并不孤单", "url": None,
     "text": "Many students feel this way at times. A trained peer will be with you soon. "
             "很多同学都有过这样的感受，一位受过培训的同伴很快就会来陪你。"},
]


def load(path: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(crisis, self_help) from the operator's file, or the defaults."""
    path = path or os.environ.get("PEERLINE_RESOURCES_FILE")
    if not path:
        return CRISIS, SELF_HELP
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data.get("crisis", CRISIS)), list(data.get("self_help", SELF_HELP))
