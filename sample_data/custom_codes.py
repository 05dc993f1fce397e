"""The hand-kept code lists of the self-built sample system: German abbreviations.

A service that keeps its clients in a workbook writes what its staff say: `verh.`,
`gesch.`, `WH`, `Miete`. Each dict maps the population's canonical code to the word
the list uses; the renderer writes these words, and `custom_mapping` turns the same
dicts around into the value maps of `mapping.yaml`. `ALIASES` holds second spellings
that the list uses for the same code (`Schweiz` beside `CH`).
"""

from __future__ import annotations

#: Zivilstand (eCH-0011 code -> word).
MARITAL = {
    "1": "ledig",
    "2": "verh.",
    "3": "verw.",
    "4": "gesch.",
    "5": "getr.",
    "6": "eingetr. Partn.",
    "7": "aufgel. Partn.",
    "9": "unbek.",
}
#: Zivilstand values seen in the list that no value map covers (dirt `code-unmapped`).
MARITAL_UNMAPPED = ("verh. getr.", "Konkubinat", "led./getr.")

#: Nationalität (ISO alpha-2 -> car-plate code or German name, as typed over the years).
NATIONALITY = {
    "CH": "CH",
    "DE": "D",
    "IT": "I",
    "PT": "P",
    "FR": "F",
    "ER": "Eritrea",
    "AF": "Afghanistan",
    "SY": "Syrien",
    "LK": "Sri Lanka",
    "TR": "Türkei",
    "XK": "Kosovo",
    "UA": "Ukraine",
}
SWISS_LONG = "Schweiz"

SEX = {"1": "m", "2": "w"}  # unknown (3) stays blank

LANGUAGE = {
    "de": "deutsch",
    "fr": "franz.",
    "it": "ital.",
    "pt": "port.",
    "ti": "tigrinya",
    "fa": "persisch",
    "ar": "arabisch",
    "ta": "tamil",
    "tr": "türk.",
    "sq": "alban.",
    "uk": "ukrain.",
    "en": "engl.",
}

#: Ausweis / Bewilligung: the letters people use; Swiss citizens `CH`.
PERMIT = {code: code for code in ("CH", "C", "B", "F", "N", "L", "S")}

DOMAIN = {
    "economic_aid": "WH",
    "maintenance_advance": "ALBV",
    "child_protection": "KS",
    "adult_protection": "ES",
    "asylum": "Asyl",
}

CLOSING_REASON = {
    "income": "Erwerb",
    "social_insurance": "Soz.vers.",
    "moved_away": "Wegzug",
    "death": "Tod",
    "contact_lost": "Kontaktabbruch",
    "other_authority": "Zuständigkeit",
    "other": "anderes",
}

SEGMENT = {code: code for code in ("A", "B", "C")}

MEMBER_ROLE = {"lead": "Antragst.", "partner": "Partner/in", "child": "Kind", "other": "andere"}

STAFF_ROLE = {
    "social_worker": "SA",
    "admin_assistant": "Admin",
    "head_of_sector": "BL",
    "intake": "Intake",
    "other": "andere",
}
ACTIVE = {True: "ja", False: "nein"}

BUDGET_STATUS = {
    "draft": "Entwurf",
    "approved": "bewilligt",
    "rejected": "abgelehnt",
    "archived": "archiviert",
}

#: Budget positions and payment kinds (SKOS code -> word).
POSITION = {
    "GBL": "GBL",
    "MIETE": "Miete",
    "NK": "NK",
    "KVG": "KK",
    "SIL": "SIL",
    "EFB": "EFB",
    "IZU": "IZU",
    "LOHN": "Lohn",
    "AHV_IV": "AHV/IV",
    "ALV": "ALV",
    "ALIM": "Alimente",
    "UEBR": "Übriges",
}
ITEM_KIND = {"expense": "Ausgabe", "income": "Einnahme"}

#: Payment status from the only flag the list has: `storniert` = ja, else paid.
REVERSED = {"reversed": "ja"}

CONTACT_TYPE = {
    "personal_talk": "Gespräch",
    "phone": "Tel.",
    "email": "Mail",
    "home_visit": "Hausbesuch",
    "network_meeting": "Netzwerk",
    "letter": "Brief",
    "note": "Notiz",
}

DOC_TYPE = {
    "decision": "Verfügung",
    "report": "Bericht",
    "letter": "Brief",
    "receipt": "Beleg",
    "id_document": "Ausweis",
    "contract": "Vertrag",
    "other": "Diverses",
}
#: ASCII forms for file names of scans.
DOC_FILE_WORD = {
    "decision": "Verfuegung",
    "report": "Bericht",
    "letter": "Brief",
    "receipt": "Beleg",
    "id_document": "Ausweis",
    "contract": "Vertrag",
    "other": "Diverses",
}

#: Second spellings in use for the same code: (value map name, word, code).
ALIASES: tuple[tuple[str, str, str], ...] = (("nationalitaet", SWISS_LONG, "CH"),)
