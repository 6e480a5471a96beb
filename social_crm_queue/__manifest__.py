{
    "name": "Social CRM on Job Queue",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Fetch, analyse and route social posts as queue_job jobs spread over every Odoo server",
    "author": "social_crm developers",
    "website": "https://github.com/social-crm/social_crm",
    "license": "LGPL-3",
    "depends": ["social_crm", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
    ],
    "auto_install": False,
    "installable": True,
}
