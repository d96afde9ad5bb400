"""Server-rendered pages: the staff console (/staff) and the public portal (/)."""
