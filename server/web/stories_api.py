"""HTTP for student stories (PROTOCOL.md "Between chats": Stories)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .between_http import answers, body, editor, runtime


@answers
async def submit(request: Request) -> Response:
    done = await runtime(request).between.stories.submit(await body(request))
    answer: dict[str, object] = {"receipt": done.receipt, "status": done.status}
    if done.resources is not None:
        answer["resources"] = done.resources
    return JSONResponse(answer, 201)


@answers
async def receipt(request: Request) -> Response:
    return JSONResponse(await runtime(request).between.stories.receipt(
        request.path_params["receipt"]))


@answers
async def revise(request: Request) -> Response:
    done = await runtime(request).between.stories.revise(request.path_params["receipt"],
                                                         await body(request))
    answer: dict[str, object] = {"receipt": done.receipt, "status": done.status}
    if done.resources is not None:
        answer["resources"] = done.resources
    return JSONResponse(answer)


@answers
async def published(request: Request) -> Response:
    return JSONResponse({"items": await runtime(request).between.stories.published()})


@answers
async def review(request: Request) -> Response:
    await editor(request)
    return JSONResponse({"items": await runtime(request).between.stories.review_queue()})


@answers
async def decide(request: Request) -> Response:
    await editor(request)
    status = await runtime(request).between.stories.decide(request.path_params["story_id"],
                                                           await body(request))
    return JSONResponse({"id": request.path_params["story_id"], "status": status})


@answers
async def delete(request: Request) -> Response:
    await editor(request)
    await runtime(request).between.stories.delete(request.path_params["story_id"])
    return Response(status_code=204)


@answers
async def read(request: Request) -> Response:
    reads = await runtime(request).between.stories.read(request.path_params["story_id"])
    return JSONResponse({"reads": reads})


@answers
async def react(request: Request) -> Response:
    counts = await runtime(request).between.stories.react(request.path_params["story_id"],
                                                          await body(request))
    return JSONResponse({"reactions": counts})
