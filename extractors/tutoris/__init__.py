"""Tutoris (Infogate, XML export format 7): the export file and its document folder."""
