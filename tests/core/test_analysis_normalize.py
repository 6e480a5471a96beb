from social_crm.core.analysis import normalize_text
from social_crm.core.analysis.normalize import MAX_ANALYSED_CHARS


def test_urls_and_mentions_are_removed():
    text = "@NetFast my internet is down, see https://status.netfast.example/x and www.example.com/y"
    assert normalize_text(text) == "my internet is down, see and"


def test_hashtags_are_split_into_words_in_any_cased_script():
    assert normalize_text("#BadService #fail2024 #customer_service") == "Bad Service fail 2024 customer service"
    assert normalize_text("#ПлохойСервис #ZákaznickýServis") == "Плохой Сервис Zákaznický Servis"


def test_persian_mentions_with_zero_width_non_joiner_are_removed_whole():
    assert normalize_text("@سریع‌نت از صبح اینترنت قطع است") == "از صبح اینترنت قطع است"


def test_emoji_and_email_addresses_are_kept():
    assert normalize_text("Thanks 😊❤️ write to help@shop.example") == "Thanks 😊❤️ write to help@shop.example"


def test_html_entities_are_decoded():
    assert normalize_text("fast &amp; friendly") == "fast & friendly"


def test_empty_text():
    assert normalize_text("") == ""
    assert normalize_text("   \n ") == ""


def test_huge_text_is_cut_to_a_bounded_prefix_at_a_space():
    text = "word " * 40_000  # 200 KB
    normalized = normalize_text(text)
    assert len(normalized) <= MAX_ANALYSED_CHARS
    assert normalized.split() == ["word"] * len(normalized.split())
