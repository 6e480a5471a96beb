"""An imitation of feed servers: RSS 2.0 and Atom documents with ETag and
Last-Modified (304 on a match), permanent and temporary redirects, 410 Gone,
and 429/503 with Retry-After."""

from __future__ import annotations

from .server import Request, Response

LAST_MODIFIED = "Fri, 20 Nov 2026 10:00:00 GMT"


def rss_item(
    guid: str, title: str, description: str, pub_date: str = "Fri, 20 Nov 2026 09:00:00 GMT", link: str = ""
) -> str:
    guid_xml = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    date_xml = f"<pubDate>{pub_date}</pubDate>" if pub_date else ""
    return (
        f"<item><title>{title}</title><link>{link or 'https://blog.example/' + guid}</link>{guid_xml}"
        f"<description>{description}</description>{date_xml}<author>editor@blog.example</author></item>"
    )


def rss_document(items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Shop news</title>'
        "<link>https://blog.example/</link><language>cs</language><ttl>60</ttl>" + "".join(items) + "</channel></rss>"
    )


def atom_entry(
    entry_id: str, title: str, updated: str, published: str = "2026-11-20T08:00:00Z", content: str = "<p>Hello</p>"
) -> str:
    return (
        f"<entry><id>{entry_id}</id><title>{title}</title><updated>{updated}</updated>"
        f"<published>{published}</published><author><name>Jana</name></author>"
        f'<link rel="alternate" href="https://atom.example/{entry_id.rsplit(":", 1)[-1]}"/>'
        f'<content type="html">{content}</content></entry>'
    )


def atom_document(entries: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>urn:feed</id><title>Atom news</title><updated>2026-11-20T10:00:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    )


def rdf_item(about: str, title: str, description: str) -> str:
    """An RSS 1.0 item as news sites publish it: ``rdf:about`` and a link, no date."""
    return (
        f'<item rdf:about="{about}"><title>{title}</title><link>{about}</link>'
        f"<description>{description}</description></item>"
    )


def rdf_document(items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://news.example/"><title>News ticker</title><link>https://news.example/</link>'
        "<description>Latest news</description><dc:language>de-DE</dc:language><items><rdf:Seq>"
        + "".join(f'<rdf:li rdf:resource="{item.split(chr(34))[1]}"/>' for item in items)
        + "</rdf:Seq></items></channel>"
        + "".join(items)
        + "</rdf:RDF>"
    )


class FeedImitation:
    def __init__(self):
        self.documents: dict[str, str | bytes] = {}  # path -> document
        self.content_types: dict[str, str] = {}
        self.etags: dict[str, str] = {}
        self.redirects: dict[str, tuple[int, str]] = {}  # path -> (status, new path)
        self.gone: set[str] = set()
        self.failures: list[Response] = []

    def publish(self, path: str, document: str | bytes, content_type="application/rss+xml; charset=utf-8") -> None:
        """Serve ``document``; bytes in another encoding go with a content
        type that does not name a charset, so the XML declaration decides."""
        self.documents[path] = document
        self.content_types[path] = content_type
        self.etags[path] = f'"v{len(document)}-{hash(document) & 0xFFFF}"'

    def handle(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if request.path in self.redirects:
            status, target = self.redirects[request.path]
            return Response(status, "", {"Location": target})
        if request.path in self.gone:
            return Response(410, "<html>Gone</html>", {"Content-Type": "text/html"})
        if request.path not in self.documents:
            return Response(404, "<html>Not Found</html>", {"Content-Type": "text/html"})
        etag = self.etags[request.path]
        if request.headers.get("if-none-match") == etag:
            return Response(304, "", {"ETag": etag})
        return Response(
            200,
            self.documents[request.path],
            {"Content-Type": self.content_types[request.path], "ETag": etag, "Last-Modified": LAST_MODIFIED},
        )
