-- A clean KLIBnet 5.x source written by hand from shared/legacy-systems/klibnet.md
-- (SQLite equivalents of the SQL Server types). Three persons, three dossiers:
-- an open economic-aid dossier (WH) for a mother and her son, an open adult-protection
-- dossier (ES) with its measure, and a closed economic-aid dossier of 2018-2019.
-- Durations are recorded for personal talks only; everything else follows the model.

CREATE TABLE tblMitarbeiter (MitarbeiterID INTEGER PRIMARY KEY, Kuerzel VARCHAR(10),
  Name NVARCHAR(100), Vorname NVARCHAR(100), Funktion VARCHAR(10), Aktiv BIT);
CREATE TABLE tblKlient (KlientID INTEGER PRIMARY KEY, Name NVARCHAR(100), Vorname NVARCHAR(100),
  Geburtsdatum DATETIME, Geschlecht CHAR(1), AHVNr VARCHAR(20), Zivilstand SMALLINT,
  Nationalitaet VARCHAR(3), Sprache VARCHAR(2), Aufenthalt VARCHAR(2), MutDatum DATETIME,
  Geloescht BIT);
CREATE TABLE tblAdresse (AdresseID INTEGER PRIMARY KEY, KlientID INTEGER, Strasse NVARCHAR(100),
  HausNr VARCHAR(10), PLZ VARCHAR(6), Ort NVARCHAR(100), GemeindeNr INTEGER, GueltigAb DATE,
  GueltigBis DATE);
CREATE TABLE tblDossier (DossierID INTEGER PRIMARY KEY, DossierNr VARCHAR(20), Bereich CHAR(2),
  Eroeffnung DATE, Abschluss DATE, AbschlussGrund SMALLINT, FallfuehrerID INTEGER,
  Segment CHAR(1), SegmentSeit DATE, MutDatum DATETIME);
CREATE TABLE tblDossierPerson (DossierID INTEGER, KlientID INTEGER, Rolle SMALLINT,
  VonDatum DATE, BisDatum DATE);
CREATE TABLE tblBudget (BudgetID INTEGER PRIMARY KEY, DossierID INTEGER, GueltigAb DATE,
  GueltigBis DATE, Status CHAR(1), MutDatum DATETIME);
CREATE TABLE tblBudgetPosition (PositionID INTEGER PRIMARY KEY, BudgetID INTEGER,
  PosCode VARCHAR(10), Typ CHAR(1), Betrag NUMERIC(19, 4), Bemerkung NVARCHAR(200));
CREATE TABLE tblZahlung (ZahlungID INTEGER PRIMARY KEY, DossierID INTEGER, Valuta DATE,
  Betrag NUMERIC(19, 4), Kategorie VARCHAR(10), Empfaenger NVARCHAR(100), Storniert BIT,
  MutDatum DATETIME);
CREATE TABLE tblJournal (JournalID INTEGER PRIMARY KEY, DossierID INTEGER, Datum DATETIME,
  MitarbeiterID INTEGER, Kontaktart SMALLINT, DauerMin INTEGER, Betreff NVARCHAR(200),
  Text NTEXT, MutDatum DATETIME);
CREATE TABLE tblDokument (DokumentID INTEGER PRIMARY KEY, DossierID INTEGER, Titel NVARCHAR(200),
  DokTyp VARCHAR(10), Dateiname NVARCHAR(200), Ablagepfad NVARCHAR(400), Erstellt DATETIME,
  MutDatum DATETIME);
CREATE TABLE tblMassnahme (MassnahmeID INTEGER PRIMARY KEY, DossierID INTEGER, Artikel VARCHAR(20),
  Beginn DATE, Ende DATE, MandatstraegerID INTEGER, Behoerde NVARCHAR(100));

INSERT INTO tblMitarbeiter VALUES
  (17, 'MUB', 'Muster', 'Barbara', 'SA', 1),
  (18, 'KER', 'Kessler', 'Ruth', 'SA', 1),
  (19, 'ZIP', 'Zingg', 'Peter', 'AADMIN', 1),
  (20, 'HOS', 'Hofer', 'Simon', 'RESP', 1);

INSERT INTO tblKlient VALUES
  (1001, 'Beispiel', 'Anna', '1984-07-03 00:00:00', 'W', '756.1234.5678.97', 4, 'ER', 'ti', 'F',
   '2026-01-12 10:15:00', 0),
  (1002, 'Beispiel', 'Luca', '2012-05-10 00:00:00', 'M', NULL, 1, 'ER', 'de', 'F',
   '2020-02-01 09:00:00', 0),
  (1003, 'Frei', 'Markus', '1958-01-15 00:00:00', 'M', '7569876543217', 2, 'CH', 'de', 'CH',
   '2021-06-01 14:00:00', 0);

INSERT INTO tblAdresse VALUES
  (2001, 1001, 'Bahnhofstrasse', '12', '3600', 'Thun', 942, '2020-02-01', NULL),
  (2002, 1002, 'Bahnhofstrasse', '12', '3600', 'Thun', 942, '2020-02-01', '9999-12-31'),
  (2003, 1003, 'Allmendstrasse', '5a', '3600', 'Thun', 942, '2015-01-01', NULL);

INSERT INTO tblDossier VALUES
  (3001, 'WH-2020-00456', 'WH', '2020-02-01', NULL, NULL, 17, 'B', '2020-05-01',
   '2026-03-01 08:00:00'),
  (3002, 'ES-2021-00012', 'ES', '2021-06-01', NULL, NULL, 18, NULL, NULL,
   '2021-07-01 10:00:00'),
  (3003, 'WH-2018-00077', 'WH', '2018-03-01', '2019-06-30', 1, 18, 'C', '2018-06-01',
   '2019-06-30 16:00:00');

INSERT INTO tblDossierPerson VALUES
  (3001, 1001, 1, '2020-02-01', NULL),
  (3001, 1002, 3, '2020-02-01', NULL),
  (3002, 1003, 1, '2021-06-01', NULL),
  (3003, 1003, 1, '2018-03-01', '2019-06-30');

INSERT INTO tblBudget VALUES
  (4001, 3001, '2026-02-01', '2026-02-28', 'B', '2026-01-25 11:00:00'),
  (4002, 3001, '2026-03-01', '2026-03-31', 'B', '2026-02-24 11:00:00'),
  (4003, 3003, '2019-06-01', '2019-06-30', 'A', '2019-07-01 09:00:00');

INSERT INTO tblBudgetPosition VALUES
  (5001, 4001, 'GBL', 'A', 1031.00, NULL),
  (5002, 4001, 'MIETE', 'A', 1250.00, 'inkl. Nebenkosten'),
  (5003, 4002, 'GBL', 'A', 1031.00, NULL),
  (5004, 4002, 'MIETE', 'A', 1250.00, NULL),
  (5005, 4002, 'LOHN', 'E', 820.50, NULL),
  (5006, 4003, 'GBL', 'A', 986.00, NULL);

INSERT INTO tblZahlung VALUES
  (6001, 3001, '2026-02-25', 1250.00, 'MIETE', 'Burgergemeinde Liegenschaften', 0,
   '2026-02-25 10:00:00'),
  (6002, 3001, '2026-03-01', 1460.50, 'GBL', 'Klient/in', 0, '2026-03-01 08:00:00'),
  (6003, 3001, '2026-03-02', 1460.50, 'GBL', 'Klient/in', 1, '2026-03-02 09:00:00'),
  (6004, 3003, '2019-06-01', 986.00, 'GBL', 'Klient/in', 0, '2019-06-01 08:00:00');

INSERT INTO tblJournal VALUES
  (7001, 3001, '2026-01-12 09:30:00', 17, 1, 45, 'Standortbestimmung',
   'Ziele für das erste Halbjahr besprochen.', '2026-01-12 10:15:00'),
  (7002, 3001, '2026-02-10 14:00:00', 17, 4, NULL, 'Hausbesuch',
   'Wohnsituation angeschaut.', '2026-02-10 16:00:00'),
  (7003, 3001, '2026-03-02 11:20:00', 17, 2, NULL, 'Rückfrage Miete',
   'Vermieter wegen Nebenkosten angerufen.', '2026-03-02 11:30:00'),
  (7004, 3001, '2026-02-20 08:00:00', 19, 9, NULL, 'Aktennotiz',
   'Unterlagen eingegangen.', '2026-02-20 08:05:00'),
  (7005, 3002, '2026-02-03 10:00:00', 18, 1, 60, 'Mandatsführung',
   'Finanzen und Wohnen besprochen.', '2026-02-03 11:00:00'),
  (7006, 3003, '2019-05-15 09:00:00', 18, 1, 30, 'Abschlussgespräch',
   'Stelle gefunden, Ablösung per Ende Juni.', '2019-05-15 09:45:00');

INSERT INTO tblDokument VALUES
  (9001, 3001, 'Verfügung Januar 2026', 'VERF', 'WH-2020-00456_9001_VERF.pdf',
   'Dossiers\2020\WH-2020-00456_9001_VERF.pdf', '2026-01-05 10:00:00', '2026-01-05 10:00:00'),
  (9002, 3002, 'Bericht an die KESB', 'BER', 'ES-2021-00012_9002_BER.pdf',
   'Dossiers\2021\ES-2021-00012_9002_BER.pdf', '2025-11-20 15:00:00', '2025-11-20 15:00:00');

INSERT INTO tblMassnahme VALUES
  (8001, 3002, 'ZGB 394', '2021-07-01', NULL, 18, 'KESB Thun');
