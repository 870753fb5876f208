"""France's regions, departments and their prefectures, to tell when a question asks about a
place outside the region a guide covers.

Source: INSEE, Code officiel géographique (regions since 2016; departments and prefectures).
A fact about France, not about any question: a guide's own places (its sections' records)
always count as inside.
"""

from __future__ import annotations

import re

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
# Large communes that are no prefecture (INSEE, populations légales: the largest of each region
# outside Occitanie, and well-known towns), so that "à Brest" or "in Le Havre" is read as another
# region. "Lens" is a place only when capitalised (see AMBIGUOUS).
OTHER_CITIES = {
    "Le Havre": "Normandie", "Brest": "Bretagne", "Lorient": "Bretagne", "Saint-Malo": "Bretagne",
    "Villeurbanne": "Auvergne-Rhône-Alpes", "Aix-en-Provence": "Provence-Alpes-Côte d'Azur",
    "Cannes": "Provence-Alpes-Côte d'Azur", "Antibes": "Provence-Alpes-Côte d'Azur", "Arles": "Provence-Alpes-Côte d'Azur",
    "Boulogne-Billancourt": "Île-de-France", "Argenteuil": "Île-de-France", "Montreuil": "Île-de-France",
    "Roubaix": "Hauts-de-France", "Tourcoing": "Hauts-de-France", "Dunkerque": "Hauts-de-France",
    "Calais": "Hauts-de-France", "Mulhouse": "Grand Est", "Reims": "Grand Est", "Saint-Nazaire": "Pays de la Loire",
    "Bayonne": "Nouvelle-Aquitaine", "Biarritz": "Nouvelle-Aquitaine", "Mérignac": "Nouvelle-Aquitaine",
    "Pessac": "Nouvelle-Aquitaine", "Anglet": "Nouvelle-Aquitaine", "Vénissieux": "Auvergne-Rhône-Alpes",
    "Vaulx-en-Velin": "Auvergne-Rhône-Alpes", "Saint-Priest": "Auvergne-Rhône-Alpes", "Roanne": "Auvergne-Rhône-Alpes",
    "Vichy": "Auvergne-Rhône-Alpes", "Montluçon": "Auvergne-Rhône-Alpes", "Annemasse": "Auvergne-Rhône-Alpes",
    "Chamonix": "Auvergne-Rhône-Alpes", "Villefranche-sur-Saône": "Auvergne-Rhône-Alpes",
    "Grasse": "Provence-Alpes-Côte d'Azur", "Hyères": "Provence-Alpes-Côte d'Azur", "Fréjus": "Provence-Alpes-Côte d'Azur",
    "Martigues": "Provence-Alpes-Côte d'Azur", "Aubagne": "Provence-Alpes-Côte d'Azur",
    "Cagnes-sur-Mer": "Provence-Alpes-Côte d'Azur", "La Seyne-sur-Mer": "Provence-Alpes-Côte d'Azur",
    "Vitry-sur-Seine": "Île-de-France", "Aubervilliers": "Île-de-France", "Colombes": "Île-de-France",
    "Asnières-sur-Seine": "Île-de-France", "Aulnay-sous-Bois": "Île-de-France", "Rueil-Malmaison": "Île-de-France",
    "Champigny-sur-Marne": "Île-de-France", "Saint-Maur-des-Fossés": "Île-de-France", "Drancy": "Île-de-France",
    "Issy-les-Moulineaux": "Île-de-France", "Noisy-le-Grand": "Île-de-France", "Sarcelles": "Île-de-France",
    "Meaux": "Île-de-France", "Massy": "Île-de-France", "Pantin": "Île-de-France",
    "Villeneuve-d'Ascq": "Hauts-de-France", "Lens": "Hauts-de-France", "Douai": "Hauts-de-France",
    "Valenciennes": "Hauts-de-France", "Boulogne-sur-Mer": "Hauts-de-France", "Compiègne": "Hauts-de-France",
    "Saint-Quentin": "Hauts-de-France", "Thionville": "Grand Est", "Montbéliard": "Bourgogne-Franche-Comté",
    "Cherbourg": "Normandie", "Cholet": "Pays de la Loire", "Saumur": "Pays de la Loire", "Rezé": "Pays de la Loire",
    "Saint-Herblain": "Pays de la Loire",
}
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
             "Valence", "Tours", "Laval", "Vannes", "Gap", "Foix", "Pau", "Nice", "Reunion", "La Réunion", "Lens", "Massy",
             "Meaux"}


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


def places_in(text: str) -> list[tuple[str, str]]:
    """(place as written in France's list, its region) for each region, department or prefecture
    named in `text`, in order. An ambiguous name counts only when capitalised in `text`."""
    folded = _fold(text)
    found = []
    for m in _PATTERN.finditer(folded):
        name, region = PLACES[m.group(1)]
        original = text[m.start():m.end()]
        if name in AMBIGUOUS and not original.split()[-1][:1].isupper():  # "la réunion" is a meeting
            continue
        found.append((name, region))
    return list(dict.fromkeys(found))


def region_of(places: list[str]) -> str | None:
    """The region most of a guide's own places (e.g. "Tarbes, Hautes-Pyrénées") lie in."""
    counts: dict[str, int] = {}
    for place in places:
        for _, region in places_in(place):
            counts[region] = counts.get(region, 0) + 1
    return max(counts, key=counts.get) if counts else None
