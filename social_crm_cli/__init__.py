"""Command-line client of the Social CRM addon (see ``python3 -m social_crm_cli --help``)."""
