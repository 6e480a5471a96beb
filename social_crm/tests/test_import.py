import base64
import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import SocialCrmCase

HOSTILE = '<script>alert("x")</script> سلام 👍🏽'


def export_rows():
    return [
        {"id": "bf-1", "text": "Díky, oprava byla rychlá!", "author": "@jana", "created_at": "2023-05-01T08:00:00Z"},
        {"post_id": "bf-2", "content": HOSTILE, "username": "mallory", "date": 1682928000, "likes": "12"},
        {"external_id": "bf-3", "message": "Reply", "author_id": 7, "author_name": "Petr", "published": "2023-05-02",
         "parent_id": "bf-1", "link": "javascript:alert(1)"},
        {"id": "bf-4", "text": "no date", "author": "x"},
        {"id": "bf-5", "text": "bad date", "author": "x", "created_at": "next tuesday"},
        {"text": "no id", "author": "x", "created_at": "2023-05-01"},
    ]  # fmt: skip


@tagged("post_install", "-at_install")
class TestImport(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Import = cls.env["social.crm.import"]
        cls.user = new_test_user(
            cls.env, "social_import_user", groups="social_crm.group_social_crm_user",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.manager = new_test_user(
            cls.env, "social_import_manager", groups="social_crm.group_social_crm_manager",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        company_b = cls.env["res.company"].create({"name": "Social Import Company B"})
        cls.manager_b = new_test_user(
            cls.env, "social_import_manager_b", groups="social_crm.group_social_crm_manager",
            company_id=company_b.id, company_ids=[company_b.id],
        )  # fmt: skip

    def test_rows_are_stored_once_and_rejected_rows_reported(self):
        result = self.Import.with_user(self.manager).import_rows(self.account.id, export_rows())
        self.assertEqual(result["created"], 3)
        self.assertEqual(result["duplicates"], 0)
        self.assertEqual(
            [(item["line"], item["reason"].split(":")[0]) for item in result["rejected"]],
            [(4, "missing date (created_at, date or published)"), (5, "invalid date"), (6, "missing id")],
        )
        self.assertEqual(result["rejected"][0]["external_id"], "bf-4")
        posts = {post.external_id: post for post in self.posts()}
        self.assertEqual(set(posts), {"bf-1", "bf-2", "bf-3"})
        self.assertEqual(posts["bf-2"].text, HOSTILE, "the text is stored exactly as exported")
        self.assertEqual(posts["bf-2"].like_count, 12)
        self.assertEqual(posts["bf-2"].profile_id.handle, "mallory")
        self.assertEqual(posts["bf-3"].parent_id, posts["bf-1"])
        self.assertFalse(posts["bf-3"].url, "only http(s) links are stored")
        self.assertEqual(posts["bf-1"].language, "cs", "imported posts are analysed like fetched ones")
        self.assertTrue(posts["bf-1"].sentiment_label)

        again = self.Import.with_user(self.manager).import_rows(self.account.id, export_rows())
        self.assertEqual((again["created"], again["duplicates"], len(again["rejected"])), (0, 3, 3))
        self.assertEqual(len(self.posts()), 3)

    def test_imported_posts_are_history_unless_routing_is_asked_for(self):
        self.Import.import_rows(self.account.id, export_rows()[:1])
        self.assertEqual(self.posts().mapped("state"), ["processed"], "no ticket or reply for old posts")
        self.Import.import_rows(self.account.id, export_rows()[1:2], route=True)
        self.assertEqual(self.posts().filtered(lambda p: p.external_id == "bf-2").state, "new")
        self.Import.import_rows(self.account.id, export_rows()[1:2])
        self.assertEqual(
            self.posts().filtered(lambda p: p.external_id == "bf-2").state, "new", "stored posts keep their state"
        )

    def test_line_numbers_from_the_file_are_kept(self):
        rows = [dict(row, _line=line) for row, line in zip(export_rows(), (10, 11, 14, 15, 20, 31), strict=True)]
        result = self.Import.import_rows(self.account.id, rows)
        self.assertEqual([item["line"] for item in result["rejected"]], [15, 20, 31])

    def test_rows_of_another_network_are_refused(self):
        row = dict(export_rows()[0], network="twitter")
        result = self.Import.import_rows(self.account.id, [row])
        self.assertEqual(result["created"], 0)
        self.assertIn("network 'x'", result["rejected"][0]["reason"])

    def test_plain_users_and_other_companies_are_refused(self):
        with self.assertRaises(AccessError):
            self.Import.with_user(self.user).import_rows(self.account.id, export_rows())
        with self.assertRaises(AccessError):
            self.Import.with_user(self.manager_b).import_rows(self.account.id, export_rows())
        self.assertFalse(self.posts())

    def test_bad_arguments_are_refused_with_a_message(self):
        with self.assertRaises(UserError):
            self.Import.import_rows("1", [])
        with self.assertRaises(UserError):
            self.Import.import_rows(self.account.id, {"id": 1})
        with self.assertRaises(UserError):
            self.Import.import_rows(self.account.id, [{}] * 5001)
        with self.assertRaises(UserError):
            self.Import.import_rows(999_999_999, [])

    def test_form_imports_an_uploaded_jsonl_file_twice_without_duplicates(self):
        content = "\n".join(json.dumps(row, ensure_ascii=False) for row in export_rows()) + "\n{broken\n"
        for expected_created, expected_duplicates in ((3, 0), (0, 3)):
            wizard = (
                self.Import.with_user(self.manager)
                .with_context(default_account_id=self.account.id)
                .create({"file": base64.b64encode(content.encode()), "filename": "export.jsonl"})
            )
            action = wizard.action_import()
            self.assertEqual(action["res_id"], wizard.id)
            self.assertEqual(wizard.state, "done")
            self.assertEqual((wizard.created_count, wizard.duplicate_count), (expected_created, expected_duplicates))
            self.assertEqual(wizard.rejected_count, 4)
            self.assertIn("Line 7: bad JSON", wizard.rejected_report)
            self.assertTrue(wizard.rejected_report.startswith("Line 4: missing date"))
        self.assertEqual(len(self.posts()), 3)

    def test_form_imports_csv_and_asks_for_the_format_of_unknown_names(self):
        content = "Post ID;Text;Author;Created At\nc1;Ahoj;@jana;2023-01-01T10:00:00Z\nc2;;@jana;2023-01-01\n"
        wizard = self.Import.create(
            {"account_id": self.account.id, "file": base64.b64encode(content.encode()), "filename": "export.txt"}
        )
        with self.assertRaises(UserError):
            wizard.action_import()
        wizard.file_format = "csv"
        wizard.action_import()
        self.assertEqual((wizard.created_count, wizard.rejected_count), (1, 1))
        self.assertEqual(wizard.rejected_report, "Line 3: missing text")
        with self.assertRaises(AccessError):
            self.Import.with_user(self.user).create({"account_id": self.account.id})

    def test_account_form_offers_the_import_to_managers(self):
        arch = self.env["social.crm.account"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]
        self.assertIn("Import Posts", arch["arch"])
        arch = self.env["social.crm.account"].with_user(self.user).get_views([(False, "form")])["views"]["form"]
        self.assertNotIn("Import Posts", arch["arch"])
