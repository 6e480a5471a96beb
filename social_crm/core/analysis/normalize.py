"""Text normalisation shared by every analysis step.

Social posts carry noise that misleads language detection and lexicon
scoring: links, @handles (often a brand name in another language) and
camel-cased hashtags.  Emoji are kept because they carry sentiment.
"""

from __future__ import annotations

import html
import re

#: analysing more than this many characters changes no label but costs time
#: (a 100 KB post is analysed by its first sentences, like a person would)
MAX_ANALYSED_CHARS = 2000

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# \u200c (zero-width non-joiner) is part of Persian words and handles
_MENTION = re.compile(r"(?<![\w@])@[\w\u200c]+(?:\.[\w\u200c]+)*")
_HASHTAG = re.compile(r"(?<![\w#])#([\w\u200c]+)")
_SPACES = re.compile(r"\s+")


def _hashtag_words(match: re.Match) -> str:
    """``#BadService2024`` -> ``Bad Service 2024`` in any cased script."""
    words = []
    previous = ""
    for char in match.group(1).replace("_", " "):
        if previous and (
            (previous.islower() and char.isupper()) or (previous.isdigit() != char.isdigit() and char.isalnum())
        ):
            words.append(" ")
        words.append(char)
        previous = char if char.isalnum() else ""
    return "".join(words)


def normalize_text(text: str, max_chars: int = MAX_ANALYSED_CHARS) -> str:
    """Return ``text`` without URLs and @mentions, hashtags split into words.

    Only the first ``max_chars`` characters are kept (cut at a space when one is
    near) so that huge posts cost no more than ordinary ones.
    """
    if not text:
        return ""
    if len(text) > max_chars:
        cut = text.rfind(" ", max_chars - 100, max_chars)
        text = text[: cut if cut > 0 else max_chars]
    if "&" in text:
        text = html.unescape(text)
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(_hashtag_words, text)
    return _SPACES.sub(" ", text).strip()
