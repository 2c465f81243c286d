"""Student stories: submitted anonymously, screened, reviewed, published for others to read.

A submission passes the same moderation as a chat message: personal data is masked before
anything is stored, and a crisis is not merely queued. The student sees crisis resources at
once (in the answer) and is offered a chat; the story goes to the top of the review queue with
its severity. The student follows the outcome with a private receipt code, never an account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from moderation import Moderator

from ..core import stories as rules
from ..core.between import iso_week, same_secret, secret_digest, well_formed_secret
from ..core.errors import BadInput, Conflict, NotFound, RateLimited
from ..core.ids import new_id, new_token
from ..store.stories import StoryStore
from ..store.tallies import Tallies
from ..store.windows import Windows

CRISIS = 3


@dataclass(frozen=True)
class StoryLimits:
    submissions_per_min: int = 20
    """For everyone together: no address is kept, so a flood is bounded as a whole."""
    revisions_per_receipt: int = 3
    reactions_per_min: int = 600


@dataclass(frozen=True)
class Submitted:
    receipt: str
    status: str
    resources: list[dict[str, Any]] | None


class Stories:
    def __init__(self, *, store: StoryStore, windows: Windows, tallies: Tallies,
                 moderator: Moderator, crisis_resources: list[dict[str, Any]],
                 limits: StoryLimits) -> None:
        self.store = store
        self.windows = windows
        self.tallies = tallies
        self.moderator = moderator
        self.crisis_resources = crisis_resources
        self.limits = limits

    async def submit(self, raw: Any) -> Submitted:
        sub = rules.parse(rules.Submission, raw)
        if not await self.windows.hit("story", self.limits.submissions_per_min):
            raise RateLimited("too many stories are being sent right now; try again in a minute")
        screened = self._screen(sub.title, sub.text, sub.lang)
        receipt = new_token()
        now_ms = int(time.time() * 1000)
        await self.store.create(new_id(), secret_digest(receipt),
                                {**screened, "topic": sub.topic, "lang": sub.lang,
                                 "submitted_at": now_ms},
                                rules.review_order(screened["severity"], now_ms))
        await self.tallies.add(iso_week(now_ms / 1000), "story:submitted")
        return Submitted(receipt, "pending", self._resources(screened["severity"]))

    async def receipt(self, receipt: str) -> dict[str, Any]:
        """What the author may see: the status, the reviewers' reason and (to edit) the text."""
        story = await self._by_receipt(receipt)
        out: dict[str, Any] = {"status": story["status"], "reason": story.get("reason") or None,
                               "title": story.get("title"), "topic": story.get("topic"),
                               "lang": story.get("lang"),
                               "revisions_left": max(0, self.limits.revisions_per_receipt
                                                     - story.get("revisions", 0))}
        if story["status"] == "revise":
            out["text"] = story.get("text")
        if story["status"] == "published":
            out["id"] = story["id"]
        return out

    async def revise(self, receipt: str, raw: Any) -> Submitted:
        """The author's edit after reviewers asked for one (a few times per receipt at most)."""
        story = await self._by_receipt(receipt)
        if story["status"] != "revise":
            raise Conflict("this story is not waiting for an edit")
        if story.get("revisions", 0) >= self.limits.revisions_per_receipt:
            raise RateLimited("this story has been edited as many times as it may be")
        rev = rules.parse(rules.Revision, raw)
        if not await self.windows.hit("story", self.limits.submissions_per_min):
            raise RateLimited("too many stories are being sent right now; try again in a minute")
        screened = self._screen(rev.title, rev.text, story.get("lang"))
        now_ms = int(time.time() * 1000)
        await self.store.resubmit(story, {**screened, "submitted_at": now_ms},
                                  rules.review_order(screened["severity"], now_ms))
        return Submitted(receipt, "pending", self._resources(screened["severity"]))

    async def published(self) -> list[dict[str, Any]]:
        return [_public(s) for s in await self.store.published()]

    async def review_queue(self) -> list[dict[str, Any]]:
        """Pending stories, crises first, with what the filter found."""
        return [{**_public(s), "severity": s.get("severity", 0),
                 "categories": s.get("categories", []), "submitted_at": s.get("submitted_at"),
                 "revisions": s.get("revisions", 0)}
                for s in await self.store.pending()]

    async def decide(self, story_id: str, raw: Any) -> str:
        decision = rules.parse(rules.DecisionIn, raw)
        story = await self.store.get(story_id)
        if story is None:
            raise NotFound("no such story")
        if story["status"] != "pending":
            raise Conflict(f"this story was already decided ({story['status']})")
        if rules.needs_reason(decision.decision, decision.reason):
            raise BadInput("reason: required to reject or ask for an edit")
        status = rules.STATUS_AFTER[decision.decision]
        await self.store.decide(story, status, decision.reason, int(time.time() * 1000))
        return status

    async def delete(self, story_id: str) -> None:
        story = await self.store.get(story_id)
        if story is None:
            raise NotFound("no such story")
        await self.store.delete(story)

    async def read(self, story_id: str) -> int:
        if not await self.windows.hit("storyread", self.limits.reactions_per_min):
            raise RateLimited("too many reads counted right now")
        reads = await self.store.count(story_id, "reads")
        if reads < 0:
            raise NotFound("no such story")
        await self.tallies.add(iso_week(time.time()), "story:read")
        return reads

    async def react(self, story_id: str, raw: Any) -> dict[str, int]:
        reaction = rules.parse(rules.Reaction, raw).reaction
        if not await self.windows.hit("react", self.limits.reactions_per_min):
            raise RateLimited("too many reactions right now; try again in a minute")
        if await self.store.count(story_id, f"r:{reaction}") < 0:
            raise NotFound("no such story")
        story = await self.store.get(story_id)
        return _reactions(story or {})

    def _screen(self, title: str, text: str, lang: str | None) -> dict[str, Any]:
        verdict = self.moderator.scan(f"{title}\n{text}", lang=lang)
        return {"title": self.moderator.mask(title), "text": self.moderator.mask(text),
                "severity": verdict.severity, "categories": list(verdict.categories)}

    def _resources(self, severity: int) -> list[dict[str, Any]] | None:
        return self.crisis_resources if severity >= CRISIS else None

    async def _by_receipt(self, receipt: str) -> dict[str, Any]:
        if not well_formed_secret(receipt):
            raise BadInput("receipt: not a receipt code")
        story = await self.store.by_receipt(secret_digest(receipt))
        # The digest found the story; the stored digest is compared again in constant time.
        if story is None or not same_secret(receipt, story.get("receipt", "")):
            raise NotFound("no story with this receipt (it may have expired)")
        return story


def _reactions(story: dict[str, Any]) -> dict[str, int]:
    counts = story.get("reactions") or {}
    return {r: int(counts.get(r, 0)) for r in rules.REACTIONS}


def _public(story: dict[str, Any]) -> dict[str, Any]:
    return {"id": story["id"], "title": story.get("title", ""), "text": story.get("text", ""),
            "topic": story.get("topic"), "lang": story.get("lang"),
            "published_at": story.get("published_at"), "reads": story.get("reads", 0),
            "reactions": _reactions(story)}
