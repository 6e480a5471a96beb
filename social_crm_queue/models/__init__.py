from . import social_crm_account
from . import social_crm_post
