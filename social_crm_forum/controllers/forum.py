from odoo import http
from odoo.http import request

from odoo.addons.website_forum.controllers.website_forum import WebsiteForum

from ..models.forum_post_idea import POST_TYPES


class SocialCrmWebsiteForum(WebsiteForum):
    @http.route()
    def post_create(self, forum, post_parent=None, **post):
        """The author of a new post says whether it is a question, an idea or a problem."""
        post_type = post.pop("social_crm_post_type", None)
        if not post_parent and post_type in dict(POST_TYPES):
            # a default rather than a write after the creation: the post is born an idea, with its status,
            # and its author needs no karma to edit it
            request.update_context(default_social_crm_post_type=post_type)
        return super().post_create(forum, post_parent=post_parent, **post)
