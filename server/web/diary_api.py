"""HTTP for the mood diary, self-check bands and the between-chats statistics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.diary import falling
from ..core.errors import BadInput
from .between_http import answers, body, editor, runtime

DIARY_KEY_HEADER = "x-diary-key"


@answers
async def add(request: Request) -> Response:
    written = await runtime(request).between.diary.add(request.headers.get(DIARY_KEY_HEADER),
                                                       await body(request))
    answer: dict[str, object] = {"entry": written.entry, "falling": written.falling}
    if written.resources is not None:
        answer["resources"] = written.resources
    return JSONResponse(answer, 201)


@answers
async def entries(request: Request) -> Response:
    found = await runtime(request).between.diary.list(request.headers.get(DIARY_KEY_HEADER))
    moods = [e["mood"] for e in reversed(found)]
    return JSONResponse({"entries": found, "falling": falling(moods)},
                        headers={"Cache-Control": "no-store"})


@answers
async def delete(request: Request) -> Response:
    await runtime(request).between.diary.delete(request.headers.get(DIARY_KEY_HEADER))
    return Response(status_code=204)


@answers
async def self_check(request: Request) -> Response:
    await runtime(request).between.insights.record_band(await body(request))
    return Response(status_code=204)


@answers
async def stats(request: Request) -> Response:
    await editor(request)
    raw = request.query_params.get("weeks", "8")
    if not raw.isdigit():
        raise BadInput("weeks: a whole number")
    between = runtime(request).between
    items = await between.library.export()
    titles = {i["id"]: f"{i['title']} ({i['lang']})" for i in items}
    return JSONResponse(await between.insights.weekly(int(raw), titles,
                                                      await between.library.opens()))
