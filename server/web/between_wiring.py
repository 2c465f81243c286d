"""The between-chats features (library, stories, mood diary, self-checks) wired and routed.

Kept beside ``app.py`` rather than inside it: these use cases share nothing with the chat's
tree of use cases except the Redis client, the moderation filter and the crisis resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from starlette.routing import Route

from ..service.diary import Diary, DiaryLimits
from ..service.insights import Insights
from ..service.library import Library
from ..service.stories import Stories, StoryLimits
from ..settings import Settings
from ..store.diary import DiaryStore
from ..store.keys import Keys
from ..store.library import LibraryStore
from ..store.stories import StoryStore
from ..store.tallies import Tallies
from ..store.windows import Windows
from . import diary_api, library_api, stories_api

if TYPE_CHECKING:
    from moderation import Moderator


@dataclass(frozen=True)
class BetweenChats:
    library: Library
    stories: Stories
    diary: Diary
    insights: Insights


async def build_between(redis: aioredis.Redis, keys: Keys, settings: Settings,
                        moderator: Moderator,
                        crisis: list[dict[str, Any]]) -> BetweenChats:
    tallies = Tallies(redis, keys)
    windows = Windows(redis, keys)
    library = Library(store=LibraryStore(redis, keys), tallies=tallies)
    if settings.library_defaults:
        await library.install_defaults()
    stories = Stories(store=StoryStore(redis, keys), windows=windows, tallies=tallies,
                      moderator=moderator, crisis_resources=crisis,
                      limits=StoryLimits(submissions_per_min=settings.story_submissions_per_min))
    diary = Diary(store=DiaryStore(redis, keys, settings.diary_retention_s), windows=windows,
                  tallies=tallies, moderator=moderator, crisis_resources=crisis,
                  retention_s=settings.diary_retention_s,
                  limits=DiaryLimits(writes_per_hour=settings.diary_writes_per_hour))
    return BetweenChats(library=library, stories=stories, diary=diary,
                        insights=Insights(tallies=tallies, windows=windows))


ROUTES = [
    Route("/api/library", library_api.search, methods=["GET"]),
    Route("/api/library", library_api.create, methods=["POST"]),
    Route("/api/library/export", library_api.export, methods=["GET"]),
    Route("/api/library/import", library_api.import_items, methods=["POST"]),
    Route("/api/library/{item_id}", library_api.item, methods=["GET"]),
    Route("/api/library/{item_id}", library_api.update, methods=["PUT"]),
    Route("/api/library/{item_id}", library_api.delete, methods=["DELETE"]),
    Route("/api/stories", stories_api.published, methods=["GET"]),
    Route("/api/stories", stories_api.submit, methods=["POST"]),
    Route("/api/stories/review", stories_api.review, methods=["GET"]),
    Route("/api/stories/receipt/{receipt}", stories_api.receipt, methods=["GET"]),
    Route("/api/stories/receipt/{receipt}", stories_api.revise, methods=["PUT"]),
    Route("/api/stories/{story_id}/decision", stories_api.decide, methods=["POST"]),
    Route("/api/stories/{story_id}/read", stories_api.read, methods=["POST"]),
    Route("/api/stories/{story_id}/react", stories_api.react, methods=["POST"]),
    Route("/api/stories/{story_id}", stories_api.delete, methods=["DELETE"]),
    Route("/api/diary", diary_api.entries, methods=["GET"]),
    Route("/api/diary", diary_api.add, methods=["POST"]),
    Route("/api/diary", diary_api.delete, methods=["DELETE"]),
    Route("/api/self-check", diary_api.self_check, methods=["POST"]),
    Route("/api/between/stats", diary_api.stats, methods=["GET"]),
]
