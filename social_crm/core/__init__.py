"""Pure-Python core of social_crm.

Everything in this package works without Odoo: network connectors, payload
normalisation and text analysis.  It never imports ``odoo`` so that it can be
tested anywhere and used from the command line.
"""
