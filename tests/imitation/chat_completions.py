"""Imitation of an OpenAI-compatible chat-completions API (``POST
/v1/chat/completions``), as Ollama, vLLM and providers serve it: a bearer key,
``choices[0].message.content``, 401 on a wrong key, 500 or a malformed body on
demand.  It answers drafts, summaries and classifications from canned texts
and records every request so tests can see exactly what was sent."""

from __future__ import annotations

import json

from .server import Request, Response

API_KEY = "sk-local-imitation-key"


class ChatCompletionsImitation:
    def __init__(self, answer: str = "Dobrý den, omlouváme se, hned to prověříme."):
        self.answer = answer
        self.fail_next = 0
        self.malformed_next = 0
        self.received: list[dict] = []

    def handle(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return Response.json({"error": {"message": "not found"}}, 404)
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response.json(
                {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}, 401
            )
        body = request.json()
        self.received.append(body)
        if self.fail_next:
            self.fail_next -= 1
            return Response.json({"error": {"message": "overloaded"}}, 500)
        if self.malformed_next:
            self.malformed_next -= 1
            return Response.json({"id": "x", "object": "chat.completion", "choices": []})
        system = body["messages"][0]["content"]
        if "Classify" in system:
            content = json.dumps({"sentiment": "negative", "intent": "complaint"})
        elif "Summarise" in system:
            content = "- Internet down since Monday\n- Router restarted\n- Waiting for a technician"
        else:
            content = self.answer
        return Response.json(
            {
                "id": f"chatcmpl-{len(self.received)}",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32},
            }
        )
