"""The bare endpoint the API benchmark compares against: the same framework (FastAPI on
uvicorn, same settings), a POST that reads its JSON body and answers a small JSON object, no
middleware, no auth, no work. What the framework alone costs per request on this machine."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.post("/hello")
async def hello(request: Request) -> Response:
    body = await request.body()
    return Response(json.dumps({"hello": len(body)}), media_type="application/json")
