"""The publishing limits and link handling of core/publishing.py."""

from social_crm.core.connectors import available_networks, get_connector_class
from social_crm.core.publishing import (
    MediaFile,
    PublishLimits,
    find_urls,
    idempotency_key,
    problems,
    replace_urls,
    same_text,
    text_length,
)

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n")


def test_links_are_found_without_trailing_punctuation_and_replaced_in_place():
    text = "New (see https://shop.example/a?b=1). Also https://en.wikipedia.org/wiki/Tea_(drink), ok"
    assert find_urls(text) == ["https://shop.example/a?b=1", "https://en.wikipedia.org/wiki/Tea_(drink)"]
    replaced = replace_urls(text, {"https://shop.example/a?b=1": "https://odoo.example/r/X"})
    assert replaced == "New (see https://odoo.example/r/X). Also https://en.wikipedia.org/wiki/Tea_(drink), ok"


def test_length_counts_links_as_the_network_does():
    x = get_connector_class("x").limits()
    text = "Read " + "https://shop.example/" + "a" * 200
    assert text_length(x, text) == 5 + 23
    assert not problems(x, text)
    assert [p.code for p in problems(x, "a" * 281)] == ["too_long"]
    assert text_length(PublishLimits(max_chars=10), text) == len(text)


def test_problems_name_every_refusal():
    instagram = get_connector_class("instagram").limits()
    codes = {p.code for p in problems(instagram, "caption")}
    assert codes == {"media_required"}
    codes = {p.code for p in problems(instagram, "caption", [PNG])}
    assert codes == {"media_type", "media_url"}
    assert [p.code for p in problems(get_connector_class("reddit").limits(), "body")] == ["title_required"]
    telegram = get_connector_class("telegram").limits()
    assert [p.code for p in problems(telegram, "x" * 1500, [PNG])] == ["too_long"]
    assert not problems(telegram, "x" * 1500)
    assert [p.code for p in problems(PublishLimits(max_chars=10), "hi", [PNG])] == ["no_media"]
    assert [p.code for p in problems(PublishLimits(max_chars=10), "  ")] == ["empty"]


def test_every_network_declares_what_it_can_publish():
    for network, _label in available_networks():
        connector = get_connector_class(network)
        assert connector.can_publish or connector.publish_unsupported or network == "rss", network
        if connector.can_publish:
            assert connector.limits().max_chars > 0, network


def test_same_text_ignores_whitespace_case_and_rewritten_links():
    assert same_text("Spring  sale!\nhttps://t.co/abc", "spring sale! https://shop.example/spring")
    assert not same_text("Spring sale", "Summer sale")
    assert not same_text("", "")
    assert idempotency_key("variant", 7) == idempotency_key("variant", 7) != idempotency_key("variant", 8)
