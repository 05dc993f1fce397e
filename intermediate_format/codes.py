"""The canonical code lists of the intermediate format.

Each list is data: a value and its meaning in English, German and French. Country and
language codes come from ISO 3166-1 and ISO 639-1 as packaged by `pycountry` (with its
German and French translations), plus `XX` for an unknown nationality.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

from nffs_migration.intermediate_format.model import Code, CodeList, Label
from nffs_migration.intermediate_format.systems import BUILT_IN, SOURCE_SYSTEMS


def _codes(*rows: tuple[str, str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(value, Label(en, de, fr)) for value, en, de, fr in rows)


SOURCE_SYSTEM = CodeList(
    "source_system",
    "The legacy system family a record comes from (and any family a plugin registers).",
    _codes(
        ("klibnet", "KLIBnet (Diartis)", "KLIBnet (Diartis)", "KLIBnet (Diartis)"),
        ("kiss", "KiSS (Diartis)", "KiSS (Diartis)", "KiSS (Diartis)"),
        ("tutoris", "Tutoris (Infogate)", "Tutoris (Infogate)", "Tutoris (Infogate)"),
        ("custom", "self-built system", "Eigenentwicklung", "système propre"),
        *((name, name, name, name) for name in SOURCE_SYSTEMS[len(BUILT_IN) :]),
    ),
)

STAFF_ROLE = CodeList(
    "staff_role",
    "The function of a staff member in the social service.",
    _codes(
        ("social_worker", "social worker", "Sozialarbeiter/in", "assistant(e) social(e)"),
        (
            "admin_assistant",
            "administrative assistant",
            "administrative Assistenz",
            "assistant(e) administratif(ve)",
        ),
        ("head_of_sector", "head of sector", "Bereichsleitung", "responsable de secteur"),
        ("intake", "intake", "Intake", "intake"),
        ("other", "other", "andere", "autre"),
    ),
)

DATE_PRECISION = CodeList(
    "date_precision",
    "How much of a date is known; the date is then the 1st of the month or 1 January.",
    _codes(
        ("day", "day known", "Tag bekannt", "jour connu"),
        ("month", "month known", "Monat bekannt", "mois connu"),
        ("year", "year known", "Jahr bekannt", "année connue"),
        ("unknown", "unknown", "unbekannt", "inconnu"),
    ),
)

SEX = CodeList(
    "sex",
    "Sex after eCH-0044.",
    _codes(
        ("1", "male", "männlich", "masculin"),
        ("2", "female", "weiblich", "féminin"),
        ("3", "unknown", "unbekannt", "inconnu"),
    ),
    standard="eCH-0044",
)

MARITAL_STATUS = CodeList(
    "marital_status",
    "Marital status after eCH-0011 (codes 1-7, 9 unknown).",
    _codes(
        ("1", "single", "ledig", "célibataire"),
        ("2", "married", "verheiratet", "marié(e)"),
        ("3", "widowed", "verwitwet", "veuf/veuve"),
        ("4", "divorced", "geschieden", "divorcé(e)"),
        ("5", "separated", "getrennt", "séparé(e)"),
        ("6", "registered partnership", "eingetragene Partnerschaft", "partenariat enregistré"),
        ("7", "dissolved partnership", "aufgelöste Partnerschaft", "partenariat dissous"),
        ("9", "unknown", "unbekannt", "inconnu"),
    ),
    standard="eCH-0011",
)

RESIDENCE_PERMIT = CodeList(
    "residence_permit",
    "Swiss citizenship or the foreign national's permit.",
    _codes(
        ("CH", "Swiss citizen", "Schweizer/in", "Suisse"),
        ("C", "settlement permit C", "Niederlassungsbewilligung C", "permis d'établissement C"),
        ("B", "residence permit B", "Aufenthaltsbewilligung B", "permis de séjour B"),
        (
            "F",
            "provisionally admitted F",
            "vorläufig Aufgenommene F",
            "admission provisoire F",
        ),
        ("N", "asylum seeker N", "Asylsuchende N", "requérant d'asile N"),
        (
            "L",
            "short-term residence permit L",
            "Kurzaufenthaltsbewilligung L",
            "autorisation de courte durée L",
        ),
        ("S", "protection status S", "Schutzstatus S", "statut de protection S"),
    ),
)

DOMAIN = CodeList(
    "domain",
    "The area of law and work a case belongs to.",
    _codes(
        ("economic_aid", "economic social aid", "wirtschaftliche Sozialhilfe", "aide sociale"),
        (
            "maintenance_advance",
            "maintenance advance",
            "Alimentenbevorschussung",
            "avance de contributions d'entretien",
        ),
        ("child_protection", "child protection", "Kindesschutz", "protection de l'enfant"),
        ("adult_protection", "adult protection", "Erwachsenenschutz", "protection de l'adulte"),
        ("asylum", "asylum and refugees", "Asyl und Flüchtlinge", "asile et réfugiés"),
    ),
)

CLOSING_REASON = CodeList(
    "closing_reason",
    "Why a case was closed.",
    _codes(
        ("income", "earned income", "Erwerbseinkommen", "revenu d'une activité lucrative"),
        ("social_insurance", "social insurance", "Sozialversicherung", "assurances sociales"),
        ("moved_away", "moved away", "Wegzug", "départ de la commune"),
        ("death", "death", "Tod", "décès"),
        ("contact_lost", "contact lost", "Kontaktabbruch", "rupture de contact"),
        (
            "other_authority",
            "another authority is competent",
            "andere Zuständigkeit",
            "autre autorité compétente",
        ),
        ("other", "other", "andere", "autre"),
    ),
)

SEGMENT = CodeList(
    "segment",
    "Case segment by need for counselling (segment A: 4-6 personal talks a semester, "
    "B: 3-5 a year, C: 1-3 a year).",
    _codes(
        ("A", "intensive counselling", "intensive Beratung", "conseil intensif"),
        ("B", "regular counselling", "reguläre Beratung", "conseil régulier"),
        ("C", "mainly administrative", "vorwiegend administrativ", "surtout administratif"),
    ),
)

MEMBER_ROLE = CodeList(
    "member_role",
    "The role of a person in a case.",
    _codes(
        ("lead", "applicant (lead person)", "Antragsteller/in", "requérant(e)"),
        ("partner", "partner", "Partner/in", "partenaire"),
        ("child", "child", "Kind", "enfant"),
        (
            "other",
            "other household member",
            "weitere Person im Haushalt",
            "autre personne du ménage",
        ),
    ),
)

BUDGET_STATUS = CodeList(
    "budget_status",
    "The state of a monthly budget.",
    _codes(
        ("draft", "draft", "in Bearbeitung", "en préparation"),
        ("approved", "approved", "bewilligt", "approuvé"),
        ("rejected", "rejected", "abgelehnt", "refusé"),
        ("archived", "archived", "archiviert", "archivé"),
    ),
)

BUDGET_POSITION = CodeList(
    "budget_position",
    "Budget and payment positions after the SKOS guidelines.",
    _codes(
        ("GBL", "basic needs", "Grundbedarf für den Lebensunterhalt", "forfait d'entretien"),
        ("MIETE", "rent", "Miete", "loyer"),
        ("NK", "service charges", "Nebenkosten", "charges locatives"),
        ("KVG", "health insurance premium", "Krankenkassenprämie", "prime d'assurance-maladie"),
        (
            "SIL",
            "situation-related benefits",
            "situationsbedingte Leistungen",
            "prestations circonstancielles",
        ),
        ("EFB", "income allowance", "Einkommensfreibetrag", "franchise sur le revenu"),
        ("IZU", "integration allowance", "Integrationszulage", "supplément d'intégration"),
        ("LOHN", "earned income", "Erwerbseinkommen", "revenu d'une activité lucrative"),
        ("AHV_IV", "old-age or disability pension", "AHV/IV-Rente", "rente AVS/AI"),
        ("ALV", "unemployment benefit", "Arbeitslosenentschädigung", "indemnité de chômage"),
        ("ALIM", "maintenance received", "Alimente", "contributions d'entretien"),
        ("UEBR", "other", "Übriges", "autres"),
    ),
    standard="SKOS",
)

ITEM_KIND = CodeList(
    "item_kind",
    "Whether a budget position is an expense or an income.",
    _codes(
        ("expense", "expense", "Ausgabe", "dépense"),
        ("income", "income", "Einnahme", "revenu"),
    ),
)

PAYMENT_STATUS = CodeList(
    "payment_status",
    "The state of a payment; a source that knows only a cancellation flag gives "
    "`paid`, or `reversed` when the flag is set.",
    _codes(
        ("recorded", "recorded", "erfasst", "saisi"),
        ("released", "released", "freigegeben", "libéré"),
        ("paid", "paid", "ausbezahlt", "versé"),
        ("reversed", "reversed", "storniert", "extourné"),
    ),
)

CONTACT_TYPE = CodeList(
    "contact_type",
    "The kind of a journal entry; a personal contact is a personal talk or a home visit.",
    _codes(
        ("personal_talk", "personal talk", "persönliches Gespräch", "entretien personnel"),
        ("phone", "phone call", "Telefon", "téléphone"),
        ("email", "e-mail", "E-Mail", "courriel"),
        ("home_visit", "home visit", "Hausbesuch", "visite à domicile"),
        ("network_meeting", "network meeting", "Netzwerkgespräch", "entretien de réseau"),
        ("letter", "letter", "Brief", "lettre"),
        ("note", "note (no contact)", "Notiz (kein Kontakt)", "note (sans contact)"),
    ),
)

DOC_TYPE = CodeList(
    "doc_type",
    "The kind of a document.",
    _codes(
        ("decision", "decision", "Verfügung", "décision"),
        ("report", "report", "Bericht", "rapport"),
        ("letter", "letter", "Brief", "lettre"),
        ("receipt", "receipt", "Beleg", "justificatif"),
        ("id_document", "identity document", "Ausweis", "pièce d'identité"),
        ("contract", "contract", "Vertrag", "contrat"),
        ("other", "other", "andere", "autre"),
    ),
)


@cache
def _translator(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _countries() -> CodeList:
    de = _translator("iso3166-1", "de")
    fr = _translator("iso3166-1", "fr")
    rows = sorted(pycountry.countries, key=lambda country: country.alpha_2)
    codes = tuple(
        Code(c.alpha_2, Label(c.name, de.gettext(c.name), fr.gettext(c.name))) for c in rows
    )
    # XK (Kosovo) is user-assigned in ISO 3166 but used by the Swiss federal registers.
    extra = (
        Code("XK", Label("Kosovo", "Kosovo", "Kosovo")),
        Code("XX", Label("unknown", "unbekannt", "inconnu")),
    )
    return CodeList(
        "country",
        "Country codes after ISO 3166-1 alpha-2, with `XK` for Kosovo; `XX` when the "
        "nationality is unknown.",
        (*codes, *extra),
        standard="ISO 3166-1 alpha-2",
    )


def _languages() -> CodeList:
    de = _translator("iso639-3", "de")
    fr = _translator("iso639-3", "fr")
    rows = sorted(
        (lang for lang in pycountry.languages if hasattr(lang, "alpha_2")),
        key=lambda lang: lang.alpha_2,
    )
    return CodeList(
        "language",
        "Language codes after ISO 639-1.",
        tuple(Code(x.alpha_2, Label(x.name, de.gettext(x.name), fr.gettext(x.name))) for x in rows),
        standard="ISO 639-1",
    )


COUNTRY = _countries()
LANGUAGE = _languages()

CODE_LISTS: dict[str, CodeList] = {
    code_list.name: code_list
    for code_list in (
        SOURCE_SYSTEM,
        STAFF_ROLE,
        DATE_PRECISION,
        SEX,
        MARITAL_STATUS,
        COUNTRY,
        RESIDENCE_PERMIT,
        LANGUAGE,
        DOMAIN,
        CLOSING_REASON,
        SEGMENT,
        MEMBER_ROLE,
        BUDGET_STATUS,
        BUDGET_POSITION,
        ITEM_KIND,
        PAYMENT_STATUS,
        CONTACT_TYPE,
        DOC_TYPE,
    )
}
