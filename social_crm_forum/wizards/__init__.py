from . import social_crm_forum_publish
from . import social_crm_forum_share
