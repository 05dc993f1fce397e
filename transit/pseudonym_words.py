"""Word parts for pseudonyms: invented Swiss-sounding names and streets, lorem-ipsum text.

Names are composed of a stem and an ending (`Trub` + `egger`), so most fakes are
plausible but invented; the pseudonymiser still refuses any fake that equals a name of
the package it works on. Texts are lorem ipsum: they read as filler in any language and
cannot be mistaken for a note about a person.
"""

from __future__ import annotations

GERMAN_STEMS = tuple(
    "Aeg Alm Ammer Bal Bluem Brüg Burs Dall Eich Elm Fahr Flüe Furr Gam Gurt Häl Harz Ilf "
    "Jegg Kan Lim Lor Mett Nie Orb Plan Quel Ram Rüt Saan Schwarz Sens Sigr Stäg Tal Trub "
    "Uet Urt Wal Wit Zell Zwahl Ändl Bram Dürr Firn Grät Hasl Kalch Leim Matz Nass Ost "
    "Pfing Reck Schüp Tüb Wisp Zaun Zopf".split()
)
GERMAN_ENDINGS = tuple(
    "acher bach berger bühl egger er hauser hofer iger ler li mann matter oser rain ried "
    "thaler wyler ziger stätter brunner mooser halder graber schwander egg wald len inger "
    "ebner".split()
)
FRENCH_STEMS = tuple(
    "Beau Bel Bon Cham Chap Col Cour Dum Fav Gal Jac Lav Mar Mont Per Ros Roul Val Ver "
    "Vuil Bri Cot Gren Jor Mor Pra Sau Tar".split()
)
FRENCH_ENDINGS = tuple("ard az el et ier in ion lat mond on oud oz ry tet ux ange eau isse".split())

GIVEN_STEMS = tuple(
    "Al Bel Cor Del El Fen Gal Hen Il Jol Kar Lin Mer Nor Ol Pal Ros Sel Tal Ul Val Wen Yl "
    "Zel Ar Bren Cal Dor Em Fil Gor Ha Is Jan Kel Lor Mal Ner Or Per Ren Sil Ter Ves".split()
)
GIVEN_FEMALE_ENDINGS = tuple("a ina ena ia ette ine isa ara ika ona elle ea".split())
GIVEN_MALE_ENDINGS = tuple("o in an ert ic as or ian ias el ard us".split())

STREET_ENDINGS_DE = tuple("strasse weg gasse rain matte acker halde allee".split())
STREET_PREFIXES_FR = ("Rue de ", "Chemin de ", "Avenue de ", "Route de ", "Place de ")

#: Words that are not names: kept as they are inside a name (`von`, `de`, `Al-`).
PARTICLES = frozenset(
    "von vom van de di da du del della dos das d le la les al el zur zum ter den der".split()
)
#: Marks of a company or institution among payment recipients.
LEGAL_FORMS = ("AG", "GmbH", "SA", "Sàrl", "Stiftung", "Genossenschaft")
COMPANY_WORDS = frozenset(
    "ag gmbh sa sàrl sarl stiftung genossenschaft versicherung verwaltung immobilien "
    "liegenschaften régie regie wohnbaugenossenschaft burgergemeinde gemeinde fondation "
    "assurance caisse kasse bank".split()
)

LOREM = tuple(
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in "
    "reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
    "laborum curabitur pretium tincidunt lacus nunc feugiat praesent vestibulum "
    "maecenas porta".split()
)

__all__ = [
    "COMPANY_WORDS",
    "FRENCH_ENDINGS",
    "FRENCH_STEMS",
    "GERMAN_ENDINGS",
    "GERMAN_STEMS",
    "GIVEN_FEMALE_ENDINGS",
    "GIVEN_MALE_ENDINGS",
    "GIVEN_STEMS",
    "LEGAL_FORMS",
    "LOREM",
    "PARTICLES",
    "STREET_ENDINGS_DE",
    "STREET_PREFIXES_FR",
]
