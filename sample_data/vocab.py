"""Word lists for the sample population: names, places, services, texts.

Invented people only: names are common Swiss and immigrant family and given names
combined at random; streets and places are real Bernese communes with their BFS
numbers and postal codes, so addresses look like the field without describing anyone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Commune:
    """A commune of the canton of Bern: BFS number, name and postal codes."""

    bfs: int
    name: str
    postal_codes: tuple[str, ...]


COMMUNES: dict[int, Commune] = {
    c.bfs: c
    for c in (
        Commune(
            351,
            "Bern",
            (
                "3004",
                "3005",
                "3006",
                "3007",
                "3008",
                "3010",
                "3012",
                "3013",
                "3014",
                "3018",
                "3027",
            ),
        ),
        Commune(355, "Köniz", ("3097", "3098", "3084", "3172")),
        Commune(363, "Ostermundigen", ("3072",)),
        Commune(356, "Muri bei Bern", ("3074",)),
        Commune(371, "Biel/Bienne", ("2502", "2503", "2504", "2505")),
        Commune(743, "Nidau", ("2560",)),
        Commune(942, "Thun", ("3600", "3603", "3604", "3608")),
        Commune(939, "Steffisburg", ("3612", "3613")),
        Commune(928, "Heimberg", ("3627",)),
        Commune(768, "Spiez", ("3700",)),
        Commune(404, "Burgdorf", ("3400",)),
        Commune(329, "Langenthal", ("4900",)),
        Commune(306, "Lyss", ("3250",)),
        Commune(616, "Münsingen", ("3110",)),
        Commune(581, "Interlaken", ("3800",)),
    )
}


@dataclass(frozen=True)
class ServicePreset:
    """A social service: its id, name, communes and the share of French speakers."""

    service_id: str
    name: str
    communes: tuple[int, ...]
    french_share: float
    kesb: str


SERVICES: dict[str, ServicePreset] = {
    s.service_id: s
    for s in (
        ServicePreset("0942", "Sozialdienst Thun", (942, 928), 0.02, "KESB Thun"),
        ServicePreset("0351", "Sozialamt der Stadt Bern", (351, 363), 0.05, "KESB Bern"),
        ServicePreset(
            "0371",
            "Service social de Bienne / Sozialdienst Biel",
            (371, 743),
            0.40,
            "KESB Biel/Bienne",
        ),
        ServicePreset("0355", "Sozialdienst Köniz", (355,), 0.03, "KESB Bern"),
        ServicePreset("0404", "Sozialdienst Region Burgdorf", (404,), 0.01, "KESB Emmental"),
        ServicePreset("0329", "Sozialdienst Langenthal", (329,), 0.01, "KESB Oberaargau"),
        ServicePreset("0768", "Sozialdienste Spiez", (768, 581), 0.01, "KESB Frutigen"),
    )
}


def service_preset(service_id: str) -> ServicePreset:
    """The preset of a service id; an unknown id gets Thun's communes under its own name."""
    if service_id in SERVICES:
        return SERVICES[service_id]
    bfs = int(service_id)
    communes = (bfs,) if bfs in COMMUNES else (942, 928)
    return ServicePreset(service_id, f"Sozialdienst {service_id}", communes, 0.02, "KESB Thun")


STREETS = (
    "Bahnhofstrasse",
    "Hauptstrasse",
    "Kirchgasse",
    "Dorfstrasse",
    "Seestrasse",
    "Bergstrasse",
    "Schulhausstrasse",
    "Gartenstrasse",
    "Lindenweg",
    "Mattenweg",
    "Allmendstrasse",
    "Aarestrasse",
    "Bernstrasse",
    "Frutigenstrasse",
    "Länggassstrasse",
    "Mühlegasse",
    "Rosenweg",
    "Sonnenweg",
    "Waldeggweg",
    "Kasernenstrasse",
    "Marktgasse",
    "Obere Hauptgasse",
    "Rue du Marché",
    "Rue de la Gare",
    "Chemin des Vignes",
    "Zentralstrasse",
    "Bözingenstrasse",
    "Brunnmattstrasse",
)

SWISS_FAMILY = (
    "Müller",
    "Meier",
    "Schmid",
    "Keller",
    "Weber",
    "Huber",
    "Schneider",
    "Steiner",
    "Fischer",
    "Gerber",
    "Brunner",
    "Baumann",
    "Frei",
    "Zimmermann",
    "Moser",
    "Widmer",
    "Wyss",
    "Graf",
    "Roth",
    "Bühler",
    "Kunz",
    "Zürcher",
    "Lehmann",
    "Bieri",
    "Hofer",
    "Aebischer",
    "Stucki",
    "Zbinden",
    "Burri",
    "Rüegsegger",
    "Schär",
    "Hostettler",
    "von Gunten",
    "Känel",
    "Gfeller",
    "Blaser",
    "Wenger",
    "Studer",
    "Marti",
    "Lüthi",
    "Jost",
    "Kohler",
    "Ryser",
    "Gasser",
    "Favre",
    "Rochat",
    "Perrin",
    "Monnier",
    "Girard",
    "Bonvin",
    "Jeanneret",
    "Châtelain",
)
FAMILY_BY_NATIONALITY: dict[str, tuple[str, ...]] = {
    "DE": ("Schulz", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Klein"),
    "IT": ("Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Esposito"),
    "PT": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"),
    "ER": (
        "Tesfay",
        "Haile",
        "Ghebremedhin",
        "Berhane",
        "Tekle",
        "Weldemariam",
        "Kidane",
        "Asfaha",
    ),
    "AF": ("Ahmadi", "Rahimi", "Hakimi", "Karimi", "Sultani", "Noori", "Azizi", "Habibi"),
    "SY": ("Haddad", "Al-Hassan", "Khalil", "Darwish", "Sabbagh", "Nasser", "Hamdan", "Youssef"),
    "LK": ("Sivakumar", "Tharmalingam", "Rajendran", "Selvarajah", "Kanagaratnam", "Nadarajah"),
    "TR": ("Yilmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın"),
    "XK": ("Krasniqi", "Gashi", "Berisha", "Morina", "Shala", "Hoxha", "Kelmendi", "Bytyqi"),
    "FR": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"),
    "UA": ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk"),
}
GIVEN_FEMALE = (
    "Anna",
    "Maria",
    "Sandra",
    "Nicole",
    "Barbara",
    "Monika",
    "Daniela",
    "Ursula",
    "Ruth",
    "Sarah",
    "Laura",
    "Lea",
    "Céline",
    "Chantal",
    "Nathalie",
    "Jasmin",
    "Fatima",
    "Aisha",
    "Selam",
    "Helen",
    "Yohana",
    "Leila",
    "Mariam",
    "Ana",
    "Sofia",
    "Giulia",
    "Elif",
    "Zeynep",
    "Olena",
    "Iryna",
    "Priya",
    "Shanthi",
    "Mélanie",
    "Sophie",
    "Franziska",
    "Käthi",
    "Vreni",
)
GIVEN_MALE = (
    "Peter",
    "Hans",
    "Daniel",
    "Thomas",
    "Martin",
    "Andreas",
    "Christian",
    "Markus",
    "Stefan",
    "Urs",
    "Beat",
    "Reto",
    "Lukas",
    "Jonas",
    "Noah",
    "Luca",
    "Mathieu",
    "Yves",
    "Jean",
    "Ahmed",
    "Mohammed",
    "Omar",
    "Yonas",
    "Dawit",
    "Samuel",
    "Ali",
    "Hamid",
    "Karim",
    "Marco",
    "João",
    "Mehmet",
    "Emre",
    "Arben",
    "Besnik",
    "Dmytro",
    "Suresh",
    "Rajan",
    "Jürg",
    "Köbi",
    "Rémy",
)

#: Nationalities of clients, with weights (Swiss majority; origins typical of Bernese social aid).
NATIONALITIES = (
    ("CH", 52),
    ("DE", 3),
    ("IT", 4),
    ("PT", 5),
    ("ER", 8),
    ("AF", 5),
    ("SY", 4),
    ("LK", 3),
    ("TR", 4),
    ("XK", 5),
    ("FR", 2),
    ("UA", 5),
)
#: Residence permits of foreign nationals by origin: (permit, weight).
PERMITS = {
    "EU": (("C", 5), ("B", 4), ("L", 1)),
    "ASYLUM": (("B", 3), ("F", 4), ("N", 2), ("C", 1)),
    "UA": (("S", 9), ("B", 1)),
    "OTHER": (("C", 5), ("B", 4), ("F", 1)),
}
EU = {"DE", "IT", "PT", "FR"}
ASYLUM_ORIGINS = {"ER", "AF", "SY", "LK"}
LANGUAGE_BY_NATIONALITY = {
    "CH": "de",
    "DE": "de",
    "IT": "it",
    "PT": "pt",
    "ER": "ti",
    "AF": "fa",
    "SY": "ar",
    "LK": "ta",
    "TR": "tr",
    "XK": "sq",
    "FR": "fr",
    "UA": "uk",
}

LANDLORDS = (
    "Liegenschaftsverwaltung Aare AG",
    "Immobilien Thunersee GmbH",
    "Wohnbaugenossenschaft Lindenhof",
    "Burgergemeinde Liegenschaften",
    "Régie du Lac SA",
    "Privatvermieter",
    "Stiftung Wohnhilfe",
)
INSURERS = ("CSS Versicherung", "Visana", "Helsana", "Concordia", "KPT", "Groupe Mutuel", "Sanitas")

SUBJECTS_DE = (
    "Standortbestimmung",
    "Budgetbesprechung",
    "Wohnungssuche",
    "Arbeitsintegration",
    "Zielvereinbarung",
    "Gesundheit",
    "Schulden und Betreibungen",
    "Familiensituation",
    "Unterlagen nachgereicht",
    "Erstgespräch",
    "Anmeldung IV",
    "Kontoauszüge",
)
SUBJECTS_FR = (
    "Point de situation",
    "Discussion du budget",
    "Recherche de logement",
    "Insertion professionnelle",
    "Convention d'objectifs",
    "Santé",
    "Dettes et poursuites",
    "Situation familiale",
    "Documents transmis",
    "Premier entretien",
    "Inscription AI",
    "Relevés bancaires",
)
SENTENCES_DE = (
    "Klient erscheint pünktlich zum Gespräch.",
    "Die Wohnungssuche gestaltet sich schwierig, mehrere Absagen erhalten.",
    "Budget für den nächsten Monat besprochen und erklärt.",
    "Klientin berichtet über gesundheitliche Probleme, Arztzeugnis folgt.",
    "Vereinbarung: Bewerbungen bis Ende Monat nachweisen.",
    "Unterlagen zur Krankenkasse wurden nachgereicht.",
    "Die Kinder besuchen regelmässig die Schule, keine Auffälligkeiten.",
    "Schuldensanierung mit der Fachstelle vorbesprochen.",
    "Nächstes Gespräch in vier Wochen vereinbart.",
    "Rückfrage zur Nebenkostenabrechnung geklärt.",
    "Teilnahme am Beschäftigungsprogramm läuft gut.",
    "Anmeldung bei der IV ist erfolgt, Entscheid ausstehend.",
)
SENTENCES_FR = (
    "Le client se présente à l'heure à l'entretien.",
    "La recherche de logement est difficile, plusieurs refus reçus.",
    "Budget du mois prochain discuté et expliqué.",
    "La cliente fait état de problèmes de santé, certificat médical à suivre.",
    "Convenu: prouver les postulations d'ici la fin du mois.",
    "Les documents pour la caisse-maladie ont été transmis.",
    "Les enfants fréquentent régulièrement l'école.",
    "Assainissement des dettes discuté avec le service spécialisé.",
    "Prochain entretien fixé dans quatre semaines.",
)
DOC_TITLES = {
    "decision": ("Verfügung wirtschaftliche Hilfe", "Décision d'aide sociale"),
    "report": ("Sozialbericht", "Rapport social"),
    "letter": ("Schreiben an Klient/in", "Lettre au client"),
    "receipt": ("Mietzinsbeleg", "Justificatif de loyer"),
    "id_document": ("Ausweiskopie", "Copie pièce d'identité"),
    "contract": ("Zielvereinbarung", "Convention d'objectifs"),
}
STAFF_FAMILY = (
    "Gilgen",
    "Dubach",
    "Imhof",
    "Rieder",
    "Balmer",
    "Egger",
    "Siegenthaler",
    "Tschanz",
    "Kämpf",
    "Pulver",
    "Stalder",
    "Reber",
    "Hess",
    "Wüthrich",
    "Aeschlimann",
    "Bärtschi",
    "Jaussi",
    "Mathys",
    "Nyffeler",
    "Oppliger",
    "Probst",
    "Rufener",
    "Schüpbach",
    "Trachsel",
)
