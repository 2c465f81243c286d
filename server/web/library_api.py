"""HTTP for the resource library (PROTOCOL.md "Between chats": Library)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.between import LANGS, TOPICS
from ..core.errors import BadInput
from .between_http import answers, body, editor, query, runtime, staff


@answers
async def search(request: Request) -> Response:
    topic = query(request, "topic", 32)
    lang = query(request, "lang", 8)
    if topic is not None and topic not in TOPICS:
        raise BadInput(f"topic: one of {', '.join(TOPICS)}")
    if lang is not None and lang not in LANGS:
        raise BadInput("lang: zh or en")
    items = await runtime(request).between.library.search(
        query(request, "q", 200), topic, lang, staff=await staff(request) is not None)
    return JSONResponse({"items": items})


@answers
async def item(request: Request) -> Response:
    found = await runtime(request).between.library.open(
        request.path_params["item_id"], staff=await staff(request) is not None)
    return JSONResponse(found)


@answers
async def create(request: Request) -> Response:
    await editor(request)
    made = await runtime(request).between.library.create(await body(request))
    return JSONResponse({"id": made["id"], "item": made}, 201)


@answers
async def update(request: Request) -> Response:
    await editor(request)
    changed = await runtime(request).between.library.update(request.path_params["item_id"],
                                                            await body(request))
    return JSONResponse({"id": changed["id"], "item": changed})


@answers
async def delete(request: Request) -> Response:
    await editor(request)
    await runtime(request).between.library.delete(request.path_params["item_id"])
    return Response(status_code=204)


@answers
async def export(request: Request) -> Response:
    await editor(request)
    items = await runtime(request).between.library.export()
    return JSONResponse({"version": 1, "items": items},
                        headers={"Content-Disposition": 'attachment; filename="library.json"'})


@answers
async def import_items(request: Request) -> Response:
    await editor(request)
    count = await runtime(request).between.library.import_items(await body(request))
    return JSONResponse({"imported": count})
