"""Places as a French reader names them: "Strasbourg (67)", "Bas-Rhin (67)", from what the notices carry.

A notice gives a place of performance in words (BOAMP "lieu d'exécution", an eForms city, or the names of
NUTS codes), its départements (INSEE codes), and the buyer's address. `place_label` shows the town when one
is known, else the département's name, always with the département's code:

- the place as the notice words it, when it names a town ("ORANGE" -> "Orange (84)", an address
  "41 rue Camille Pelletan 92300 - LEVALLOIS PERRET" -> "Levallois Perret (92)");
- else the buyer's town, only when its postal code lies in the (single) département of performance, so a
  buyer in Strasbourg for works in the Haut-Rhin reads "Haut-Rhin (68)", not "Strasbourg";
- else the départements' names ("Bas-Rhin (67)"), or a region or a wording of several places as written.
"""

from __future__ import annotations

import re
import unicodedata

DEPARTEMENTS: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
    # overseas collectivities, which notices and profiles also name by their INSEE code
    "975": "Saint-Pierre-et-Miquelon",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "986": "Wallis-et-Futuna",
    "987": "Polynésie française",
    "988": "Nouvelle-Calédonie",
}
REGIONS = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
)
# lower-case inside a town's name ("Soisy-sous-Montmorency", "Saint-Orens-de-Gameville"), never first
_PARTICLES = {"de", "des", "du", "d", "la", "le", "les", "l", "sur", "sous", "en", "et", "lès", "lez", "aux", "au"}
_CEDEX = re.compile(r"\s+(cedex|cédex)\b.*$", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"\s+\d{1,2}(e|er|ème)?$", re.IGNORECASE)  # "MARSEILLE 9", "Paris 15e"
_POSTAL_TOWN = re.compile(r"\b(\d{5})\b\s*[-,]?\s*([^\d,;]{2,60})$")  # "... 92300 - LEVALLOIS PERRET"
_CODE_IN_TEXT = re.compile(r"\s*[(\[]\s*(\d{2,3}|2[AB])\s*[)\]]\s*", re.IGNORECASE)  # "(59)", "[35]"


def _key(text: str) -> str:
    """Case, accents, apostrophes, hyphens and spaces folded: "Val-d’Oise" and "VAL D'OISE" meet."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


_BY_NAME = {_key(name): code for code, name in DEPARTEMENTS.items()}
_REGION_KEYS = {_key(r) for r in REGIONS}


def departement_name(code: str | None) -> str | None:
    """ "67" -> "Bas-Rhin"; None for an unknown code."""
    return DEPARTEMENTS.get(str(code or "").strip().upper())


def departement_label(code: str) -> str:
    """ "67" -> "Bas-Rhin (67)" (an unknown code is shown bare)."""
    name = departement_name(code)
    return f"{name} ({code})" if name else code


def departement_of_postal_code(postal_code: str | None) -> str | None:
    """ "67010" -> "67", "20090" -> "2A", "97400" -> "974"; None when it is not a French postal code."""
    t = (postal_code or "").replace(" ", "")
    if not re.fullmatch(r"\d{5}", t):
        return None
    if t.startswith(("97", "98")):
        return t[:3]
    if t.startswith("20"):
        return "2A" if int(t) < 20200 else "2B"
    return t[:2]


def town_case(name: str) -> str:
    """A town's name as French writes it when the notice shouts it: "SOISY-SOUS-MONTMORENCY" ->
    "Soisy-sous-Montmorency". A name already in mixed case is kept."""
    if not name.isupper():
        return name

    def word(w: str, first: bool) -> str:
        low = w.lower()
        if "'" in low or "’" in low:  # d'Oise, l'Isle
            head, sep, tail = re.split(r"(['’])", low, maxsplit=1)
            return (head if head in _PARTICLES and not first else head.capitalize()) + sep + tail.capitalize()
        return low if low in _PARTICLES and not first else low.capitalize()

    out, first = [], True
    for part in re.split(r"([\s-]+)", name.strip()):
        if not part or part.isspace() or part == "-" or re.fullmatch(r"[\s-]+", part):
            out.append(part)
            continue
        out.append(word(part, first))
        first = False
    return "".join(out)


def clean_town(city: str | None) -> str | None:
    """A buyer's city as a town name: "CHAUMONT Cedex" -> "Chaumont", "MARSEILLE 9" -> "Marseille"."""
    if not city:
        return None
    t = _CEDEX.sub("", " ".join(city.split()))
    t = _TRAILING_NUMBER.sub("", t).strip(" ,-")
    return town_case(t) if t and not any(c.isdigit() for c in t) else None


def _looks_like_town(text: str) -> bool:
    """A short name with no digits and no list in it ("Orange", "Saint-Orens de Gameville")."""
    return (
        0 < len(text) <= 45
        and not any(c.isdigit() for c in text)
        and not re.search(r"[,;/]|\s(et|ou)\s", text)
        and len(text.split()) <= 5
    )


def place_label(
    place: str | None,
    departements: list[str] | tuple[str, ...] = (),
    *,
    city: str | None = None,
    postal_code: str | None = None,
) -> str | None:
    """Where a tender is performed, for a reader: "Strasbourg (67)", "Paris (75)", "Bas-Rhin (67)"; None when
    nothing is known. `city`/`postal_code`: the buyer's address (used only within the département)."""
    deps = [d for d in dict.fromkeys(str(d).strip().upper() for d in departements or ()) if d]
    text = " ".join((place or "").split()).strip(" ,;-")
    stated = None
    if text:  # a département code written in the place ("(59) Nord", "... [35]") is shown our way
        m = _CODE_IN_TEXT.search(text)
        if m:
            stated = m.group(1).upper()
            text = _CODE_IN_TEXT.sub(" ", text).strip(" ,;-")
    if stated and stated not in deps:
        deps.insert(0, stated)
    town, dept = None, None
    if text:
        key = _key(text)
        if key in _BY_NAME:  # the place is a département's name ("Seine-Maritime" from NUTS, "(59) Nord")
            dept = _BY_NAME[key]
            if dept not in deps:
                deps.insert(0, dept)
            text = ""
        elif key in _REGION_KEYS or any(_key(n) == key for n in ("France", "France entière", "France métropolitaine")):
            pass  # a region or the whole country: kept as written below
        elif m := _POSTAL_TOWN.search(text):  # an address: the town after its postal code
            town = clean_town(m.group(2))
            dept = departement_of_postal_code(m.group(1))
        elif _looks_like_town(text):
            town = town_case(text)
    if town:
        code = dept or (deps[0] if len(deps) == 1 else None)
        return f"{town} ({code})" if code else town
    if not text and city and len(deps) == 1:  # no town stated: the buyer's, when it is in the département
        buyer_dept = departement_of_postal_code(postal_code)
        buyer_town = clean_town(city)
        if buyer_town and buyer_dept == deps[0]:
            return f"{buyer_town} ({deps[0]})"
    if text:  # a region, several towns, a wording of its own: as written, with the codes when few
        codes = [d for d in deps if d not in text]
        return f"{town_case(text)} ({', '.join(codes)})" if 0 < len(codes) <= 3 else town_case(text)
    if not deps:
        return None
    if len(deps) > 4:
        return ", ".join(departement_label(d) for d in deps[:3]) + f" et {len(deps) - 3} autres départements"
    return ", ".join(departement_label(d) for d in deps)
