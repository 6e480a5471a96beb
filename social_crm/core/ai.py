"""Optional AI assistance through any OpenAI-compatible chat-completions API
(a self-hosted Ollama or vLLM, or a provider): reply drafts in the post's
language, thread summaries, a second opinion on the analysis.  Nothing here
decides whether it may be called: the addon only calls it when an
administrator enabled it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from .errors import ConnectorError

#: what a draft, a summary or a second opinion may cost at most
MAX_TOKENS = 400
SENTIMENTS = ("positive", "neutral", "negative")
INTENTS = ("complaint", "question", "purchase_intent", "praise", "other")


class AIError(ConnectorError):
    """The endpoint failed or answered something unusable."""


@dataclass(frozen=True, slots=True)
class ChatEndpoint:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 20.0

    def complete(self, messages: list[dict]) -> str:
        """The assistant's answer to ``messages`` (role/content dicts)."""
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            response = requests.post(
                self.base_url.rstrip("/") + "/chat/completions",
                json={"model": self.model, "messages": messages, "max_tokens": MAX_TOKENS, "temperature": 0.2},
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise AIError(f"endpoint unreachable: {type(error).__name__}") from None
        if response.status_code != 200:
            raise AIError(f"endpoint answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise AIError("endpoint answered no chat completion") from None
        if not isinstance(content, str) or not content.strip():
            raise AIError("endpoint answered an empty completion")
        return content.strip()


def draft_messages(post_text: str, language: str, thread: list[str], company: str) -> list[dict]:
    """A reply draft to the customer's post, in the post's language."""
    return [
        {
            "role": "system",
            "content": (
                f"You answer customers of {company} on social networks. Write one short, polite reply in the "
                f"language with ISO 639-1 code '{language}'. Do not promise refunds or dates. Only the reply text."
            ),
        },
        {"role": "user", "content": "\n---\n".join([*thread, post_text])},
    ]


def summary_messages(thread: list[str]) -> list[dict]:
    return [
        {
            "role": "system",
            "content": "Summarise this customer conversation for a support agent in three short bullet points, "
            "in English: the problem, what was done, what is still open.",
        },
        {"role": "user", "content": "\n---\n".join(thread)},
    ]


def recheck_messages(text: str) -> list[dict]:
    return [
        {
            "role": "system",
            "content": 'Classify the customer post. Answer only JSON: {"sentiment": one of '
            f'{list(SENTIMENTS)}, "intent": one of {list(INTENTS)}}}',
        },
        {"role": "user", "content": text},
    ]


def parse_recheck(answer: str) -> tuple[str, str]:
    """``(sentiment, intent)`` from the model's JSON answer (code fences allowed)."""
    text = answer.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data = json.loads(text)
        sentiment, intent = data["sentiment"], data["intent"]
    except (ValueError, KeyError, TypeError):
        raise AIError("the second opinion is not the JSON asked for") from None
    if sentiment not in SENTIMENTS or intent not in INTENTS:
        raise AIError("the second opinion names an unknown label")
    return sentiment, intent
