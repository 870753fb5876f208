"""A second guide of the same kind, never seen by the code (tests/second_guide.py, made at test
time): sections, labels, per-section records, printed page labels in citations, the table of
contents left out, duplicates indexed once, and an index built over a corpus folder holding it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess

import pytest

from conftest import CLI
from guide_assistant.ingest.pipeline import ingest
from guide_assistant.ingest.sections import describe
from second_guide import CONTACTS, make_guide

EXPECTED = [  # label, kind, role, title, place, theme, pages (positions), printed labels
    ("Avant-propos", "other", "editorial", "Avant-propos", "", "", [2], ["ii"]),
    ("Fiche 1", "atelier", "programme", "Les épiceries solidaires itinérantes", "Brévignac, Val-d'Ormes",
     "Se nourrir dignement", [3], ["1"]),
    ("Fiche 2", "atelier", "programme", "Le jardin partagé d'insertion", "Saint-Aurel, Hautes-Landes",
     "Se nourrir dignement", [4, 5], ["2", "3"]),
    ("Groupe de travail A", "atelier", "programme", "La mobilité vers l'emploi", "Quérac, Val-d'Ormes",
     "S'insérer par le travail", [5], ["3"]),
    ("Groupe de travail B", "atelier", "programme", "Le logement des saisonniers", "Port-Lanne, Côte-Brune",
     "S'insérer par le travail", [6], ["4"]),
]


def values(section, kind):
    return [c.value for c in section.contacts if c.kind == kind]


def amounts(section):
    return [a for f in section.funding for a in f.amounts]


@pytest.fixture(scope="session", params=[True, False], ids=["outline", "font-sizes"])
def second(request, tmp_path_factory):
    """The second guide ingested: with its outline (headings from bookmarks), and without (headings
    from font sizes)."""
    folder = tmp_path_factory.mktemp("second-guide")
    make_guide(folder / "guide-val-de-brume-2022.pdf", outline=request.param)
    return ingest(folder)


@pytest.fixture(scope="session")
def second_sections(second):
    return {s.label: s for s in second.sections}


def test_the_guide_is_made_the_same_every_time(tmp_path):
    a, b = make_guide(tmp_path / "a.pdf"), make_guide(tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes()


def test_sections_labels_titles_places_themes_and_pages(second):
    found = [(s.label, s.kind, s.role, s.title, s.place, s.theme, s.pages, s.page_labels) for s in second.sections]
    assert found == EXPECTED


def test_each_workshop_has_its_own_contacts_and_amount(second_sections):
    for label, (phone, email, amount) in CONTACTS.items():
        s = second_sections[label]
        assert values(s, "phone") == [phone], label
        assert values(s, "email") == [email], label
        assert amounts(s) == [amount], label
    foreword = second_sections["Avant-propos"]
    assert values(foreword, "phone") == values(foreword, "email") == amounts(foreword) == []


def test_speakers_stay_in_their_workshop(second_sections):
    assert [p.name for p in second_sections["Fiche 2"].speakers] == ["Paul Ternier"]
    assert [p.name for p in second_sections["Groupe de travail A"].speakers] == ["Sonia Bellec"]


def test_citations_use_the_printed_page_labels(second_sections):
    assert second_sections["Avant-propos"].citation == "Avant-propos, p. ii"
    assert second_sections["Fiche 1"].citation == "Fiche 1, p. 1"
    assert second_sections["Fiche 2"].citation == "Fiche 2, p. 2-3"
    assert second_sections["Fiche 2"].page_span([5]) == "p. 3"
    assert second_sections["Groupe de travail B"].citation == "Groupe de travail B, p. 4"


def test_cover_contents_and_running_lines_are_in_no_section(second):
    for s in second.sections:
        assert "Sommaire" not in s.text, s.label
        assert "...." not in s.text, s.label
        assert "GUIDE À DESTINATION DES ÉLUS" not in s.text, s.label
        assert "Guide des élus —" not in s.text, s.label  # running header
        assert not any(ln.startswith("— ") for ln in s.text.split("\n")), s.label  # "— 3 —" footers
        assert 1 not in s.pages, s.label
    # a part heading opens no section and is in no section's text
    assert not any("Se nourrir dignement" in s.text for s in second.sections)


def test_a_byte_identical_copy_is_indexed_once_with_a_warning(tmp_path, caplog):
    make_guide(tmp_path / "guide.pdf")
    shutil.copy(tmp_path / "guide.pdf", tmp_path / "guide-copie.pdf")
    with caplog.at_level(logging.WARNING):
        corpus = ingest(tmp_path)
    assert [s.label for s in corpus.sections] == [e[0] for e in EXPECTED]
    assert list(corpus.file_hashes) == ["guide-copie.pdf"]
    assert any("guide.pdf" in r.message and "guide-copie.pdf" in r.message and "byte-identical" in r.message
               for r in caplog.records)


def test_two_guides_sharing_labels_are_warned_about(tmp_path, caplog):
    make_guide(tmp_path / "a.pdf", outline=True)
    make_guide(tmp_path / "b.pdf", outline=False)  # other bytes, same labels
    with caplog.at_level(logging.WARNING):
        ingest(tmp_path)
    assert any("share a label" in r.message and "Fiche 1" in r.message for r in caplog.records)


def test_the_sources_panel_shows_printed_pages_and_opens_the_pdf_page(second_sections):
    from guide_assistant.app import sources_markdown
    from guide_assistant.config import Settings
    from guide_assistant.records import Answer, Citation

    quote = "Renseignements : Tél. 05 62 11 22 33 ou jardins@hautes-landes.fr"
    answer = Answer(question="?", answer="…", refused=False, language="fr", mode="extractive",
                    citations=[Citation(section="Fiche 2", title="Le jardin partagé d'insertion", pages=[5], quote=quote)])
    panel = sources_markdown(answer, Settings(), second_sections)
    assert "[p. 3](" in panel and panel.count("#page=5") == 1  # printed label shown, PDF page 5 opened
    assert "guide-val-de-brume-2022.pdf" in panel


@pytest.mark.parametrize("heading, label, kind, title, place", [
    ("Atelier n°12 → Une agence (Tarbes, Hautes-Pyrénées)", "Atelier n°12", "atelier", "Une agence",
     "Tarbes, Hautes-Pyrénées"),
    ("Table-ronde IV** Permettre l'inclusion numérique pour tous (Auch, Gers)", "Table-ronde IV", "table-ronde",
     "Permettre l'inclusion numérique pour tous", "Auch, Gers"),
    ("Fiche n°3 : Les bons vacances (Vannes, Morbihan)", "Fiche n°3", "atelier", "Les bons vacances",
     "Vannes, Morbihan"),
    ("Groupe de travail B – Le logement", "Groupe de travail B", "atelier", "Le logement", ""),
    ("Table ronde II – Les jeunes", "Table ronde II", "table-ronde", "Les jeunes", ""),
    ("Atelier partenaire → Webinaire (Andes)", "Atelier partenaire", "atelier-partenaire", "Webinaire", "Andes"),
    ("Introduction", "Introduction", "other", "Introduction", ""),
    ("Les ateliers et tables-rondes en région", "Contact", "other", "Les ateliers et tables-rondes en région", ""),
    ("Avant-propos", "Avant-propos", "other", "Avant-propos", ""),
])
def test_headings_of_several_wordings_are_named(heading, label, kind, title, place):
    assert describe(heading) == (label, kind, title, place)


@pytest.mark.slow
def test_index_and_answer_over_a_corpus_folder_holding_the_second_guide(tmp_path):
    """`guide-assistant index --rebuild` with the corpus folder set by the environment, then a
    question answered from the second guide, cited by its printed page."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_guide(corpus / "guide-val-de-brume-2022.pdf")
    env = dict(os.environ) | {
        "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": "utf-8",
        "GUIDE_ASSISTANT_INGEST__CORPUS_DIR": str(corpus),
        "GUIDE_ASSISTANT_INGEST__PAGES_DIR": str(tmp_path / "pages"),  # no cached linked page
        "GUIDE_ASSISTANT_INDEX__INDEX_DIR": str(tmp_path / "index"),
        "GUIDE_ASSISTANT_ANSWER__JUDGE": "off",
    }
    built = subprocess.run([str(CLI), "index", "--rebuild"], env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert "5 sections" in built.stdout
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["corpus"]) == ["guide-val-de-brume-2022.pdf"]
    asked = subprocess.run([str(CLI), "ask", "--json", "Qui contacter pour le jardin partagé d'insertion ?"],
                           env=env, capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"]
    assert answer["citations"][0]["section"] == "Fiche 2"
    assert "05 62 11 22 33" in answer["answer"]
    assert "Fiche 2" in answer["answer"] and ", p. 2" in answer["answer"]  # printed label, not position 4
    assert ", p. 4" not in answer["answer"]
    shown = subprocess.run([str(CLI), "ask", "Qui contacter pour le jardin partagé d'insertion ?"],
                           env=env, capture_output=True, text=True, timeout=600)
    assert "Fiche 2 — Le jardin partagé d'insertion (p. 3)" in shown.stdout  # its sources, by printed page
    assert "(p. 5)" not in shown.stdout
