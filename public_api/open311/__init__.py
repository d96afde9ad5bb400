"""Open311 GeoReport v2 at /open311/v2: a thin adapter. The rules (status mapping, deadlines,
services and their attributes, search windows) are `complaints/open311.py`; what of a report is
public is `complaints/publication.py`; client API keys are `accounts/client_keys.py`."""

PREFIX = "/open311/"
