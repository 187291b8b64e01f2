"""French départements and regions (INSEE codes, 2016 regions), to validate and expand profiles."""

from __future__ import annotations

from classify.text import phrase_key

REGIONS: dict[str, tuple[str, list[str]]] = {
    "84": ("Auvergne-Rhône-Alpes", ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]),
    "27": ("Bourgogne-Franche-Comté", ["21", "25", "39", "58", "70", "71", "89", "90"]),
    "53": ("Bretagne", ["22", "29", "35", "56"]),
    "24": ("Centre-Val de Loire", ["18", "28", "36", "37", "41", "45"]),
    "94": ("Corse", ["2A", "2B"]),
    "44": ("Grand Est", ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]),
    "32": ("Hauts-de-France", ["02", "59", "60", "62", "80"]),
    "11": ("Île-de-France", ["75", "77", "78", "91", "92", "93", "94", "95"]),
    "28": ("Normandie", ["14", "27", "50", "61", "76"]),
    "75": ("Nouvelle-Aquitaine", ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]),
    "76": ("Occitanie", ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]),
    "52": ("Pays de la Loire", ["44", "49", "53", "72", "85"]),
    "93": ("Provence-Alpes-Côte d'Azur", ["04", "05", "06", "13", "83", "84"]),
    "01": ("Guadeloupe", ["971"]),
    "02": ("Martinique", ["972"]),
    "03": ("Guyane", ["973"]),
    "04": ("La Réunion", ["974"]),
    "06": ("Mayotte", ["976"]),
}
DEPARTEMENTS = frozenset(d for _, deps in REGIONS.values() for d in deps) | {"975", "977", "978", "986", "987", "988"}
_REGION_BY_NAME = {phrase_key(name): code for code, (name, _) in REGIONS.items()}


def departement(value: str) -> str | None:
    """A known département code ("2" -> "02", "2a" -> "2A"), or None."""
    v = str(value).strip().upper()
    if v.isdigit() and len(v) < 2:
        v = v.zfill(2)
    return v if v in DEPARTEMENTS else None


def region(value: str) -> str | None:
    """A region's INSEE code from its code or its name, or None."""
    v = str(value).strip()
    if v.zfill(2) in REGIONS:
        return v.zfill(2)
    return _REGION_BY_NAME.get(phrase_key(v))


def departements_of(regions: list[str]) -> list[str]:
    return [d for r in regions for d in REGIONS[r][1]]
