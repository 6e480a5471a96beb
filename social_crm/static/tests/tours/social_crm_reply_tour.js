import { registry } from "@web/core/registry";

// A complaint fetched from the demo network became a helpdesk ticket; an agent
// opens it from the ticket list, reads the post, answers through the reply
// wizard and finds the answer logged in the ticket's chatter.
// Started by social_crm/tests/test_tour.py, which fetches and routes the demo
// posts first.
const POST_WORDS = "zase nejde internet";
const AUTHOR = "Jana Nováková";
// no parentheses: the tour reads "edit text (selector)"
const REPLY = "Dobrý den, technik už je na cestě, tour reply";

registry.category("web_tour.tours").add("social_crm_reply_tour", {
    url: "/odoo/helpdesk-tickets",
    steps: () => [
        {
            content: "the ticket list is shown",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "search the tickets for the words of the post",
            trigger: ".o_searchview_input",
            run: `edit ${POST_WORDS}`,
        },
        {
            content: "search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "open the ticket created from the post",
            trigger: `.o_data_row:contains('${POST_WORDS}') td.o_data_cell`,
            run: "click",
        },
        {
            content: "the ticket has a Social Posts page",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Social Posts')",
            run: "click",
        },
        {
            content: "the page lists the post",
            trigger: `.o_field_widget[name=social_post_ids] .o_data_row:contains('${POST_WORDS}')`,
        },
        {
            content: "reply on the network",
            trigger: ".o_form_view .o_form_statusbar button[name=action_social_reply]",
            run: "click",
        },
        {
            // the thread's follow-ups joined the ticket: the wizard answers the latest one
            content: "the wizard shows whom we answer",
            trigger: `.modal .o_field_widget[name=author_id]:contains('${AUTHOR}')`,
        },
        {
            content: "write the reply",
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
        {
            // the chatter folds quoted text (<blockquote>) behind a "..." button: unfold it
            content: "our reply is logged in the ticket's chatter",
            trigger: ".o-mail-Chatter .o-mail-Message:contains('Replied on')",
            run() {
                this.anchor.querySelector(".o-mail-ellipsis")?.click();
            },
        },
        {
            content: "the chatter shows the text of the reply",
            trigger: `.o-mail-Chatter .o-mail-Message:contains('${REPLY}')`,
        },
    ],
});
