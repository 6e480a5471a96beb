"""The pure listening logic: spike detection, episodes, rising phrases, clusters."""

from datetime import datetime, timedelta

from social_crm.core.listening import (
    DetectorSettings,
    backtest,
    cluster_texts,
    content_words,
    continues,
    evaluate,
    phrases_of,
    rising_phrases,
)

HOUR = timedelta(hours=1)
END = datetime(2026, 3, 10, 12)
SETTINGS = DetectorSettings(k=3.0, min_volume=20)


def calm_week(start, end, per_hour=1, negative_every=10):
    """One post an hour, one in ``negative_every`` negative."""
    hourly = {}
    hour, index = start, 0
    while hour < end:
        hourly[hour] = (per_hour, 1 if index % negative_every == 0 else 0)
        hour, index = hour + HOUR, index + 1
    return hourly


def test_a_calm_day_raises_nothing():
    hourly = calm_week(END - timedelta(days=8), END)
    evaluation = evaluate(hourly, END, SETTINGS)
    assert evaluation.volume == 24 and not evaluation.triggered
    assert evaluation.baseline_rate == 1.0


def test_a_volume_spike_above_mean_plus_k_std_fires():
    hourly = calm_week(END - timedelta(days=8), END)
    for hour in range(6):
        hourly[END - (hour + 1) * HOUR] = (20, 2)
    evaluation = evaluate(hourly, END, SETTINGS)
    assert evaluation.volume_spike and not evaluation.negative_spike
    assert evaluation.signal == "volume"
    assert evaluation.rate > evaluation.rate_threshold


def test_k_moves_the_threshold():
    hourly = calm_week(END - timedelta(days=8), END)
    for hour in range(6):
        hourly[END - (hour + 1) * HOUR] = (3, 0)
    assert evaluate(hourly, END, DetectorSettings(k=1.0, min_volume=20)).volume_spike
    assert not evaluate(hourly, END, DetectorSettings(k=4.0, min_volume=20)).volume_spike


def test_a_negative_share_spike_fires_without_more_posts():
    hourly = calm_week(END - timedelta(days=8), END)
    for hour in range(24):
        hourly[END - (hour + 1) * HOUR] = (1, 1)
    evaluation = evaluate(hourly, END, SETTINGS)
    assert evaluation.negative_spike and not evaluation.volume_spike
    assert evaluation.negative_share == 1.0
    assert round(evaluation.baseline_share, 2) == 0.1


def test_below_the_minimum_volume_nothing_fires():
    hourly = calm_week(END - timedelta(days=8), END - timedelta(days=1), per_hour=0)
    hourly.update({END - timedelta(days=day, hours=1): (1, 0) for day in range(2, 9)})
    hourly[END - HOUR] = (15, 15)
    assert not evaluate(hourly, END, SETTINGS).triggered
    assert evaluate(hourly, END, DetectorSettings(min_volume=10)).triggered


def test_without_history_nothing_fires():
    hourly = {END - HOUR: (50, 50)}
    assert not evaluate(hourly, END, SETTINGS).triggered


def test_one_wave_is_one_episode_and_a_later_wave_another():
    start = END - timedelta(days=25)
    hourly = calm_week(start, END)
    wave_one = END - timedelta(days=10)
    wave_two = END - timedelta(days=1)
    for first in (wave_one, wave_two):
        for hour in range(8):
            hourly[first + hour * HOUR] = (12, 10)
    episodes = backtest(hourly, start + timedelta(days=8), END + timedelta(days=1), SETTINGS)
    assert len(episodes) == 2
    first, second = episodes
    assert first.start <= wave_one < first.end
    assert second.start <= wave_two < second.end
    assert first.signals == {"crisis"} or "crisis" in first.signals
    assert first.peak.volume >= 96


def test_continues_within_the_cooldown_only():
    assert continues(END, END + 24 * HOUR, SETTINGS)
    assert not continues(END, END + 25 * HOUR, SETTINGS)
    assert not continues(None, END, SETTINGS)


def test_content_words_are_lemmatised_without_stop_words_or_links():
    words = content_words("Zase nemám žádný signál v Brně! https://x.invalid @operator #VýpadekSítě", "cs")
    assert "signál" in words and "brno" in words
    assert "v" not in words and "zase" not in words
    assert not any("http" in word or "operator" in word for word in words)
    assert "výpadek" in words
    assert "faktura wysoki" in phrases_of("Faktura wysoka jak nigdy", "pl")


def test_rising_phrases_are_the_new_ones():
    baseline = ["Děkuji za rychlou instalaci", "Internet funguje dobře", "Děkuji za pomoc s routerem"] * 4
    current = ["Žádný signál v Brně", "V Brně zase není signál", "Signál v Brně nefunguje", "Děkuji za pomoc"]
    rising = rising_phrases(current, baseline, "cs", min_count=3)
    assert rising and rising[0].phrase in {"signál brno", "brno signál", "signál", "brno"}
    assert {item.phrase for item in rising} & {"signál", "brno", "signál brno"}
    assert not {item.phrase for item in rising} & {"děkovat", "pomoc"}


def test_similar_complaints_cluster_together():
    items = [
        (1, "Žádný signál v Brně", "cs"),
        (2, "V Brně zase není signál", "cs"),
        (3, "Faktura je příliš vysoká", "cs"),
        (4, "Signál v Brně nefunguje", "cs"),
        (5, "Moje faktura je zase vysoká", "cs"),
        (6, "Úplně jiná věc", "cs"),
    ]
    clusters = cluster_texts(items)
    assert [cluster.count for cluster in clusters] == [3, 2]
    assert set(clusters[0].ids) == {1, 2, 4}
    assert "signál" in clusters[0].label() and "brno" in clusters[0].label()
    assert set(clusters[1].ids) == {3, 5}


def test_clusters_stay_bounded():
    items = [(index, f"slovo{index} jiné{index}", "cs") for index in range(50)]
    assert cluster_texts(items, max_clusters=5, min_size=1) == cluster_texts(items, max_clusters=5, min_size=1)
    assert len(cluster_texts(items, max_clusters=5, min_size=1)) == 5


def test_the_topics_own_name_neither_rises_nor_names_clusters():
    items = [(1, "Nordlight: žádný signál v Brně", "cs"), (2, "Nordlight v Brně nemá signál", "cs")]
    (cluster,) = cluster_texts(items, ignore=frozenset({"nordlight"}))
    assert "nordlight" not in cluster.label()
    rising = rising_phrases(["Nordlight signál Brno"] * 3, [], "cs", ignore=frozenset({"nordlight"}))
    assert not [item for item in rising if "nordlight" in item.phrase]
