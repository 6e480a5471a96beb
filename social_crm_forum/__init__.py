from . import controllers
from . import models
from . import wizards


def post_init_hook(env):
    """Questions already answered on the forum are articles the desk can suggest at once."""
    answered = env["forum.post"].sudo().search([("parent_id", "=", False), ("has_validated_answer", "=", True)])
    env["social.crm.solution"]._index_forum(answered)


def uninstall_hook(env):
    """Without the bridge a suggestion is a solved ticket again: its articles go."""
    env.cr.execute("DELETE FROM social_crm_solution WHERE forum_post_id IS NOT NULL")
