"""Datasette metadata of the analysts' archive: French titles and descriptions of every table, view and column
shown, units, sort orders, facets, full-text search and the canned queries for the usual questions.

`metadata(database)` is what `run_watch.py explore` gives Datasette (`--public` adds `allow_sql: false`).
"""

from __future__ import annotations

from typing import Any

from analysts import observatory_views

_NOTICE_COLUMNS = {
    "source": "Source de l'avis (boamp, ted, plateforme d'acheteur)",
    "source_id": "Identifiant de l'avis à sa source (BOAMP idweb, numéro de publication TED)",
    "url": "Lien vers l'avis publié",
    "title": "Objet du marché",
    "description": "Description du marché",
    "notes": "Conditions d'exécution, critères, renseignements complémentaires (les clauses sociales y sont écrites)",
    "buyer_name": "Acheteur (pouvoir adjudicateur ou entité adjudicatrice)",
    "buyer_siret": "SIRET de l'acheteur, quand l'avis le donne (son SIREN, 9 chiffres, pour APProch)",
    "buyer_city": "Ville de l'acheteur",
    "buyer_postal_code": "Code postal de l'acheteur",
    "kind": "Type d'avis : prior_information (préinformation), contract_notice (avis de marché), award "
    "(attribution), other",
    "kind_name": "Type d'avis, en clair",
    "status": "initial, corrigendum (rectificatif) ou cancellation (annulation)",
    "status_name": "Statut de l'avis, en clair",
    "previous_ids": "Avis antérieurs que celui-ci corrige, annule ou attribue (JSON)",
    "procedure_id": "Procédure (un marché, à travers ses avis et ses sources)",
    "procedure_state": "État actuel de la procédure",
    "published": "Date de publication",
    "month": "Mois de publication (AAAA-MM)",
    "deadline": "Date limite de remise des offres, avec le décalage horaire de l'avis",
    "deadline_utc": "Date limite en temps universel (pour trier et comparer)",
    "cpv": "Code CPV principal (vocabulaire commun des marchés publics)",
    "descriptors": "Descripteurs BOAMP (JSON)",
    "departements": "Départements d'exécution (JSON, codes INSEE)",
    "departement": "Premier département d'exécution",
    "departement_name": "Nom du département",
    "region": "Région du département",
    "nuts": "Codes NUTS du lieu d'exécution (JSON)",
    "place": "Lieu d'exécution, tel que l'avis l'écrit",
    "contract_type": "works (travaux), services, supplies (fournitures)",
    "value": "Valeur estimée ou montant du marché",
    "currency": "Devise",
    "lots": "Lots (JSON : numéro, intitulé, description, CPV, valeur)",
    "awards": "Attributions (JSON : titulaire, SIRET, montant, lot)",
    "social": "Signaux sociaux lus dans les champs structurés (JSON)",
    "themes": "Thèmes ESS de l'avis (tableau JSON de codes, le meilleur d'abord)",
    "theme_names": "Thèmes ESS, en clair",
    "reserved_contract": "Marché réservé (EA/ESAT, SIAE, ESS) : 1 oui, 0 non",
    "insertion_clause": "Clause d'insertion sociale : 1 oui, 0 non",
    "social_criterion": "Critère social d'attribution : 1 oui, 0 non",
    "event_name": "Événement auquel l'avis est lié (Paris 2024...)",
    "first_seen": "Première lecture par la veille",
    "updated_at": "Dernier changement",
    "content_hash": "Empreinte du contenu (détecte les changements)",
    "alt_ids": "Autres identifiants du même avis (JSON)",
    "reference": "Référence de la consultation chez l'acheteur",
    "deadline_unknown": "Une date limite a été donnée mais n'a pu être lue",
    "warnings": "Valeurs écartées à l'entrée (JSON)",
    "expected_publication": "Achat à venir : date à laquelle l'acheteur prévoit de publier l'appel d'offres",
    "value_band": "Fourchette de montant donnée par la source (APProch : « 1M - 5M€ »), quand elle ne donne pas de "
    "montant",
    "rowid": "Numéro de ligne",
}

_FLAT_COLUMNS = (
    "rowid", "source", "source_id", "published", "month", "kind", "kind_name", "status", "status_name", "title",
    "buyer_name", "buyer_siret", "buyer_city", "departement", "departement_name", "region", "departements", "themes",
    "theme_names", "reserved_contract", "insertion_clause", "social_criterion", "event_name", "procedure_id",
    "procedure_state", "deadline", "deadline_utc", "contract_type", "value", "currency", "cpv", "url",
)  # fmt: skip
_FLAG_FACETS = ["reserved_contract", "insertion_clause", "social_criterion"]


def _columns(*names: str, **extra: str) -> dict[str, str]:
    return {**{n: _NOTICE_COLUMNS[n] for n in names if n in _NOTICE_COLUMNS}, **extra}


TABLES: dict[str, dict[str, Any]] = {
    "notices": {
        "title": "Avis",
        "description": "Un avis par ligne, tel que publié (BOAMP, TED, plateformes d'acheteurs). Recherche en texte "
        "intégral sur l'objet, la description, les conditions d'exécution, les lots et l'acheteur.",
        "sort_desc": "published",
        "facets": ["source", "kind", "status", "contract_type", {"array": "departements"}],
        "units": {"value": "€"},
        "columns": dict(_NOTICE_COLUMNS),
        "fts_table": "notices_fts",
        "searchmode": "raw",
    },
    "notices_flat": {
        "title": "Avis, en clair",
        "description": "Un avis par ligne avec ses thèmes ESS, ses indicateurs sociaux, sa procédure, son département "
        "et sa région. Facettes : source, type, statut, thème, indicateurs, département, région, mois.",
        "sort_desc": "published",
        "facets": [
            "source",
            "kind_name",
            "status_name",
            {"array": "themes"},
            *_FLAG_FACETS,
            "departement_name",
            "region",
            "month",
        ],
        "units": {"value": "€"},
        "columns": _columns(*_FLAT_COLUMNS),
        "fts_table": "notices_fts",
        "fts_pk": "rowid",
        "searchmode": "raw",
    },
    "procedures_flat": {
        "title": "Procédures",
        "description": "Une procédure (un marché) par ligne, à travers ses avis et ses sources, avec son état actuel "
        "et ses dates.",
        "sort_desc": "last_published",
        "facets": ["state_name", {"array": "themes"}, *_FLAG_FACETS, "departement", "month"],
        "columns": {
            "id": "Identifiant de la procédure",
            "state": "État : announced, open, corrected, deadline_unknown, cancelled, awarded, closed",
            "state_name": "État, en clair",
            "title": "Objet",
            "buyer_name": "Acheteur",
            "first_published": "Premier avis publié le",
            "last_published": "Dernier avis publié le",
            "month": "Mois du premier avis",
            "deadline": "Date limite actuelle",
            "deadline_utc": "Date limite actuelle (temps universel)",
            "notices": "Nombre d'avis",
            "sources": "Sources (JSON)",
            "themes": "Thèmes ESS de ses avis (JSON)",
            "reserved_contract": "Un de ses avis est réservé",
            "insertion_clause": "Un de ses avis a une clause d'insertion",
            "social_criterion": "Un de ses avis a un critère social",
            "departement": "Département d'exécution",
            "updated_at": "Recalculée le",
        },
    },
    "awards_flat": {
        "title": "Attributions",
        "description": "Une attribution par ligne (un titulaire d'un lot ou du marché), avec l'avis qui la publie.",
        "sort_desc": "published",
        "facets": ["month", {"array": "themes"}, *_FLAG_FACETS, "departement"],
        "units": {"amount": "€"},
        "columns": _columns(
            "source",
            "source_id",
            "procedure_id",
            "published",
            "month",
            "title",
            "buyer_name",
            "departement",
            "themes",
            "reserved_contract",
            "insertion_clause",
            "url",
            position="Rang de l'attribution dans l'avis",
            lot="Lot attribué",
            winner="Titulaire",
            winner_siret="SIRET du titulaire",
            amount="Montant attribué",
            currency="Devise",
            award_date="Date d'attribution",
            sme="Le titulaire est une PME",
            intended="Attribution envisagée (avis de transparence ex ante), pas encore conclue",
        ),
    },
    "buyers": {
        "title": "Annuaire des acheteurs",
        "description": "Un acheteur par ligne : par SIREN quand les avis donnent un SIRET (deux graphies qui "
        "partagent un SIRET ne font qu'un), sinon par nom normalisé. Ses avis, ses thèmes, ses parts de marchés "
        "réservés, de clauses d'insertion et de critères sociaux, ses derniers besoins et ses marchés à venir.",
        "sort_desc": "notices",
        "facets": ["departement", {"array": "themes"}],
        "label_column": "name",
        "columns": {
            "key": "Clé de l'acheteur (siren-… ou nom-…)",
            "name": "Nom (la graphie la plus fréquente)",
            "siren": "SIREN",
            "sirets": "SIRET vus (JSON)",
            "names": "Graphies vues (JSON)",
            "departement": "Département de l'acheteur",
            "notices": "Nombre d'avis",
            "calls": "Avis de marché",
            "awards": "Avis d'attribution",
            "reserved_contracts": "Avis réservés",
            "insertion_clauses": "Avis avec clause d'insertion",
            "social_criteria": "Avis avec critère social",
            "reserved_share": "Part des avis réservés",
            "insertion_share": "Part des avis avec clause d'insertion",
            "social_criterion_share": "Part des avis avec critère social",
            "themes": "Thèmes ESS de ses avis (JSON, le plus fréquent d'abord)",
            "themes_count": "Avis par thème (JSON)",
            "first_published": "Premier avis",
            "last_published": "Dernier avis",
            "latest_needs": "Derniers besoins : ses derniers avis (JSON)",
            "upcoming": "Marchés à venir : avis encore ouverts (JSON)",
            "upcoming_count": "Nombre de marchés à venir",
            "horizon": "Horizon d'achats : achats annoncés (pré-information, APProch) pas encore publiés, par thème et "
            "date de publication prévue (JSON)",
        },
        "units": {"reserved_share": "%", "insertion_share": "%", "social_criterion_share": "%"},
        "fts_table": "buyers_fts",
    },
    "buyer_themes": {
        "title": "Acheteurs : avis par thème et par année",
        "description": "Combien d'avis de chaque acheteur relèvent de chaque thème ESS, par année.",
        "facets": ["theme", "year"],
        "sort_desc": "notices",
        "columns": {"buyer_key": "Acheteur", "theme": "Thème", "year": "Année", "notices": "Nombre d'avis"},
    },
    "buyer_notices": {
        "title": "Acheteurs : leurs avis",
        "description": "Quel avis relève de quel acheteur de l'annuaire.",
        "columns": {"buyer_key": "Acheteur", "source": "Source", "source_id": "Avis"},
    },
    "themes": {
        "title": "Thèmes ESS",
        "description": "Les dix thèmes de la veille, avec leur nom et ce qu'ils couvrent.",
        "columns": {"code": "Code du thème", "name": "Nom", "description": "Ce que le thème couvre"},
    },
    "kinds": {
        "title": "Types d'avis",
        "columns": {"code": "Code", "name": "Nom", "description": "Définition"},
    },
    "statuses": {
        "title": "Statuts d'avis",
        "columns": {"code": "Code", "name": "Nom", "description": "Définition"},
    },
    "states": {
        "title": "États des procédures",
        "columns": {"code": "Code", "name": "Nom", "description": "Définition"},
    },
    "contract_types": {"title": "Types de marché", "columns": {"code": "Code", "name": "Nom"}},
    "sources": {"title": "Sources", "columns": {"code": "Code", "name": "Nom"}},
    "departements": {
        "title": "Départements",
        "description": "Les départements et collectivités d'outre-mer, avec leur région.",
        "facets": ["region"],
        "columns": {"code": "Code INSEE", "nom": "Nom", "region": "Région"},
    },
    "regions": {"title": "Régions", "columns": {"name": "Nom"}},
    "cpv": {
        "title": "Codes CPV",
        "description": "Le vocabulaire commun des marchés publics (CPV 2008), en français.",
        "columns": {"code": "Code CPV (sans chiffre de contrôle)", "label": "Libellé"},
    },
    "procedures": {
        "title": "Procédures (table source)",
        "description": "Une ligne par marché, recalculée à chaque passage de la veille (voir aussi « Procédures »).",
        "facets": ["state"],
        "sort_desc": "last_published",
    },
    "procedure_notices": {
        "title": "Avis de chaque procédure",
        "description": "Les avis d'une procédure dans l'ordre de sa vie, et comment chacun l'a rejointe.",
        "columns": {
            "procedure_id": "Procédure",
            "source": "Source",
            "source_id": "Avis",
            "position": "Rang dans la vie du marché",
            "linked_by": "Lien : identifiant de procédure, avis antérieur, même avis, jumeau approché",
            "score": "Score du rapprochement approché",
        },
    },
    "upcoming_links": {
        "title": "Achats annoncés et leur appel d'offres",
        "description": "Chaque achat annoncé (avis de pré-information, programme d'achats APProch) relié à l'appel "
        "d'offres publié ensuite : même procédure, ou même acheteur, CPV et objet proches, publication autour de la "
        "date prévue.",
        "facets": ["method", "upcoming_source"],
        "columns": {
            "upcoming_source": "Source de l'annonce",
            "upcoming_source_id": "Annonce",
            "call_source": "Source de l'appel d'offres",
            "call_source_id": "Appel d'offres",
            "score": "Score du rapprochement (100 : même procédure)",
            "method": "Rapprochement : même procédure, ou acheteur + CPV + objet",
            "announced": "Date de l'annonce",
            "expected": "Date de publication prévue par l'acheteur",
            "published": "Date de publication de l'appel d'offres",
            "linked_at": "Date du rapprochement",
        },
    },
    "classifications": {
        "title": "Classement des avis",
        "description": "Thèmes, indicateurs sociaux et événement de chaque avis, avec leurs preuves.",
        "facets": _FLAG_FACETS,
        "columns": {
            "source": "Source",
            "source_id": "Avis",
            "taxonomy_version": "Version de la taxonomie",
            "themes": "Thèmes avec score et preuves (JSON)",
            "social": "Indicateurs sociaux avec preuves (JSON)",
            "event": "Événement avec preuves (JSON)",
            "reserved_contract": "Marché réservé",
            "insertion_clause": "Clause d'insertion",
            "social_criterion": "Critère social",
            "event_name": "Événement",
            "classified_at": "Classé le",
        },
    },
    "notice_themes": {
        "title": "Thèmes de chaque avis",
        "facets": ["theme"],
        "columns": {"source": "Source", "source_id": "Avis", "theme": "Thème", "score": "Score"},
    },
    "notice_departements": {
        "title": "Départements de chaque avis",
        "facets": ["departement"],
        "columns": {"source": "Source", "source_id": "Avis", "departement": "Département"},
    },
    # the watch's own bookkeeping: hidden from the database page, still reachable by URL
    "raw_records": {
        "title": "Enregistrements bruts",
        "description": "Chaque avis tel que sa source l'a servi.",
        "hidden": True,
    },
    "quarantine": {"title": "Quarantaine", "description": "Les enregistrements qui n'ont pu être lus, et pourquoi."},
    "runs": {"title": "Passages de la veille", "description": "Une ligne par tâche exécutée.", "sort_desc": "started"},
    "incidents": {"title": "Incidents", "description": "Les alarmes de panne et leur résolution."},
    "watermarks": {"title": "Filigranes", "description": "Par source, le dernier jour lu en entier.", "hidden": True},
    "contracts": {
        "title": "Marchés attribués (DECP)",
        "description": "Un marché notifié par ligne, tel que l'acheteur l'a déclaré dans les données essentielles de "
        "la commande publique : objet, montant actuel, considérations sociales, lieu, et l'avis de la veille dont il "
        "vient quand il a été retrouvé.",
        "sort_desc": "notified",
        "facets": ["nature", "procedure", "social_clause", "social_criterion", "reserved", "departement"],
        "units": {"amount": "€", "initial_amount": "€"},
        "columns": {
            "uid": "Identifiant national (SIRET de l'acheteur + identifiant du marché)",
            "id": "Identifiant du marché chez l'acheteur",
            "source": "Source",
            "dataset": "Jeu de données DECP d'origine",
            "nature": "Nature",
            "buyer_siret": "SIRET de l'acheteur",
            "buyer_name": "Acheteur",
            "object": "Objet",
            "cpv": "Code CPV principal",
            "procedure": "Procédure",
            "notified": "Notifié le",
            "published": "Données publiées le",
            "duration_months": "Durée (mois)",
            "amount": "Montant actuel HT",
            "initial_amount": "Montant initial HT",
            "place_code": "Lieu d'exécution (code)",
            "place_type": "Type de code du lieu",
            "departement": "Département d'exécution",
            "social": "Considérations sociales (JSON : clause, criterion, reserved)",
            "social_stated": "Les considérations sociales sont renseignées",
            "social_clause": "Clause sociale",
            "social_criterion": "Critère social",
            "reserved": "Marché réservé",
            "environmental": "Considérations environnementales (JSON)",
            "subcontracting_declared": "Sous-traitance déclarée",
            "grouping": "Groupement d'opérateurs",
            "framework_id": "Accord-cadre",
            "winners": "Nombre de titulaires",
            "warnings": "Valeurs écartées à l'entrée (JSON)",
            "notice_source": "Source de l'avis lié",
            "notice_source_id": "Identifiant de l'avis lié",
            "procedure_id": "Procédure liée",
            "linked_by": "Lien trouvé par",
            "link_score": "Score du lien",
            "content_hash": "Empreinte du contenu",
            "first_seen": "Vu la première fois le",
            "updated_at": "Modifié le",
        },
    },
    "contract_winners": {
        "title": "Titulaires des marchés attribués",
        "description": "Un titulaire par ligne (les cotraitants d'un groupement ont chacun la leur).",
        "columns": {
            "uid": "Marché",
            "position": "Rang",
            "winner_id": "Identifiant déclaré",
            "id_type": "Type d'identifiant",
            "siren": "SIREN (unité légale)",
            "name": "Nom",
        },
    },
    "contract_modifications": {
        "title": "Modifications des marchés attribués",
        "description": "Les avenants déclarés : nouveau montant, nouvelle durée, nouveaux titulaires.",
    },
    "contract_raw": {"title": "Enregistrements DECP bruts", "hidden": True},
    "contract_themes": {
        "title": "Thèmes ESS des marchés attribués",
        "description": "Un thème par ligne et par marché, calculé sur l'objet et le code CPV.",
    },
    "companies": {
        "title": "Répertoire des entreprises",
        "description": "Ce que les fichiers chargés (stock Sirene, listes SIAE, EA, ESAT) disent de chaque unité "
        "légale : ESS (1, 0, vide = inconnu), structure d'insertion ou du handicap, taille. Rien n'est "
        "déduit d'un nom.",
        "facets": ["ess", "inclusive_kind", "size"],
        "columns": {
            "siren": "SIREN",
            "name": "Dénomination",
            "ess": "ESS (1 oui, 0 non, vide inconnu)",
            "inclusive_kind": "Structure inclusive (EI, ACI, AI, ETTI, GEIQ, EA, ESAT)",
            "size": "Taille (TPE, PME, ETI, GE)",
            "headcount_band": "Tranche d'effectifs Sirene",
            "naf": "Activité principale (NAF)",
            "legal_category": "Catégorie juridique",
            "sources": "Fichiers sources (JSON)",
            "updated_at": "Mis à jour le",
        },
    },
    "crawl_windows": {"title": "Fenêtres de collecte", "description": "Les périodes lues par source.", "hidden": True},
    "source_health": {"title": "Santé des sources", "hidden": True},
    "_sqlite_migrations": {"title": "Migrations du schéma", "hidden": True},
}
TABLES.update(observatory_views.METADATA)
for _name, _meta in observatory_views.FOUNDATION_TABLES.items():
    TABLES.setdefault(_name, _meta)
TABLES["procedures"]["columns"] = {
    k: v for k, v in TABLES["procedures_flat"]["columns"].items() if k not in ("state_name", "month", "themes")
}

# Awarded contracts (DECP) and the companies register (issue 17): the tables as the DECP source and the
# register loader write them (archive/contracts.py, archive/contract_links.py, classify/contracts.py).
_CONTRACT_COLUMNS = {
    "uid": "Identifiant national du marché (SIRET de l'acheteur + identifiant de l'acheteur)",
    "id": "Identifiant du marché chez l'acheteur",
    "source": "Source (decp)",
    "dataset": "Jeu de données DECP d'origine",
    "nature": "Nature : Marché, Marché de partenariat, Marché de défense ou de sécurité",
    "buyer_siret": "SIRET de l'acheteur",
    "buyer_name": "Acheteur, quand le fichier le nomme",
    "object": "Objet du marché",
    "cpv": "Code CPV (8 chiffres)",
    "procedure": "Procédure de passation",
    "notified": "Date de notification",
    "published": "Date de publication des données",
    "duration_months": "Durée (mois)",
    "amount": "Montant actuel HT, après la dernière modification qui en fixe un (€)",
    "initial_amount": "Montant notifié HT (€)",
    "place_code": "Code du lieu d'exécution",
    "place_type": "Type de code du lieu d'exécution",
    "departement": "Département d'exécution",
    "social": "Considérations sociales (JSON : clause, criterion, reserved)",
    "social_stated": "Le marché dit quelque chose des considérations sociales : 1 oui, 0 rien",
    "social_clause": "Clause sociale : 1 oui, 0 non, vide si rien n'est dit",
    "social_criterion": "Critère social : 1 oui, 0 non, vide si rien n'est dit",
    "reserved": "Marché réservé : 1 oui, 0 non, vide si rien n'est dit",
    "environmental": "Considérations environnementales (JSON)",
    "subcontracting_declared": "Sous-traitance déclarée",
    "grouping": "Groupement d'opérateurs",
    "framework_id": "Accord-cadre dont il relève",
    "winners": "Nombre de titulaires",
    "warnings": "Valeurs écartées à l'entrée (JSON)",
    "notice_source": "Source de l'avis rapproché",
    "notice_source_id": "Avis rapproché",
    "procedure_id": "Procédure de la veille rapprochée",
    "linked_by": "Rapprochement : reference (référence), buyer_object_date (acheteur, objet et date), "
    "award_winner (avis d'attribution nommant le titulaire)",
    "link_score": "Score du rapprochement (0 à 1)",
    "content_hash": "Empreinte du contenu (détecte les changements)",
    "first_seen": "Première lecture par la veille",
    "updated_at": "Dernier changement",
}
TABLES.update(
    {
        "contracts": {
            "title": "Marchés attribués (DECP)",
            "description": "Un marché notifié par ligne, tel que l'acheteur le déclare dans les données essentielles "
            "(montant compté une fois, même à plusieurs titulaires), avec l'avis de la veille rapproché.",
            "sort_desc": "notified",
            "facets": ["nature", "procedure", "social_clause", "social_criterion", "reserved", "departement"],
            "columns": _CONTRACT_COLUMNS,
        },
        "contract_winners": {
            "title": "Titulaires des marchés",
            "description": "Un titulaire d'un marché par ligne (les cotraitants d'un groupement ont chacun la leur).",
            "facets": ["id_type"],
            "columns": {
                "uid": "Marché",
                "position": "Rang",
                "winner_id": "Identifiant déclaré (SIRET, TVA...)",
                "id_type": "Type d'identifiant",
                "siren": "SIREN (unité légale), quand l'identifiant est un SIRET",
                "name": "Nom, quand le fichier le donne",
            },
        },
        "contract_modifications": {
            "title": "Modifications des marchés",
            "columns": {
                "uid": "Marché",
                "modification_id": "Modification",
                "notified": "Notifiée le",
                "published": "Publiée le",
                "amount": "Nouveau montant HT (€)",
                "duration_months": "Nouvelle durée (mois)",
                "winners": "Nouveaux titulaires (JSON)",
            },
        },
        "contract_themes": {
            "title": "Thèmes de chaque marché attribué",
            "facets": ["theme"],
            "columns": {"uid": "Marché", "theme": "Thème", "score": "Score", "taxonomy_version": "Version"},
        },
        "companies": {
            "title": "Registre des entreprises",
            "description": "Ce que les fichiers chargés disent de chaque unité légale (SIREN) : ESS, structure "
            "d'emploi inclusif, taille. Vide : inconnu (rien n'est deviné d'un nom).",
            "facets": ["ess", "inclusive_kind", "size"],
            "columns": {
                "siren": "SIREN",
                "name": "Nom",
                "ess": "ESS : 1 oui, 0 non, vide inconnu",
                "inclusive_kind": "Emploi inclusif : EI, ACI, AI, ETTI, GEIQ, EA, ESAT",
                "size": "Taille : TPE, PME, ETI, GE",
                "headcount_band": "Tranche d'effectif INSEE",
                "naf": "Activité principale (NAF)",
                "legal_category": "Catégorie juridique",
                "sources": "Fichiers qui l'ont renseignée (JSON)",
                "updated_at": "Mis à jour le",
            },
        },
        "contract_raw": {"title": "Marchés bruts", "description": "Chaque marché tel que son fichier le donne :"
                         " son objet JSON, ou sa ligne CSV (son en-tête : header_id, dans contract_raw_headers).",
                         "hidden": True},
        "contract_raw_headers": {"title": "En-têtes des fichiers CSV des marchés bruts", "hidden": True},
        "contracts_classified": {"title": "Classement des marchés (suivi)", "hidden": True},
    }
)  # fmt: skip

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

QUERIES: dict[str, dict[str, Any]] = {
    "avis_par_theme_et_mois": {
        "title": "Avis par thème et par mois",
        "description": "Combien d'avis chaque mois dans chaque thème ESS, avec leurs indicateurs sociaux.",
        "sql": """select substr(n.published, 1, 7) as mois, th.name as theme, count(*) as avis,
  sum(coalesce(c.reserved_contract, 0)) as reserves, sum(coalesce(c.insertion_clause, 0)) as clauses_insertion
from notice_themes t join notices n on n.source = t.source and n.source_id = t.source_id
join themes th on th.code = t.theme
left join classifications c on c.source = n.source and c.source_id = n.source_id
group by mois, th.name order by mois desc, avis desc""",
    },
    "acheteurs_reserves_et_clauses": {
        "title": "Acheteurs par marchés réservés ou clauses d'insertion",
        "description": "Les acheteurs qui réservent le plus de marchés ou posent le plus de clauses d'insertion.",
        "sql": """select key, name as acheteur, departement, notices as avis, reserved_contracts as reserves,
  insertion_clauses as clauses_insertion, social_criteria as criteres_sociaux, reserved_share as part_reserves,
  insertion_share as part_clauses
from buyers where reserved_contracts + insertion_clauses + social_criteria > 0
order by reserved_contracts + insertion_clauses desc, social_criteria desc, notices desc""",
    },
    "ouverts_clause_insertion_departement": {
        "title": "Marchés ouverts avec clause d'insertion dans un département",
        "description": "Les avis de marché dont la date limite est à venir (après « apres », maintenant par défaut), "
        "avec une clause d'insertion ou réservés, dans le département donné (code INSEE : 93, 2A, 974).",
        "sql": f"""select n.deadline as date_limite, n.title as objet, n.buyer_name as acheteur,
  c.insertion_clause as clause_insertion, c.reserved_contract as reserve, n.url
from notices n join notice_departements d on d.source = n.source and d.source_id = n.source_id
join classifications c on c.source = n.source and c.source_id = n.source_id
left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
left join procedures p on p.id = pn.procedure_id
where d.departement = :departement and n.kind = 'contract_notice' and n.status != 'cancellation'
  and coalesce(p.state, '') != 'cancelled' and (c.insertion_clause = 1 or c.reserved_contract = 1)
  and n.deadline_utc > coalesce(nullif(:apres, ''), {_NOW})
order by n.deadline_utc""",
    },
    "attributions_par_titulaire": {
        "title": "Attributions par titulaire",
        "description": "Les titulaires des marchés attribués : nombre d'attributions, montant total, acheteurs.",
        "sql": """select winner as titulaire, winner_siret as siret, count(*) as attributions,
  sum(amount) as montant_total, count(distinct buyer_name) as acheteurs, max(published) as derniere
from awards_flat where winner is not null
group by winner, winner_siret order by attributions desc, montant_total desc""",
    },
    "historique_procedure": {
        "title": "Ce qui a changé dans une procédure",
        "description": "Les avis d'une procédure dans l'ordre, avec ce que chacun dit : type, statut, date limite, "
        "valeur, et la date limite de l'avis précédent quand elle change.",
        "sql": """select pn.position as rang, n.published as publie, n.kind as type, n.status as statut,
  n.deadline as date_limite,
  lag(n.deadline) over (order by pn.position) as date_limite_precedente,
  case when lag(n.deadline) over (order by pn.position) is not null
    and lag(n.deadline) over (order by pn.position) != n.deadline then 'date limite changée' end as changement,
  n.value as valeur, n.title as objet, pn.linked_by as lien, n.source, n.source_id, n.url
from procedure_notices pn join notices n on n.source = pn.source and n.source_id = pn.source_id
where pn.procedure_id = :procedure order by pn.position""",
    },
}


def metadata(database: str, *, public: bool = False) -> dict[str, Any]:
    """Datasette's metadata for the archive opened as `database` (its file name without .db)."""
    out: dict[str, Any] = {
        "title": "Veille des marchés publics de l'ESS",
        "description": "Les avis de marchés publics (BOAMP, TED, plateformes d'acheteurs) classés sur les thèmes de "
        "l'économie sociale et solidaire : avis, procédures, attributions, annuaire des acheteurs. Données publiques, "
        "sans abonné ni adresse.",
        "license": "Licence Ouverte / Open Licence 2.0 (données BOAMP et TED)",
        "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "source": "BOAMP (DILA), TED (Office des publications de l'UE)",
        "source_url": "https://www.boamp.fr/",
        "databases": {
            database: {
                "title": "Archive de la veille",
                "description": "Commencez par « Avis, en clair », « Procédures », « Attributions » ou l'annuaire "
                "des acheteurs ; les requêtes prêtes à l'emploi répondent aux questions habituelles.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }
    if public:
        out["allow_sql"] = False
    return out
