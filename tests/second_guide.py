"""A second guide of the same kind, invented, made at test time with fpdf2 (deterministic bytes).

The "Val-de-Brume" regional conference of 14 October 2022 — a region, places and people that do
not exist, so that nothing in the code can know them. Six pages, printed labels i, ii, 1, 2, 3,
4 (the PDF's /PageLabels, and a "— label —" footer on every page):

  i    cover, "Sommaire" (contents with dot leaders and printed page labels)
  ii   "Avant-propos" (the foreword; no contact, no amount)
  1    part "Se nourrir dignement", then "Fiche 1 – …"
  2-3  "Fiche 2 – …" (over two pages), then part "S'insérer par le travail", "Groupe de travail A – …"
  4    "Groupe de travail B – …"

Each workshop prints its place, speakers, one amount and a contact (phone and e-mail) of its own.
Headings are larger than the body (parts 16 pt, workshops 14 pt, body 11 pt); with
`outline=True` the PDF also has bookmarks (parts, and the workshops under them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import matplotlib
from fpdf import FPDF

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu ships with matplotlib
HEADER = "Guide des élus — Conférence régionale Val-de-Brume 2022"
LABELS = ["i", "ii", "1", "2", "3", "4"]

FOREWORD = [
    "Mesdames et messieurs les élus,",
    "La conférence régionale du 14 octobre 2022 réunit les communes, les intercommunalités et leurs "
    "centres communaux d'action sociale autour de quatre actions qui ont fait leurs preuves dans notre région.",
    "Ce guide présente chacune d'elles : ce qu'elle apporte aux habitants, ce que l'État finance et qui "
    "contacter pour la mettre en place dans votre territoire.",
    "Je vous remercie de votre engagement.",
    "Hélène Marvaux, préfète de la région Val-de-Brume",
]

# (part or None, label, title, place, pages of body paragraphs: [[paragraph, …] per page])
WORKSHOPS = [
    ("Se nourrir dignement", "Fiche 1", "Les épiceries solidaires itinérantes", "Brévignac, Val-d'Ormes", [[
        "Une épicerie solidaire itinérante apporte chaque semaine des produits frais à prix réduits aux "
        "habitants des hameaux isolés.",
        "L'État verse 4 500 € par commune pour l'achat et l'aménagement du véhicule.",
        "Intervenants :",
        "Anne Keravec, maire de Brévignac",
        "Contactez la DDETS du Val-d'Ormes : 02 31 45 67 89 ou epiceries@val-dormes.gouv.fr",
    ]]),
    (None, "Fiche 2", "Le jardin partagé d'insertion", "Saint-Aurel, Hautes-Landes", [[
        "Un jardin partagé d'insertion emploie des personnes éloignées de l'emploi à la culture de "
        "légumes vendus aux cantines de la commune.",
        "Le chantier d'insertion reçoit une aide de 12 000 € par chantier et par an.",
    ], [
        "Les légumes récoltés sont aussi distribués aux familles suivies par le centre social.",
        "Intervenants :",
        "Paul Ternier, adjoint au maire de Saint-Aurel",
        "Renseignements : Tél. 05 62 11 22 33 ou jardins@hautes-landes.fr",
    ]]),
    ("S'insérer par le travail", "Groupe de travail A", "La mobilité vers l'emploi", "Quérac, Val-d'Ormes", [[
        "Une plateforme de mobilité prête des scooters et finance le permis de conduire des demandeurs "
        "d'emploi qui n'ont pas de moyen de transport.",
        "Chaque bénéficiaire reçoit jusqu'à 200 € par mois pendant sa formation.",
        "Intervenants :",
        "Sonia Bellec, vice-présidente de la communauté de communes de Quérac",
        "Contactez la plateforme : 02 99 88 77 66 ou mobilite@querac.fr",
    ]]),
    (None, "Groupe de travail B", "Le logement des saisonniers", "Port-Lanne, Côte-Brune", [[
        "La commune loue aux travailleurs saisonniers des logements rénovés à loyer modéré pendant la saison.",
        "La région et l'État financent 1 500 € par logement rénové.",
        "Intervenants :",
        "Marc Oudinet, maire de Port-Lanne",
        "Contactez le service logement : 04 11 22 33 44 ou saisonniers@cote-brune.fr",
    ]]),
]
CONTACTS = {  # label → (phone, e-mail, amount), as printed
    "Fiche 1": ("02 31 45 67 89", "epiceries@val-dormes.gouv.fr", "4 500 €"),
    "Fiche 2": ("05 62 11 22 33", "jardins@hautes-landes.fr", "12 000 €"),
    "Groupe de travail A": ("02 99 88 77 66", "mobilite@querac.fr", "200 €"),
    "Groupe de travail B": ("04 11 22 33 44", "saisonniers@cote-brune.fr", "1 500 €"),
}
CONTENTS = [("Avant-propos", "ii"), ("Se nourrir dignement", "1"),
            ("Fiche 1 – Les épiceries solidaires itinérantes", "1"), ("Fiche 2 – Le jardin partagé d'insertion", "2"),
            ("S'insérer par le travail", "3"), ("Groupe de travail A – La mobilité vers l'emploi", "3"),
            ("Groupe de travail B – Le logement des saisonniers", "4")]


class _Guide(FPDF):
    def header(self):
        self.set_font("body", size=9)
        self.cell(0, 6, HEADER, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self):
        self.set_y(-15)
        self.set_font("body", size=9)
        self.cell(0, 6, f"— {LABELS[self.page_no() - 1]} —", align="C")


def _heading(pdf: FPDF, text: str, size: int, level: int | None) -> None:
    if level is not None:
        pdf.start_section(text, level=level)
    pdf.set_font("bold", size=size)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("body", size=11)
    pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def make_guide(path: Path, outline: bool = True) -> Path:
    """Write the invented guide to `path` (same bytes on every call) and return `path`."""
    pdf = _Guide(format="A4")
    pdf.set_creation_date(datetime(2022, 10, 1, tzinfo=timezone.utc))
    pdf.set_title("Guide des élus — Val-de-Brume 2022")
    pdf.add_font("body", fname=str(FONT_DIR / "DejaVuSerif.ttf"))
    pdf.add_font("bold", fname=str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_page_label("r")  # i, ii
    for line in ("Préfecture de la région Val-de-Brume", "Conférence régionale du 14 octobre 2022",
                 "GUIDE À DESTINATION DES ÉLUS"):
        _heading(pdf, line, 20, None)
    _heading(pdf, "Sommaire", 16, None)
    pdf.set_font("body", size=11)
    for title, label in CONTENTS:
        pdf.cell(0, 7, f"{title} {'.' * 8} {label}", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    _heading(pdf, "Avant-propos", 14, 0 if outline else None)
    for text in FOREWORD:
        _paragraph(pdf, text)
    for k, (part, label, title, place, pages) in enumerate(WORKSHOPS):
        if k in (0, 1, 3):  # Fiche 1 on page 1, Fiche 2 on pages 2-3, Groupe B on page 4
            pdf.add_page()
        if k == 0:
            pdf.set_page_label("D", label_start=1)  # 1, 2, …
        if part:
            _heading(pdf, part, 16, 0 if outline else None)
        _heading(pdf, f"{label} – {title} ({place})", 14, 1 if outline else None)
        for n, paragraphs in enumerate(pages):
            if n:
                pdf.add_page()
            for text in paragraphs:
                _paragraph(pdf, text)
    pdf.output(str(path))
    return path
