from . import social_crm_reply
from . import social_crm_link_partner
from . import social_crm_import
from . import social_crm_reply_desk
from . import social_crm_publication_review
