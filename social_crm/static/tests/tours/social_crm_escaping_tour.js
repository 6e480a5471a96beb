import { registry } from "@web/core/registry";

// Post texts and author names are untrusted: the demo data holds a post with
// <script> and <b> tags and an author named with an <img onerror> tag. Each
// view must show those tags as text; if one were rendered as HTML the text
// would lose its tags and these steps would not find it.
// Started by social_crm/tests/test_tour.py.
const SCRIPT_TEXT = "<script>alert('x')</script>";
const BOLD_TEXT = "<b>bold</b>";
const AUTHOR_TAG = "<img src=x onerror=alert(1)>";

registry.category("web_tour.tours").add("social_crm_escaping_tour", {
    steps: () => [
        {
            content: "the post kanban is shown",
            trigger: ".o_kanban_view .o_kanban_record",
        },
        {
            content: "the prankster's post shows its tags as text on its card",
            trigger: `.o_kanban_record:contains("${BOLD_TEXT}"):contains("${SCRIPT_TEXT}")`,
        },
        {
            content: "the author's name shows its tag as text on the card",
            trigger: `.o_kanban_record:contains("${AUTHOR_TAG}")`,
        },
        {
            content: "switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "the list shows the tags as text",
            trigger: `.o_list_view .o_data_row:contains("${BOLD_TEXT}")`,
        },
        {
            content: "open the post",
            trigger: `.o_list_view .o_data_row:contains("${BOLD_TEXT}") td.o_data_cell[name=text]`,
            run: "click",
        },
        {
            content: "the form shows the tags as text",
            trigger: `.o_form_view .o_field_widget[name=text]:contains("${SCRIPT_TEXT}")`,
        },
    ],
});
