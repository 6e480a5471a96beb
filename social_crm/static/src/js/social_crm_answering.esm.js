import { registry } from "@web/core/registry";

/**
 * Shows the agents of a team who else is answering one of their social
 * posts right now (sent by the server when a reply wizard opens).
 */
export const socialCrmAnsweringService = {
    dependencies: ["bus_service", "notification"],
    start(env, { bus_service, notification }) {
        bus_service.subscribe("social_crm/answering", (payload) => {
            notification.add(payload.message, { type: "warning" });
        });
    },
};

registry.category("services").add("social_crm_answering", socialCrmAnsweringService);
