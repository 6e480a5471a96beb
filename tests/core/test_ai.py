import pytest

from social_crm.core.ai import AIError, ChatEndpoint, draft_messages, parse_recheck, recheck_messages
from tests.imitation.chat_completions import API_KEY, ChatCompletionsImitation
from tests.imitation.server import ImitationServer


def test_a_draft_comes_back_and_the_request_is_what_was_asked():
    imitation = ChatCompletionsImitation(answer="Omlouváme se.")
    with ImitationServer(imitation) as server:
        endpoint = ChatEndpoint(server.url + "/v1", "llama3", API_KEY, timeout=5)
        assert endpoint.complete(draft_messages("Nefunguje to!", "cs", [], "Acme")) == "Omlouváme se."
    sent = imitation.received[0]
    assert sent["model"] == "llama3"
    assert "'cs'" in sent["messages"][0]["content"]
    assert sent["messages"][-1]["content"] == "Nefunguje to!"


@pytest.mark.parametrize("setup", ["wrong_key", "server_error", "malformed", "unreachable"])
def test_failures_raise_one_error_that_names_no_secret(setup):
    imitation = ChatCompletionsImitation()
    imitation.fail_next = setup == "server_error"
    imitation.malformed_next = setup == "malformed"
    with ImitationServer(imitation) as server:
        url = "http://127.0.0.1:9/v1" if setup == "unreachable" else server.url + "/v1"
        key = "sk-wrong" if setup == "wrong_key" else API_KEY
        with pytest.raises(AIError) as error:
            ChatEndpoint(url, "m", key, timeout=2).complete(recheck_messages("x"))
    assert "sk-" not in str(error.value)


def test_the_second_opinion_is_parsed_strictly():
    assert parse_recheck('```json\n{"sentiment": "negative", "intent": "complaint"}\n```') == ("negative", "complaint")
    for answer in ("negative", '{"sentiment": "angry", "intent": "complaint"}', "{}"):
        with pytest.raises(AIError):
            parse_recheck(answer)
