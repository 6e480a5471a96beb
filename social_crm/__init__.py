# The pure-Python core (``social_crm.core``) must import without Odoo, so the
# Odoo parts are loaded only when Odoo loads this package as an addon.
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards
