"""The live settings an admin may send (``PUT /api/admin/settings``), validated in the core."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.core.live_settings import SettingsChange

CRISIS = [{"title": "Campus line", "phone": "+86 10 1234 5678", "url": "https://x.example",
           "lang": "en"}]


def test_a_change_names_only_what_it_sets() -> None:
    change = SettingsChange.model_validate({"cooldown_s": 300, "hours": "Mon-Fri 08:00-22:00"})
    assert change.changed() == ["hours", "cooldown_s"]
    assert change.hours == "mon-fri 08:00-22:00"  # normalised as `peerline hours set` does
    full = SettingsChange.model_validate({
        "resources": {"crisis": CRISIS, "self_help": [{"title": " Breathe ", "text": "4-4-6"}]},
        "tier_timeout_s": 45, "hours_message": {"zh": "今天休息。", "en": "  "},
        "open_when_on_call": True})
    assert full.resources is not None and full.resources.self_help[0].title == "Breathe"
    assert full.hours_message is not None and full.hours_message.en is None  # blank: none


@pytest.mark.parametrize("body, where", [
    ({}, ()),
    ({"hours": "mon-fri 8-22"}, ("hours",)),
    ({"hours": None}, ()),
    ({"tier_timeout_s": 1}, ("tier_timeout_s",)),
    ({"tier_timeout_s": "soon"}, ("tier_timeout_s",)),
    ({"cooldown_s": -5}, ("cooldown_s",)),
    ({"cooldown_s": 99_999}, ("cooldown_s",)),
    ({"colour": "blue"}, ("colour",)),
    ({"resources": {"crisis": [], "self_help": []}}, ("resources", "crisis")),
    ({"resources": {"crisis": [{"title": "  "}], "self_help": []}},
     ("resources", "crisis", 0, "title")),
    ({"resources": {"crisis": [{"title": "x", "phone": "call me"}], "self_help": []}},
     ("resources", "crisis", 0, "phone")),
    ({"resources": {"crisis": [{"title": "x", "url": "javascript:alert(1)"}],
                    "self_help": []}}, ("resources", "crisis", 0, "url")),
    ({"resources": {"crisis": CRISIS, "self_help": [{"title": "x"}]}},
     ("resources", "self_help", 0, "text")),
])
def test_bad_changes_are_refused_with_where(body: dict[str, object], where: tuple[object, ...]
                                            ) -> None:
    with pytest.raises(ValidationError) as caught:
        SettingsChange.model_validate(body)
    locations = [tuple(e["loc"]) for e in caught.value.errors()]
    assert any(loc[:len(where)] == where for loc in locations), locations
