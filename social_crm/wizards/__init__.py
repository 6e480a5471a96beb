from . import social_crm_import
