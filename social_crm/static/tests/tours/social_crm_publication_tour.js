import { registry } from "@web/core/registry";

// A marketing user composes a post for the demo shop account, sees the length
// the network counts and its preview, and schedules it.
// Started by social_crm/tests/test_tour.py (TestPublicationTour).
const TEXT = "Tour post: spring lamps https://nordlight.example/tour #nordlight";

registry.category("web_tour.tours").add("social_crm_publication_tour", {
    steps: () => [
        {
            content: "name the post",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour spring post",
        },
        {
            content: "write the text",
            trigger: ".o_form_view .o_field_widget[name=text] textarea",
            run: `edit ${TEXT}`,
        },
        {
            content: "choose the shop account",
            trigger: ".o_form_view .o_field_widget[name=account_ids] input",
            run: "edit Nordlight Shop",
        },
        {
            content: "pick it in the list",
            trigger: ".o-autocomplete--dropdown-item:contains('Nordlight Shop')",
            run: "click",
        },
        {
            content: "the variant shows the length the network counts",
            trigger: ".o_field_widget[name=variant_ids] .o_data_row:contains('65 / 1000')",
        },
        {
            content: "open the preview",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Preview')",
            run: "click",
        },
        {
            content: "the preview shows the text",
            trigger: ".o_social_crm_preview:contains('Tour post: spring lamps')",
        },
        {
            content: "schedule it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_submit]:contains('Schedule')",
            run: "click",
        },
        {
            content: "the post is scheduled",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Scheduled')",
        },
    ],
});
