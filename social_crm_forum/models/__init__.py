from . import social_crm_account
from . import forum_post
from . import forum_post_idea
from . import social_crm_post
from . import helpdesk_ticket
from . import social_crm_solution
from . import social_crm_forum_deflection
