"""French labels of the archive's codes: kinds, statuses, procedure states, départements with their region
(themes and their descriptions come from the taxonomy)."""

from __future__ import annotations

from formatting.places import DEPARTEMENTS

KINDS: dict[str, tuple[str, str]] = {
    "prior_information": ("Avis de préinformation", "Annonce d'un marché à venir, sans offre à remettre encore."),
    "contract_notice": ("Avis de marché", "Appel à concurrence : les offres sont attendues à la date limite."),
    "award": ("Avis d'attribution", "Résultat : le ou les titulaires retenus et les montants."),
    "other": ("Autre avis", "Transparence ex ante, modification de marché, autre."),
}

STATUSES: dict[str, tuple[str, str]] = {
    "initial": ("Avis initial", "La première publication de l'avis."),
    "corrigendum": ("Rectificatif", "Un avis qui corrige un avis antérieur (date, lots, pièces...)."),
    "cancellation": ("Annulation", "Un avis qui annule la procédure ou un avis antérieur."),
}

STATES: dict[str, tuple[str, str]] = {
    "announced": ("Annoncée", "Préinformation seulement, pas encore de date limite."),
    "open": ("Ouverte", "Date limite à venir."),
    "corrected": ("Ouverte, rectifiée", "Date limite à venir, un rectificatif a été publié."),
    "deadline_unknown": ("Date limite illisible", "Une date limite a été donnée mais n'a pu être lue."),
    "cancelled": ("Annulée", "La procédure a été annulée."),
    "awarded": ("Attribuée", "Un avis d'attribution a été publié."),
    "closed": ("Close", "Date limite passée sans attribution connue, ou rien à remettre."),
}

CONTRACT_TYPES: dict[str, str] = {"works": "Travaux", "services": "Services", "supplies": "Fournitures"}

SOURCES: dict[str, str] = {
    "boamp": "BOAMP (Bulletin officiel des annonces des marchés publics)",
    "ted": "TED (Journal officiel de l'Union européenne)",
}

_REGION_DEPARTEMENTS: dict[str, tuple[str, ...]] = {
    "Auvergne-Rhône-Alpes": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "Bourgogne-Franche-Comté": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "Bretagne": ("22", "29", "35", "56"),
    "Centre-Val de Loire": ("18", "28", "36", "37", "41", "45"),
    "Corse": ("2A", "2B"),
    "Grand Est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "Hauts-de-France": ("02", "59", "60", "62", "80"),
    "Île-de-France": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "Normandie": ("14", "27", "50", "61", "76"),
    "Nouvelle-Aquitaine": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "Occitanie": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "Pays de la Loire": ("44", "49", "53", "72", "85"),
    "Provence-Alpes-Côte d'Azur": ("04", "05", "06", "13", "83", "84"),
    "Guadeloupe": ("971",),
    "Martinique": ("972",),
    "Guyane": ("973",),
    "La Réunion": ("974",),
    "Mayotte": ("976",),
}
REGION_OF: dict[str, str] = {d: region for region, deps in _REGION_DEPARTEMENTS.items() for d in deps}


def departement_rows() -> list[dict[str, str | None]]:
    return [
        {"code": code, "nom": name, "region": REGION_OF.get(code, "Collectivités d'outre-mer")}
        for code, name in DEPARTEMENTS.items()
    ]
