"""Tutoris code values and text formats, transcribed from `legacy-systems/tutoris.md`.

The generator writes these itself (it never imports the extractors' mappings). Code
lists that Tutoris shows in the installation's language come in German and French:
journal and document types follow the installation (French when the service's preset
is at least 40 % French-speaking, i.e. Biel/Bienne), marital status and nationality are
free text that the social worker typed in the person's language. The budget status is
German in every installation: `bewilligt`, `in Bearbeitung`, `archiviert`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from nffs_migration.sample_data import vocab

FORMAT_VERSION = "7.2"
ENCODING = "ISO-8859-1"
#: As the vendor writes it (lxml's own declaration uses single quotes).
DECLARATION = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
#: A service at least this French-speaking runs a French Tutoris installation.
FRENCH_INSTALLATION_SHARE = 0.4

MA_ROLLE = {
    "social_worker": "SA",
    "admin_assistant": "AADMIN",
    "head_of_sector": "RESP",
    "intake": "INTAKE",
}
#: eCH-0044 sex -> Tutoris (the reference model also knows `d`; the population has none).
GESCHLECHT = {"1": "m", "2": "w", "3": "?"}
#: eCH-0011 code -> (German, French) free text.
ZIVILSTAND = {
    "1": ("ledig", "célibataire"),
    "2": ("verheiratet", "marié(e)"),
    "3": ("verwitwet", "veuf"),
    "4": ("geschieden", "divorcé(e)"),
    "5": ("getrennt", "séparé(e)"),
    "6": ("eingetragene Partnerschaft", "partenariat enregistré"),
    "7": ("aufgelöste Partnerschaft", "partenariat dissous"),
    "9": ("unbekannt", "inconnu"),
}
#: ISO 3166-1 alpha-2 -> (German, French) country name.
NATIONALITAET = {
    "CH": ("Schweiz", "Suisse"),
    "DE": ("Deutschland", "Allemagne"),
    "IT": ("Italien", "Italie"),
    "PT": ("Portugal", "Portugal"),
    "ER": ("Eritrea", "Érythrée"),
    "AF": ("Afghanistan", "Afghanistan"),
    "SY": ("Syrien", "Syrie"),
    "LK": ("Sri Lanka", "Sri Lanka"),
    "TR": ("Türkei", "Turquie"),
    "XK": ("Kosovo", "Kosovo"),
    "FR": ("Frankreich", "France"),
    "UA": ("Ukraine", "Ukraine"),
}
FALL_TYP = {
    "economic_aid": "WSH",
    "maintenance_advance": "ALBV",
    "child_protection": "KES-K",
    "adult_protection": "KES-E",
    "asylum": "ASYL",
}
ABSCHLUSSGRUND = {
    "income": "1",
    "social_insurance": "2",
    "moved_away": "3",
    "death": "4",
    "contact_lost": "5",
    "other_authority": "6",
    "other": "9",
}
MITGLIED_ROLLE = {"lead": "AS", "partner": "PA", "child": "KI", "other": "WP"}
BUDGET_STATUS = {"approved": "bewilligt", "draft": "in Bearbeitung", "archived": "archiviert"}
ART = {"expense": "A", "income": "E"}
#: contact type -> (German, French) journal type.
JOURNAL_TYP = {
    "personal_talk": ("Gespräch", "Entretien"),
    "phone": ("Telefon", "Téléphone"),
    "email": ("E-Mail", "Courriel"),
    "home_visit": ("Hausbesuch", "Visite à domicile"),
    "network_meeting": ("Netzwerk", "Réseau"),
    "letter": ("Brief", "Lettre"),
    "note": ("Notiz", "Note"),
}
#: document type -> (German, French) document type.
DOKUMENT_TYP = {
    "decision": ("Verfügung", "Décision"),
    "report": ("Bericht", "Rapport"),
    "letter": ("Brief", "Lettre"),
    "receipt": ("Beleg", "Justificatif"),
    "id_document": ("Ausweis", "Pièce d'identité"),
    "contract": ("Vertrag", "Contrat"),
}
#: document type -> (German, French) stem of the file name in the document folder.
DATEI_STAMM = {
    "decision": ("verfuegung", "decision"),
    "report": ("bericht", "rapport"),
    "letter": ("brief", "lettre"),
    "receipt": ("beleg", "justificatif"),
    "id_document": ("ausweis", "piece_identite"),
    "contract": ("vertrag", "contrat"),
}


def french_installation(service: vocab.ServicePreset) -> bool:
    """True when the service runs Tutoris in French (journal and document types)."""
    return service.french_share >= FRENCH_INSTALLATION_SHARE


def in_language(values: tuple[str, str], french: bool) -> str:
    """The German or the French one of a (German, French) pair."""
    return values[1] if french else values[0]


@lru_cache(maxsize=1 << 16)  # budget periods and value dates repeat month after month
def datum(day: date | None) -> str:
    """`dd.mm.yyyy`, or the empty string Tutoris writes for "none"."""
    return "" if day is None else f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def zeitpunkt(moment: datetime) -> str:
    """`dd.mm.yyyy hh:mm`."""
    return f"{datum(moment.date())} {moment.hour:02d}:{moment.minute:02d}"


def dauer(minutes: int | None) -> str:
    """`hh:mm`, or empty when no duration is recorded."""
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=1 << 16)  # budget positions repeat month after month
def betrag(centimes: int) -> str:
    """Swiss format with the apostrophe as thousands separator: `1'031.00`, `-820.50`."""
    sign = "-" if centimes < 0 else ""
    francs, rest = divmod(abs(centimes), 100)
    return f"{sign}{francs:,}".replace(",", "'") + f".{rest:02d}"


def betrag_plain(centimes: int, comma: bool) -> str:
    """Without thousands separator, with a decimal point or a decimal comma: `1234,50`."""
    sign = "-" if centimes < 0 else ""
    francs, rest = divmod(abs(centimes), 100)
    return f"{sign}{francs}{',' if comma else '.'}{rest:02d}"


def sozversnr(ahvn13: str | None) -> str:
    """`756.1234.5678.97`, the form Tutoris shows and exports; empty when there is none."""
    if not ahvn13:
        return ""
    return f"{ahvn13[:3]}.{ahvn13[3:7]}.{ahvn13[7:11]}.{ahvn13[11:]}"


def mojibake(text: str) -> str | None:
    r"""The text's UTF-8 bytes read as Latin-1 (`Müller` -> `MÃ¼ller`).

    None when the text is plain ASCII (nothing to garble) or when the garbled form would
    hold C1 control characters (`Ü` -> `Ã\x9c`): those are valid XML but unreadable.
    """
    if text.isascii():
        return None
    try:
        garbled = text.encode("utf-8").decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - every byte decodes as Latin-1
        return None
    if any(0x80 <= ord(char) <= 0x9F for char in garbled):
        return None
    return garbled


def latin1(text: str) -> bool:
    """True when every character of `text` exists in ISO-8859-1."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


__all__ = [
    "ABSCHLUSSGRUND",
    "ART",
    "BUDGET_STATUS",
    "DATEI_STAMM",
    "DECLARATION",
    "DOKUMENT_TYP",
    "ENCODING",
    "FALL_TYP",
    "FORMAT_VERSION",
    "GESCHLECHT",
    "JOURNAL_TYP",
    "MA_ROLLE",
    "MITGLIED_ROLLE",
    "NATIONALITAET",
    "ZIVILSTAND",
    "betrag",
    "betrag_plain",
    "datum",
    "dauer",
    "french_installation",
    "in_language",
    "latin1",
    "mojibake",
    "sozversnr",
    "zeitpunkt",
]
