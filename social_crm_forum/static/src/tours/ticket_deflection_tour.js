import { registry } from "@web/core/registry";

// A portal customer about to send a ticket is shown the forum's accepted
// answer for their subject, and says it answered their question.
// Started by social_crm_forum/tests/test_forum_portal.py, which creates the
// forum question and its accepted answer.
registry.category("web_tour.tours").add("social_crm_forum_deflection_tour", {
    steps: () => [
        {
            content: "type the ticket's subject",
            trigger: "form.o_social_crm_forum_deflection input[name=subject]",
            run: "edit Nefunguje mi tiskárna, hlásí chybu E42",
        },
        {
            content: "the forum's answer is suggested, as text",
            trigger: ".o_social_crm_forum_suggestions:not(.d-none) .o_social_crm_forum_suggestion_link:contains(Tiskárna hlásí chybu E42)",
        },
        {
            content: "the excerpt of the accepted answer is shown",
            trigger: ".o_social_crm_forum_suggestion_excerpt:contains(Vyměňte válec)",
        },
        {
            content: "it answered the question",
            trigger: ".o_social_crm_forum_suggestion .o_social_crm_forum_answered",
            run: "click",
        },
        {
            content: "the customer is told no ticket is needed",
            trigger: ".o_social_crm_forum_deflected:not(.d-none) a[href='/my/tickets']",
        },
        {
            content: "the suggestions are gone",
            trigger: "form.o_social_crm_forum_deflection:has(.o_social_crm_forum_suggestions.d-none)",
        },
    ],
});
