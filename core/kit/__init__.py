"""The shared kit: one small helper per job that every package uses, never a copy of it
(validation messages, bureau time, languages, channel names, Excel-safe CSV, JSON Lines)."""
