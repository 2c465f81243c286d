"""Canned replies: counselor-approved words a helper inserts and may edit before sending.

A template is validated here (pydantic) wherever it comes from: the counselor console
(``/api/canned``), a file (``peerline canned import``), or the shipped defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Category = Literal["greeting", "closing", "crisis", "counselor", "other"]


class CannedReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Literal["zh", "en"]
    category: Category = "other"
    title: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=2000)

    @field_validator("title", "text")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class CannedPatch(BaseModel):
    """A change to a template: the fields given are changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Literal["zh", "en"] | None = None
    category: Category | None = None
    title: str | None = Field(None, min_length=1, max_length=80)
    text: str | None = Field(None, min_length=1, max_length=2000)


DEFAULTS: tuple[CannedReply, ...] = (
    CannedReply(lang="en", category="greeting", title="Hello",
                text="Hi, I'm glad you reached out. I'm a trained student helper and I'm here "
                     "to listen. What's on your mind today?"),
    CannedReply(lang="zh", category="greeting", title="问候",
                text="你好，很高兴你愿意来聊聊。我是受过培训的同学志愿者，我会认真听你说。"
                     "今天想聊些什么呢？"),
    CannedReply(lang="en", category="counselor", title="Bringing in a counselor",
                text="Thank you for trusting me with this. I'd like to bring in one of our "
                     "counselors, who can support you better than I can. I'll stay here with "
                     "you while they join."),
    CannedReply(lang="zh", category="counselor", title="请咨询师加入",
                text="谢谢你愿意告诉我这些。我想请一位专业的心理咨询师一起加入，"
                     "他们能给你更好的支持。在他们加入之前，我会一直在这里陪着你。"),
    CannedReply(lang="en", category="crisis", title="Are you safe right now?",
                text="I'm really concerned about what you've told me. Are you safe right now? "
                     "If you are in danger, please call emergency services (120 / 110) or a "
                     "crisis line now — you don't have to go through this alone."),
    CannedReply(lang="zh", category="crisis", title="你现在安全吗？",
                text="听到你说的这些，我很担心你。你现在安全吗？如果你有危险，请马上拨打"
                     "120 / 110 或心理危机热线，你不需要一个人扛着。"),
    CannedReply(lang="en", category="closing", title="Closing",
                text="Thank you for talking with me today. You can come back any time you "
                     "need to talk. Take care of yourself."),
    CannedReply(lang="zh", category="closing", title="结束",
                text="谢谢你今天愿意和我聊。任何时候需要倾诉都可以再来。照顾好自己。"),
)
