from social_crm.core.matching import AuthorIdentity, PartnerIdentity, evidence, host_of, match_author, normalize_phone

JAN_PRAHA = PartnerIdentity(1, "Jan Novák", emails=frozenset({"jan.novak@example.cz"}))
JAN_OSTRAVA = PartnerIdentity(2, "Jan Novák", phones=frozenset({"+420 602 111 222"}))
JANA = PartnerIdentity(
    3, "Jana Nováková", hosts=frozenset({"jana.example.cz"}), handles=frozenset({("mastodon", "@jana")})
)
PARTNERS = [JAN_PRAHA, JAN_OSTRAVA, JANA]


def test_the_same_name_only_suggests_both_people():
    linked, suggestions = match_author(AuthorIdentity("x", "honza_ova", "Jan Novák"), PARTNERS, 0.85)
    assert linked is None
    assert {s.partner_id for s in suggestions} == {1, 2}
    assert {s.reason for s in suggestions} == {"name"}


def test_an_email_in_the_bio_links_the_right_namesake():
    author = AuthorIdentity("x", "jan_novak_praha", "Jan Novák", bio="Psát: Jan.Novak@example.cz.")
    linked, suggestions = match_author(author, PARTNERS, 0.85)
    assert (linked.partner_id, linked.reason, linked.confidence) == (1, "e-mail", 0.95)
    assert suggestions == []


def test_a_phone_links_with_or_without_the_country_code():
    linked, _ = match_author(AuthorIdentity("x", "jn", bio="tel. 602 111 222"), PARTNERS, 0.85)
    assert linked.partner_id == 2
    assert normalize_phone("+420 602-111-222") == normalize_phone("602111222")


def test_a_known_handle_wins_and_is_per_network():
    assert match_author(AuthorIdentity("mastodon", "Jana"), PARTNERS, 0.85)[0].partner_id == 3
    assert match_author(AuthorIdentity("x", "jana"), PARTNERS, 0.85) == (None, [])


def test_below_the_threshold_nothing_links():
    author = AuthorIdentity("x", "someone", website="https://www.jana.example.cz/o-mne")
    linked, suggestions = match_author(author, PARTNERS, 0.85)
    assert linked is None and [s.partner_id for s in suggestions] == [3]
    assert match_author(author, PARTNERS, 0.75)[0].partner_id == 3


def test_shared_hosts_say_nothing():
    assert host_of("https://linktr.ee/jana") == ""
    assert evidence(AuthorIdentity("x", "a", bio="https://instagram.com/jana")).get("website") == set()


def test_two_partners_with_one_email_link_nothing():
    shared = frozenset({"shared@example.org"})
    twins = [PartnerIdentity(7, emails=shared), PartnerIdentity(8, emails=shared)]
    linked, suggestions = match_author(AuthorIdentity("x", "a", email="shared@example.org"), twins, 0.5)
    assert linked is None and len(suggestions) == 2
