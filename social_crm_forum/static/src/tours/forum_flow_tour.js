import { registry } from "@web/core/registry";

// The "Done when", as customers and an agent live it: a question on
// the forum becomes a ticket, the agent answers from the ticket, the answer is
// on the forum, the customer accepts it, and the next customer finds it on the
// portal's new-ticket form before sending a ticket.
// Started, in this order, by social_crm_forum/tests/test_forum_flow.py, which
// creates the data and checks each step on the server in between.
// The texts are the test's (TITLE, BODY, REPLY, SUBJECT); no parentheses in
// them: the tour reads "edit text (selector)".
const TITLE = "Internet nefunguje už třetí den";
const BODY = "Internet nefunguje už třetí den, je to hrozné! Chci vrátit peníze.";
const REPLY = "Dobrý den, omlouváme se, restartujte prosím modem, porucha je odstraněna.";
const SUBJECT = "Nefunguje mi internet už třetí den";

const tours = registry.category("web_tour.tours");

// 1. the customer asks on the forum, in the website's form
tours.add("social_crm_forum_flow_ask_tour", {
    steps: () => [
        {
            // the forum is empty: its "Start by creating a post" button, not the header's "New Post"
            content: "ask a new question on the forum",
            trigger: "a[href$='/ask']:is(.o_wforum_ask_btn, .o_forum_ask_btn):not(.karma_required):not(.disabled)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "write the title",
            trigger: "form.js_wforum_submit_form input[name=post_name]",
            run: `edit ${TITLE}`,
        },
        {
            // the body is website_forum's HTML editor, which replaces the textarea
            content: "write the question in the editor",
            trigger: "form.js_wforum_submit_form .note-editable p",
            run: `editor ${BODY}`,
        },
        {
            content: "the editor holds the text",
            trigger: "form.js_wforum_submit_form .note-editable:contains(je to hrozné)",
        },
        {
            content: "post the question",
            trigger: "form.js_wforum_submit_form button.o_wforum_submit_post:not(.karma_required)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "the question is on the forum",
            trigger: `.o_wforum_question .o_wforum_post_content:contains(je to hrozné)`,
        },
    ],
});

// 3. the agent answers from the ticket, with social_crm's reply wizard
tours.add("social_crm_forum_flow_reply_tour", {
    steps: () => [
        {
            content: "the ticket made of the question lists its forum post",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Social Posts')",
            run: "click",
        },
        {
            content: "the page lists the question",
            trigger: ".o_field_widget[name=social_post_ids] .o_data_row:contains(je to hrozné)",
        },
        {
            content: "reply on the network",
            trigger: ".o_form_view .o_form_statusbar button[name=action_social_reply]",
            run: "click",
        },
        {
            content: "the wizard shows the customer's question",
            trigger: ".modal .o_field_widget[name=post_text]:contains(je to hrozné)",
        },
        {
            content: "write the answer",
            trigger: ".modal .o_field_widget[name=text] textarea",
            run: `edit ${REPLY}`,
        },
        {
            content: "send it",
            trigger: ".modal footer button[name=action_send]",
            run: "click",
        },
        {
            content: "the wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// 4. the customer accepts the agent's answer on the forum
tours.add("social_crm_forum_flow_accept_tour", {
    steps: () => [
        {
            content: "the agent's answer is on the question's page",
            trigger: ".o_wforum_answer .o_wforum_post_content:contains(restartujte prosím modem)",
        },
        {
            content: "accept it",
            trigger:
                ".o_wforum_answer:has(.o_wforum_post_content:contains(restartujte prosím modem)) .o_wforum_validate_toggler:not(.karma_required)",
            run: "click",
        },
        {
            content: "the answer is marked as the accepted one",
            trigger:
                ".o_wforum_answer.o_wforum_answer_correct:has(.o_wforum_post_content:contains(restartujte prosím modem)) .o_wforum_answer_correct_badge.d-inline",
        },
    ],
});

// 5. the next customer finds the answer before sending a ticket
tours.add("social_crm_forum_flow_deflect_tour", {
    steps: () => [
        {
            content: "type the ticket's subject",
            trigger: "form.o_social_crm_forum_deflection input[name=subject]",
            run: `edit ${SUBJECT}`,
        },
        {
            content: "the forum's question is suggested",
            trigger: `.o_social_crm_forum_suggestions:not(.d-none) .o_social_crm_forum_suggestion_link:contains(${TITLE})`,
        },
        {
            content: "with the agent's accepted answer",
            trigger: ".o_social_crm_forum_suggestion_excerpt:contains(restartujte prosím modem)",
        },
        {
            content: "it answered the question",
            trigger:
                ".o_social_crm_forum_suggestion:has(.o_social_crm_forum_suggestion_link:contains(Internet nefunguje)) .o_social_crm_forum_answered",
            run: "click",
        },
        {
            content: "the customer is told no ticket is needed",
            trigger: ".o_social_crm_forum_deflected:not(.d-none) a[href='/my/tickets']",
        },
    ],
});
