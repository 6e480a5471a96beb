def migrate(cr, version):
    """Since 1.1.0 a post's author and customer are indexed by covering indexes
    (``_profile_engagement_idx``, ``_partner_figures_idx``), which the figures
    refreshed on every ingested page read alone.  Odoo keeps a column index it
    no longer declares; the former two would only slow every insert."""
    cr.execute("DROP INDEX IF EXISTS social_crm_post__profile_id_index")
    cr.execute("DROP INDEX IF EXISTS social_crm_post__partner_id_index")
