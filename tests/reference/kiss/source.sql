-- A clean KiSS 4.x source written by hand from shared/legacy-systems/kiss.md (SQLite
-- equivalents of the SQL Server types). The same people as the other reference sources:
-- a mother and her son with an open economic-aid service (file F-2020-0456); a man
-- whose file F-2018-0077 holds a closed economic-aid service and an open
-- adult-protection service (KiSS keeps no measures). Durations in hours, for personal
-- talks only; two documents stored in the database, one on the share.

CREATE TABLE XUser (UserID INTEGER PRIMARY KEY, LogonName VARCHAR(50), FirstName NVARCHAR(100),
  LastName NVARCHAR(100), IsLocked BIT, OrgUnitID INTEGER);
CREATE TABLE XOrgUnit (OrgUnitID INTEGER PRIMARY KEY, ItemName NVARCHAR(100), ParentID INTEGER);
CREATE TABLE XLOVCode (LOVName VARCHAR(50), Code INTEGER, Text NVARCHAR(200),
  ShortText VARCHAR(20), IsActive BIT);
CREATE TABLE BaPerson (BaPersonID INTEGER PRIMARY KEY, Name NVARCHAR(100), Vorname NVARCHAR(100),
  Geburtsdatum DATE, GeschlechtCode INTEGER, AHVNummer VARCHAR(13), AltAHVNummer VARCHAR(11),
  ZivilstandCode INTEGER, NationalitaetCode INTEGER, AufenthaltsstatusCode INTEGER,
  Sprache VARCHAR(2), Sterbedatum DATE, Creator VARCHAR(50), Created DATETIME,
  Modifier VARCHAR(50), Modified DATETIME);
CREATE TABLE BaAdresse (BaAdresseID INTEGER PRIMARY KEY, BaPersonID INTEGER, Strasse NVARCHAR(100),
  HausNr VARCHAR(10), PLZ VARCHAR(10), Ort NVARCHAR(100), BfsGemeindeNr INTEGER, DatumVon DATE,
  DatumBis DATE, Modified DATETIME);
CREATE TABLE BaPerson_Relation (BaPerson_RelationID INTEGER PRIMARY KEY, BaPersonID_1 INTEGER,
  BaPersonID_2 INTEGER, BaRelationCode INTEGER);
CREATE TABLE FaFall (FaFallID INTEGER PRIMARY KEY, BaPersonID INTEGER, FallNr VARCHAR(20),
  DatumVon DATE, DatumBis DATE, UserID INTEGER, Modified DATETIME);
CREATE TABLE FaLeistung (FaLeistungID INTEGER PRIMARY KEY, FaFallID INTEGER, BaPersonID INTEGER,
  FaProzessCode INTEGER, DatumVon DATE, DatumBis DATE, FaAbschlussgrundCode INTEGER,
  UserID INTEGER, Segment CHAR(1), Modified DATETIME);
CREATE TABLE FaJournal (FaJournalID INTEGER PRIMARY KEY, FaLeistungID INTEGER, UserID INTEGER,
  DatumZeit DATETIME, KontaktartCode INTEGER, DauerStd DECIMAL(5, 2), Stichwort NVARCHAR(200),
  Text NVARCHAR(4000), Modified DATETIME);
CREATE TABLE BgFinanzplan (BgFinanzplanID INTEGER PRIMARY KEY, FaLeistungID INTEGER,
  DatumVon DATE, DatumBis DATE, Modified DATETIME);
CREATE TABLE BgFinanzplan_BaPerson (BgFinanzplanID INTEGER, BaPersonID INTEGER,
  IstUnterstuetzt BIT);
CREATE TABLE BgBudget (BgBudgetID INTEGER PRIMARY KEY, BgFinanzplanID INTEGER, Jahr INTEGER,
  Monat INTEGER, BgBewilligungStatusCode INTEGER, Modified DATETIME);
CREATE TABLE BgPosition (BgPositionID INTEGER PRIMARY KEY, BgBudgetID INTEGER,
  BgPositionsartID INTEGER, Betrag DECIMAL(12, 2), DatumVon DATE, DatumBis DATE,
  Bemerkung NVARCHAR(200));
CREATE TABLE BgPositionsart (BgPositionsartID INTEGER PRIMARY KEY, Name NVARCHAR(100),
  BgKategorieCode INTEGER, SkosKey VARCHAR(10));
CREATE TABLE KbBuchung (KbBuchungID INTEGER PRIMARY KEY, FaLeistungID INTEGER, BgBudgetID INTEGER,
  Valutadatum DATE, Betrag DECIMAL(12, 2), BgPositionsartID INTEGER, KbBuchungStatusCode INTEGER,
  Empfaenger NVARCHAR(100), Modified DATETIME);
CREATE TABLE DmtDokument (DmtDokumentID INTEGER PRIMARY KEY, FaLeistungID INTEGER,
  BaPersonID INTEGER, Stichwort NVARCHAR(200), DokTypCode INTEGER, DateiName NVARCHAR(200),
  DateiInhalt BLOB, DateiPfad NVARCHAR(400), Created DATETIME, Modified DATETIME);

INSERT INTO XOrgUnit VALUES (1, 'Leitung', NULL), (2, 'Intake', 1), (3, 'Beratung 1', 1),
  (4, 'Administration', 1);
INSERT INTO XUser VALUES
  (17, 'MUB', 'Barbara', 'Muster', 0, 3),
  (18, 'KER', 'Ruth', 'Kessler', 0, 3),
  (19, 'ZIP', 'Peter', 'Zingg', 0, 4),
  (20, 'HOS', 'Simon', 'Hofer', 0, 1);
INSERT INTO XLOVCode VALUES
  ('Geschlecht', 1, 'männlich', 'm', 1), ('Geschlecht', 2, 'weiblich', 'w', 1),
  ('Geschlecht', 3, 'unbekannt', '?', 1),
  ('Zivilstand', 1, 'ledig', 'ledig', 1), ('Zivilstand', 2, 'verheiratet', 'verh.', 1),
  ('Zivilstand', 4, 'geschieden', 'gesch.', 1),
  ('Land', 8100, 'Schweiz', 'CH', 1), ('Land', 8580, 'Eritrea', 'ER', 1),
  ('Aufenthaltsstatus', 1, 'Schweizer', 'CH', 1), ('Aufenthaltsstatus', 4, 'F', 'F', 1),
  ('FaProzess', 300, 'Wirtschaftliche Hilfe', 'WH', 1),
  ('FaProzess', 410, 'Erwachsenenschutz', 'ES', 1),
  ('FaAbschlussgrund', 10, 'Erwerbseinkommen', 'EE', 1),
  ('Kontaktart', 1, 'Gespräch', 'Gespräch', 1), ('Kontaktart', 2, 'Telefon', 'Tel', 1),
  ('Kontaktart', 4, 'Hausbesuch', 'HB', 1), ('Kontaktart', 7, 'Notiz', 'Notiz', 1),
  ('BgKategorie', 1, 'Einnahme', 'E', 1), ('BgKategorie', 2, 'Ausgabe', 'A', 1),
  ('DokTyp', 1, 'Verfügung', 'Verf', 1), ('DokTyp', 2, 'Bericht', 'Ber', 1),
  ('DokTyp', 5, 'Ausweis', 'Ausw', 1);

INSERT INTO BaPerson VALUES
  (1001, 'Beispiel', 'Anna', '1984-07-03', 2, '7561234567897', NULL, 4, 8580, 4, 'ti', NULL,
   'intake', '2020-01-20 09:00:00', 'MUB', '2026-01-12 10:15:00'),
  (1002, 'Beispiel', 'Luca', '2012-05-10', 1, NULL, NULL, 1, 8580, 4, 'de', NULL,
   'intake', '2020-01-20 09:05:00', 'intake', '2020-01-20 09:05:00'),
  (1003, 'Frei', 'Markus', '1958-01-15', 1, '7569876543217', NULL, 2, 8100, 1, 'de', NULL,
   'intake', '2018-02-20 10:00:00', 'KER', '2021-06-01 14:00:00');
INSERT INTO BaAdresse VALUES
  (2001, 1001, 'Bahnhofstrasse', '12', '3600', 'Thun', 942, '2020-02-01', NULL,
   '2020-02-01 09:00:00'),
  (2002, 1002, 'Bahnhofstrasse', '12', '3600', 'Thun', 942, '2020-02-01', NULL,
   '2020-02-01 09:00:00'),
  (2003, 1003, 'Allmendstrasse', '5a', '3600', 'Thun', 942, '2015-01-01', NULL,
   '2018-02-20 10:00:00');
INSERT INTO BaPerson_Relation VALUES (1, 1001, 1002, 3);

INSERT INTO FaFall VALUES
  (11, 1001, 'F-2020-0456', '2020-02-01', NULL, 17, '2020-02-01 09:00:00'),
  (12, 1003, 'F-2018-0077', '2018-03-01', NULL, 18, '2021-06-01 14:00:00');
INSERT INTO FaLeistung VALUES
  (3001, 11, 1001, 300, '2020-02-01', NULL, NULL, 17, 'B', '2026-03-01 08:00:00'),
  (3002, 12, 1003, 410, '2021-06-01', NULL, NULL, 18, NULL, '2021-07-01 10:00:00'),
  (3003, 12, 1003, 300, '2018-03-01', '2019-06-30', 10, 18, 'C', '2019-06-30 16:00:00');

INSERT INTO BgFinanzplan VALUES
  (21, 3001, '2020-02-01', NULL, '2020-02-01 09:00:00'),
  (22, 3003, '2018-03-01', '2019-06-30', '2019-06-30 16:00:00');
INSERT INTO BgFinanzplan_BaPerson VALUES (21, 1001, 1), (21, 1002, 1), (22, 1003, 1);
INSERT INTO BgPositionsart VALUES
  (31, 'Grundbedarf', 2, 'GBL'), (32, 'Miete', 2, 'MIETE'), (33, 'Lohn', 1, 'LOHN');
INSERT INTO BgBudget VALUES
  (4001, 21, 2026, 2, 5, '2026-01-25 11:00:00'),
  (4002, 21, 2026, 3, 5, '2026-02-24 11:00:00'),
  (4003, 22, 2019, 6, 5, '2019-07-01 09:00:00');
INSERT INTO BgPosition VALUES
  (5001, 4001, 31, 1031.00, NULL, NULL, NULL),
  (5002, 4001, 32, 1250.00, NULL, NULL, 'inkl. Nebenkosten'),
  (5003, 4002, 31, 1031.00, NULL, NULL, NULL),
  (5004, 4002, 32, 1250.00, NULL, NULL, NULL),
  (5005, 4002, 33, 820.50, NULL, NULL, NULL),
  (5006, 4003, 31, 986.00, NULL, NULL, NULL);
INSERT INTO KbBuchung VALUES
  (6001, 3001, 4001, '2026-02-25', 1250.00, 32, 3, 'Burgergemeinde Liegenschaften',
   '2026-02-25 10:00:00'),
  (6002, 3001, 4002, '2026-03-01', 1460.50, 31, 3, 'Klient/in', '2026-03-01 08:00:00'),
  (6003, 3001, 4002, '2026-03-02', 1460.50, 31, 4, 'Klient/in', '2026-03-02 09:00:00'),
  (6004, 3003, 4003, '2019-06-01', 986.00, 31, 3, 'Klient/in', '2019-06-01 08:00:00');

INSERT INTO FaJournal VALUES
  (7001, 3001, 17, '2026-01-12 09:30:00', 1, 0.75, 'Standortbestimmung',
   'Ziele für das erste Halbjahr besprochen.', '2026-01-12 10:15:00'),
  (7002, 3001, 17, '2026-02-10 14:00:00', 4, NULL, 'Hausbesuch',
   'Wohnsituation angeschaut.', '2026-02-10 16:00:00'),
  (7003, 3001, 17, '2026-03-02 11:20:00', 2, NULL, 'Rückfrage Miete',
   'Vermieter wegen Nebenkosten angerufen.', '2026-03-02 11:30:00'),
  (7004, 3001, 19, '2026-02-20 08:00:00', 7, NULL, 'Aktennotiz',
   'Unterlagen eingegangen.', '2026-02-20 08:05:00'),
  (7005, 3002, 18, '2026-02-03 10:00:00', 1, 1.00, 'Mandatsführung',
   'Finanzen und Wohnen besprochen.', '2026-02-03 11:00:00'),
  (7006, 3003, 18, '2019-05-15 09:00:00', 1, 0.50, 'Abschlussgespräch',
   'Stelle gefunden, Ablösung per Ende Juni.', '2019-05-15 09:45:00');

INSERT INTO DmtDokument VALUES
  (9001, 3001, NULL, 'Verfügung Januar 2026', 1, 'Verfuegung_2026_01.pdf',
   X'255044462d312e340a252056657266756567756e67204a616e75617220323032362c204c65697374756e6720333030310a2525454f460a',
   NULL, '2026-01-05 10:00:00', '2026-01-05 10:00:00'),
  (9002, 3002, NULL, 'Bericht an die KESB', 2, 'Bericht_9002.pdf', NULL,
   'Dokumente\2025\Bericht_9002.pdf', '2025-11-20 15:00:00', '2025-11-20 15:00:00'),
  (9003, NULL, 1001, 'Ausweis', 5, 'Ausweis.jpg',
   X'ffd8ffe000104a464946002041757377656973203130303120ffd9',
   NULL, '2020-01-20 09:10:00', '2020-01-20 09:10:00');
