"""File downloads from the console."""

from __future__ import annotations

from fastapi.responses import Response


def csv_download(body: bytes | str, filename: str) -> Response:
    """A CSV attachment (the bodies already carry a UTF-8 BOM so Excel reads the Chinese)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
