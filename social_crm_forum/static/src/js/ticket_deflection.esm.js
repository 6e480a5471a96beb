import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

/** Fewer characters than the server needs to search (controllers/portal.py). */
const MIN_SUBJECT = 3;

/**
 * On the portal's new-ticket form, suggests the forum's accepted answers
 * matching the subject being typed; when one answers the customer's question,
 * the ticket avoided is counted and the customer told no ticket is needed.
 */
export class TicketDeflection extends Interaction {
    static selector = ".o_social_crm_forum_deflection";
    dynamicContent = {
        "input[name='subject']": {
            "t-on-input": this.debounced(this.onSubjectInput, 400),
        },
        ".o_social_crm_forum_suggestion_list": {
            "t-on-click": this.locked(this.onSuggestionClick),
        },
        ".o_social_crm_forum_suggestions": {
            "t-att-class": () => ({ "d-none": !this.suggestions.length || this.deflected }),
        },
        ".o_social_crm_forum_deflected": {
            "t-att-class": () => ({ "d-none": !this.deflected }),
        },
    };

    setup() {
        this.suggestions = [];
        this.deflected = false;
        // answers to earlier keystrokes arriving late must not replace newer ones
        this.searchCount = 0;
        this.subjectEl = this.el.querySelector("input[name='subject']");
        this.descriptionEl = this.el.querySelector("textarea[name='description']");
        this.listEl = this.el.querySelector(".o_social_crm_forum_suggestion_list");
        this.prototypeEl = this.el.querySelector(
            ".o_social_crm_forum_suggestion_prototype .o_social_crm_forum_suggestion"
        );
    }

    async onSubjectInput() {
        const subject = this.subjectEl.value.trim();
        const search = ++this.searchCount;
        let suggestions = [];
        if (subject.length >= MIN_SUBJECT) {
            suggestions = await this.waitFor(
                rpc("/social_crm_forum/answers", {
                    subject,
                    description: this.descriptionEl?.value || "",
                })
            );
        }
        if (search !== this.searchCount) {
            return;
        }
        this.suggestions = suggestions;
        this.protectSyncAfterAsync(() => this.renderSuggestions())();
    }

    renderSuggestions() {
        const items = this.suggestions.map((suggestion) => {
            const item = this.prototypeEl.cloneNode(true);
            const link = item.querySelector(".o_social_crm_forum_suggestion_link");
            link.textContent = suggestion.name;
            // only a path of this website, whatever the answer holds
            if (/^\/(?!\/)/.test(suggestion.url)) {
                link.href = suggestion.url;
            }
            item.querySelector(".o_social_crm_forum_suggestion_excerpt").textContent =
                suggestion.excerpt;
            item.querySelector(".o_social_crm_forum_answered").dataset.postId = suggestion.id;
            return item;
        });
        this.listEl.replaceChildren(...items);
    }

    async onSuggestionClick(ev) {
        const button = ev.target.closest(".o_social_crm_forum_answered");
        if (!button) {
            return;
        }
        await this.waitFor(
            rpc("/social_crm_forum/deflected", {
                post_id: parseInt(button.dataset.postId),
                subject: this.subjectEl.value,
            })
        );
        this.deflected = true;
    }
}

registry
    .category("public.interactions")
    .add("social_crm_forum.ticket_deflection", TicketDeflection);
