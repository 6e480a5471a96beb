import pytest

from social_crm.core.analysis import Analyzer, blend_star_rating

analyzer = Analyzer(languages=("en", "cs"))


def test_one_star_without_text_is_negative_and_five_stars_positive():
    empty_one = analyzer.analyse("", star_rating=1)
    assert (empty_one.sentiment_label, empty_one.sentiment_score) == ("negative", -1.0)
    assert empty_one.sentiment_supported
    empty_five = analyzer.analyse("", star_rating=5)
    assert (empty_five.sentiment_label, empty_five.sentiment_score) == ("positive", 1.0)
    assert analyzer.analyse("", star_rating=3).sentiment_label == "neutral"


def test_the_stars_rule_the_label_and_blend_the_score():
    praise = "Wonderful staff, great coffee, I love this place!"
    text_only = analyzer.analyse(praise)
    assert text_only.sentiment_label == "positive"
    one_star = analyzer.analyse(praise, star_rating=1)  # a sarcastic or mistaken rating: the stars win the label
    assert one_star.sentiment_label == "negative"
    assert one_star.sentiment_score == pytest.approx(0.7 * -1.0 + 0.3 * text_only.sentiment_score, abs=1e-3)
    complaint = "Terrible service, the order was wrong and nobody helped."
    assert analyzer.analyse(complaint, star_rating=4).sentiment_label == "positive"
    # three stars: mixed, the text decides
    assert analyzer.analyse(complaint, star_rating=3).sentiment_label == analyzer.analyse(complaint).sentiment_label


def test_a_text_without_lexicon_counts_the_stars_alone_and_no_rating_changes_nothing():
    unsupported = analyzer.analyse("コーヒーは美味しかった", star_rating=2)
    assert (unsupported.sentiment_label, unsupported.sentiment_score) == ("negative", -0.6)
    plain = analyzer.analyse("Internet nefunguje!")
    assert analyzer.analyse("Internet nefunguje!", star_rating=0) == plain
    assert blend_star_rating(plain, 7, "x") == plain  # an unknown rating is no signal


def test_the_reasons_name_the_stars_that_ruled_the_sentiment():
    reasons = analyzer.analyse("The staff was lovely", star_rating=1).reasons
    assert (reasons["sentiment"], reasons["stars"]) == ("negative", 1)
    assert "lovely" in [word for word, _value, _notes in reasons["words"]], "the text's words are still shown"
