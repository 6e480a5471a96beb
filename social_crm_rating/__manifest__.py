{
    "name": "Social CRM Satisfaction",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Ask social customers after closing how satisfied they are, on the same network or by e-mail",
    "author": "social_crm developers",
    "website": "https://github.com/social-crm/social_crm",
    "license": "LGPL-3",
    "depends": ["social_crm", "rating"],
    "data": [
        "views/social_crm_rating_views.xml",
    ],
    "demo": ["demo/social_crm_rating_demo.xml"],
    "auto_install": False,
    "installable": True,
}
