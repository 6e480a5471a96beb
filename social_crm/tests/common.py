import importlib
import importlib.util
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from unittest import SkipTest

from odoo.sql_db import Savepoint
from odoo.tests import TransactionCase

from odoo.addons.social_crm.core.types import NormalizedPost

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((Path(__file__).parents[1] / "core" / "connectors" / "demo_posts.json").read_text("utf-8"))


COMPLAINT = "Internet nefunguje už třetí den, je to hrozné! Chci vrátit peníze."
PURCHASE = "Chci objednat optiku 1 Gb/s, kolik to stojí? Chtěl bych koupit tarif."


def incoming(external_id, text, author, parent=""):
    """A mention as a connector normalises it."""
    return NormalizedPost(
        external_id=external_id, author=author, text=text, kind="mention", parent_external_id=parent,
        created_at=datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc),
    )  # fmt: skip


def mastodon_account(env, company, server, token, streams=(("Mentions", "mentions", ""),), **values):
    """A Mastodon account on the imitation ``server``, with ``streams`` as
    ``(name, kind, query)``; ``values`` as an administrator would type them."""
    return env["social.crm.account"].create(
        {
            "name": "Shop on Mastodon",
            "network": "mastodon",
            "company_id": company.id,
            "base_url": server.url,
            "credential_ids": [(0, 0, {"key": "access_token", "value": token})],
            "stream_ids": [(0, 0, {"name": name, "kind": kind, "query": query}) for name, kind, query in streams],
            **values,
        }
    )


def telegram_bot_account(env, name, bot_token, webhook_secret):
    """A Telegram bot account with a messages stream, for webhook deliveries."""
    return env["social.crm.account"].create(
        {
            "name": name,
            "network": "telegram",
            "credential_ids": [
                (0, 0, {"key": "bot_token", "value": bot_token}),
                (0, 0, {"key": "webhook_secret", "value": webhook_secret}),
            ],
            "stream_ids": [(0, 0, {"name": "Messages", "kind": "messages"})],
        }
    )


#: the names Odoo's ChromeBrowser looks for on Linux (odoo.tests.common)
CHROME_NAMES = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


def skip_without_browser():
    """Skip a browser tour, saying why, when Chromium or websocket-client is
    missing: Odoo's own browser support would log a WARNING and skip."""
    if importlib.util.find_spec("websocket") is None:
        raise SkipTest("the websocket-client package (requirements-test.txt) is needed to drive Chromium")
    if not any(shutil.which(name) for name in CHROME_NAMES):
        raise SkipTest("no Chrome or Chromium executable on PATH (Debian: apt-get install chromium)")


def imitations():
    """The imitation servers of the networks' APIs live in the repository's
    pytest suite; an addon installed without its repository has none."""
    if not (REPOSITORY / "tests" / "imitation" / "server.py").is_file():
        raise SkipTest("the imitation servers are only in a source checkout of social_crm")
    if str(REPOSITORY) not in sys.path:
        sys.path.insert(0, str(REPOSITORY))
    from tests.imitation import mastodon, server, telegram

    return server, mastodon, telegram


def imitation_module(name):
    """The imitation of one network, ``tests.imitation.<name>`` (skipped like :func:`imitations`)."""
    imitations()
    return importlib.import_module(f"tests.imitation.{name}")


class SimulatedCommits:
    """Stands in for COMMIT inside a test transaction.

    Each commit starts a savepoint; :meth:`crash` rolls back to the last
    commit, as the death of a worker would, so tests can check what a fetch
    keeps and how the next run resumes.
    """

    def __init__(self, env):
        self.env = env
        self.count = 0
        self._savepoint = Savepoint(env.cr)

    def commit(self):
        self.env.flush_all()
        self._savepoint.close(rollback=False)
        self._savepoint = Savepoint(self.env.cr)
        self.count += 1

    def crash(self):
        self._savepoint.rollback()
        self.env.invalidate_all()


class SocialCrmCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Social Company A"})
        cls.account = cls.env["social.crm.account"].create(
            {
                "name": "Test Demo Account",
                "network": "demo",
                "handle": "@nordlight",
                "external_id": "demo-brand",
                "company_id": cls.company.id,
                "credential_ids": [(0, 0, {"key": "access_token", "value": "secret-token-value"})],
            }
        )
        cls.streams = cls.env["social.crm.stream"].create(
            [
                {"name": kind, "account_id": cls.account.id, "kind": kind, "backfill_limit": 0}
                for kind in ("mentions", "search", "comments", "messages")
            ]
        )

    def posts(self, account=None):
        return self.env["social.crm.post"].search([("account_id", "=", (account or self.account).id)])
