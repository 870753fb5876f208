"""Link discovery on the real guide: printed URLs and PDF link annotations, attributed to the
sections citing them."""

from __future__ import annotations

import pytest

from conftest import GUIDE
from guide_assistant.details import extract_details
from guide_assistant.ingest.links import Link, discover_links, normalise_url, text_links
from guide_assistant.records import Section

ASP = "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires"
CAF = "https://www.caf.fr/partenaires"
PCB = "https://www.mesquestionsdargent.fr/intervenants-sociaux-et-pcb/point-conseil-budget"
MICROCREDIT = "https://www.france-microcredit.org/"
JEUNES = "https://www.1jeune1solution.gouv.fr/"
HABITAT = "https://www.habitatjeunesoccitanie.org/"
PREFECTURE = ("https://www.prefectures-regions.gouv.fr/occitanie/Actualites/La-strategie-de-lutte-contre-la-"
              "pauvrete-continue-de-se-deployer-dans-l-ensemble-des-territoires")


@pytest.fixture(scope="module")
def links(corpus) -> dict[str, Link]:
    found = discover_links(GUIDE, corpus.sections)
    return {link.url: link for link in found}


@pytest.fixture(scope="module")
def found(corpus) -> list[Link]:
    return discover_links(GUIDE, corpus.sections)


@pytest.mark.parametrize(
    ("url", "section", "page"),
    [
        (ASP, "Atelier n°1", 6),
        (CAF, "Table-ronde I", 6),
        (PCB, "Atelier n°8", 13),
        (MICROCREDIT, "Atelier n°13", 17),
        (JEUNES, "Atelier n°13", 17),
        (HABITAT, "Atelier n°6", 11),
        (PREFECTURE, "Informations pratiques", 4),
    ],
)
def test_known_links_are_attributed(links, url, section, page):
    assert url in links, sorted(links)
    link = links[url]
    assert link.sections == [section]
    assert link.pages == [page]
    assert link.origin == "both"  # printed and annotated


def test_no_duplicates_no_anchor_only_links(found):
    urls = [link.url for link in found]
    assert len(urls) == len(set(urls))
    for url in urls:
        assert url.startswith(("http://", "https://"))
        assert not url.endswith(("#", ".", ",", ";", ")"))
        assert "#" not in url or url.split("#", 1)[1]


def test_every_annotation_uri_found(found):
    """Annotations with a URI sit on pages 4, 6, 11, 13 and 17 of the guide; all are kept,
    including the one only the annotation holds (page 11, "site service-public.fr")."""
    annotated = [link for link in found if link.origin in ("annotation", "both")]
    assert sorted({p for link in annotated for p in link.pages}) == [4, 6, 11, 13, 17]
    assert len(annotated) == 9
    assert any(link.url == "http://site.service-public.fr/" and link.origin == "annotation" for link in found)
    assert 9 <= len(found) <= 16


def test_annotation_anchor_text_is_read(found):
    only_annot = next(link for link in found if link.url == "http://site.service-public.fr/")
    assert only_annot.anchors == ["site service-public.fr"]
    assert only_annot.sections == ["Atelier n°6"]


def test_bare_domains_printed_in_text(found):
    by_url = {link.url: link for link in found}
    assert by_url["https://logement.gouv.fr/"].sections == ["Atelier n°6"]
    assert by_url["https://logement.gouv.fr/"].origin == "text"
    # e-mail domains are not links
    assert not any("occitanie.gouv.fr" == link.url.split("/")[2] for link in found)
    assert not any(link.url == "https://asp-public.fr/" for link in found)


def test_text_anchor_is_the_line_around_the_url(links):
    assert links[MICROCREDIT].anchors[0] == "Solutions de micro-crédit"
    assert links[JEUNES].anchors[0] == "Aide à la mobilité pour les jeunes"


def test_sections_order_follows_the_guide(corpus, found):
    order = {s.label: i for i, s in enumerate(corpus.sections)}
    firsts = [order[link.sections[0]] for link in found]
    assert firsts == sorted(firsts)


def test_several_citations_are_merged():
    """The same URL printed in two sections (one with a trailing '#') gives one link; the
    guide's own annotations fall on pages these made-up sections do not cover."""

    def section(label, page, text):
        return Section(source="x.pdf", label=label, title=label, kind="other", pages=[page], text=text,
                       line_pages=[page] * len(text.splitlines()))

    sections = [
        section("A", 3, "Voir le site :\nhttps://Example.org/page#\nfin."),
        section("B", 5, "Lien : https://example.org/page. Et https://example.org/page#top aussi."),
    ]
    links = discover_links(GUIDE, sections, bare_domains=False)
    by_url = {link.url: link for link in links}
    assert by_url["https://example.org/page"].sections == ["A", "B"]
    assert by_url["https://example.org/page"].pages == [3, 5]
    assert by_url["https://example.org/page"].origin == "text"
    assert "https://example.org/page#top" in by_url


def test_bare_domains_are_the_answer_checks_urls():
    """Link discovery and the answer checks read one bare-domain definition: a domain printed
    without a scheme, with or without a path, is a link and a URL detail; an e-mail's is neither."""
    text = "Consultez le site Logement.gouv.fr/aides ou caf.fr, ou écrivez à accueil@occitanie.gouv.fr."
    section = Section(source="x.pdf", label="A", title="A", kind="other", pages=[2], text=text, line_pages=[2])
    assert [f.url for f in text_links(section)] == ["https://logement.gouv.fr/aides", "https://caf.fr/"]
    urls = [d.value for d in extract_details(text) if d.kind == "url"]
    assert urls == ["logement.gouv.fr/aides", "caf.fr"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.caf.fr/partenaires.", "https://www.caf.fr/partenaires"),
        ("HTTPS://WWW.CAF.FR/Partenaires", "https://www.caf.fr/Partenaires"),
        ("https://a.fr/x#", "https://a.fr/x"),
        ("https://a.fr", "https://a.fr/"),
        ("https://a.fr/wiki/Foo_(bar)", "https://a.fr/wiki/Foo_(bar)"),
        ("(https://a.fr/x)", None),
        ("#", None),
        ("#section", None),
        ("mailto:a@b.fr", None),
        ("/", None),
    ],
)
def test_normalise_url(raw, expected):
    assert normalise_url(raw) == expected
