"""A submission's multipart form read into memory, for the route that takes photos.

FastAPI's Form and File parameters go through Starlette's parser: every file part is written to
a SpooledTemporaryFile (rolled over to a disk file past 1 MB, each later chunk written through
the thread pool), read back into memory by the route, and each of the thirteen fields validated
on its own before the route validates them again as a `ReportInput`. Under 16 concurrent 1 MB
submissions that was a quarter of the event loop's time. Here python-multipart's parser (the one
Starlette uses) collects each part straight into memory, a photo past the size limit is counted
but not kept, and the route validates the fields once. The request body's total size is already
bounded while it streams (public_api.limits).

A body that is not multipart (a form posted url-encoded, without files) is read by Starlette.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from core.errors import ValidationFailed

MAX_FIELDS = 100
MAX_FIELD_BYTES = 1024 * 1024  # a text field, as Starlette's default


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes  # at most the file limit + 1 byte
    size: int  # as sent


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)  # a repeated field: the last value
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)


class MalformedForm(ValidationFailed):
    code = "form_malformed"

    def __init__(self, why_zh: str, why_en: str):
        super().__init__(f"表单无法解析：{why_zh}", f"The form could not be parsed: {why_en}")


async def read_form(request: Request, *, max_files: int, max_file_bytes: int) -> ParsedForm:
    """The form's text fields and files; each file's data is kept up to `max_file_bytes` + 1
    bytes (enough to say it is too large) and its whole size counted; of files past the first
    `max_files` only their size."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        form = await request.form()
        return ParsedForm(fields={k: v for k, v in form.items() if isinstance(v, str)})
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedForm("缺少 multipart 分隔符", "missing multipart boundary")
    return await _read_multipart(request, boundary, max_files, max_file_bytes)


async def _read_multipart(request: Request, boundary: bytes, max_files: int, max_file_bytes: int) -> ParsedForm:
    form = ParsedForm()
    state: dict[str, object] = {}
    chunks: list[memoryview] = []
    kept = size = 0
    header_name = header_value = b""
    headers: dict[bytes, bytes] = {}
    counts = {"fields": 0, "files": 0}

    def on_part_begin() -> None:
        nonlocal kept, size
        chunks.clear()
        headers.clear()
        kept = size = 0

    def on_header_field(data: bytes, start: int, end: int) -> None:
        nonlocal header_name
        header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        nonlocal header_value
        header_value += data[start:end]

    def on_header_end() -> None:
        nonlocal header_name, header_value
        headers[header_name.lower()] = header_value
        header_name = header_value = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise MalformedForm("有一部分没有名称（name）", 'a part without a "name"')
        state["name"] = options[b"name"].decode("utf-8", "replace")
        state["filename"] = options[b"filename"].decode("utf-8", "replace") if b"filename" in options else None
        kind = "files" if b"filename" in options else "fields"
        counts[kind] += 1
        if counts["fields"] > MAX_FIELDS:
            raise MalformedForm(f"字段超过 {MAX_FIELDS} 个", f"more than {MAX_FIELDS} fields")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal kept, size
        size += end - start
        # Files past max_files are counted (the route says how many came) but none of their bytes kept.
        limit = (MAX_FIELD_BYTES if state["filename"] is None
                 else max_file_bytes + 1 if counts["files"] <= max_files else 0)
        if state["filename"] is None and size > MAX_FIELD_BYTES:
            raise MalformedForm(f"有字段超过 {MAX_FIELD_BYTES // 1024} KB", f"a field over {MAX_FIELD_BYTES // 1024} KB")
        if kept < limit:
            # A view, not a slice: the part's bytes are copied once, when joined at its end.
            piece = memoryview(data)[start:min(end, start + limit - kept)]
            chunks.append(piece)
            kept += len(piece)

    def on_part_end() -> None:
        data = b"".join(chunks)
        name = str(state["name"])
        if state["filename"] is None:
            form.fields[name] = data.decode("utf-8", "replace")
            return
        content_type = headers.get(b"content-type")
        form.files.setdefault(name, []).append(UploadedFile(
            filename=str(state["filename"]) or None,
            content_type=content_type.decode("latin-1") if content_type else None,
            data=data, size=size))

    parser = MultipartParser(boundary, {  # type: ignore[arg-type]
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk if type(chunk) is bytes else bytes(chunk))  # the views above need immutable bytes
        parser.finalize()
    except MalformedForm:
        raise
    except Exception:  # python-multipart's own errors: a damaged body
        raise MalformedForm("multipart 内容已损坏", "damaged multipart body") from None
    return form
