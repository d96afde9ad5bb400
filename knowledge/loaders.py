"""Document loaders: Markdown, plain text, PDF and DOCX into one Markdown-like text.

Every loader returns a `LoadedDocument` whose `text` uses Markdown headings (`#`, `##`, `###`) where the
source has them, so one splitter serves every format. The title is the first `# ` heading, else the
document's own title property, else the file name without its version date.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import ValidationFailed

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".docx")
# `建筑法(2019-04-23).md` or `建筑法（2019-04-23）.md` or `建筑法_2019-04-23.md`
_VERSION_IN_NAME = re.compile(r"[（(_\s-]*(\d{4}-\d{2}-\d{2})[)）]?$")


@dataclass(frozen=True)
class LoadedDocument:
    text: str
    title: str
    source: str  # file name as given by the user
    version: str  # version date from the file name (YYYY-MM-DD) or ""


class UnsupportedDocument(ValidationFailed):
    code = "unsupported_document"


def _unsupported(name: str) -> UnsupportedDocument:
    allowed = " ".join(SUPPORTED_SUFFIXES[:1] + SUPPORTED_SUFFIXES[2:])
    return UnsupportedDocument(
        f"不支持的文件类型：{name}。支持的格式：{allowed}",
        f"Unsupported file type: {name}. Supported formats: {allowed}",
        file=name,
    )


def split_name(filename: str) -> tuple[str, str]:
    """(`建筑法`, `2019-04-23`) from `建筑法(2019-04-23).md`."""
    stem = Path(filename).stem
    match = _VERSION_IN_NAME.search(stem)
    if match and match.start() > 0:
        return stem[: match.start()].strip(), match.group(1)
    return stem.strip(), ""


def is_supported(path: Path | str) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_SUFFIXES


def load_path(path: Path) -> LoadedDocument:
    return load_bytes(path.name, path.read_bytes())


def load_bytes(filename: str, data: bytes) -> LoadedDocument:
    """Parse a document from its bytes; the file name decides the format."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(filename)
    try:
        if suffix in (".md", ".markdown", ".txt"):
            text, own_title = _decode_text(data), ""
        elif suffix == ".pdf":
            text, own_title = _pdf_text(data)
        else:
            text, own_title = _docx_text(data)
    except UnsupportedDocument:
        raise
    except Exception as exc:  # a corrupt file of a supported type
        raise UnsupportedDocument(
            f"无法读取文件 {filename}：文件已损坏或格式不正确（{type(exc).__name__}）",
            f"Cannot read {filename}: the file is damaged or not a valid {suffix} file ({type(exc).__name__})",
            file=filename,
        ) from exc
    text = normalize_text(text)
    if not text.strip():
        raise UnsupportedDocument(
            f"文件 {filename} 中没有可读取的文字（扫描件需先做文字识别）",
            f"{filename} contains no extractable text (scanned documents need OCR first)",
            file=filename,
        )
    name_title, version = split_name(filename)
    heading = re.search(r"^#\s+(.+?)\s*$", text, flags=re.MULTILINE)
    title = heading.group(1).strip() if heading else (own_title.strip() or name_title)
    return LoadedDocument(text=text, title=title, source=filename, version=version)


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedDocument(
        "文本文件编码无法识别（请使用 UTF-8 或 GB18030）",
        "Unrecognised text encoding (use UTF-8 or GB18030)",
    )


def normalize_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


_ARTICLE_START = re.compile(r"^\s*(第[零〇一二三四五六七八九十百千0-9]+条)\s*")
_HEADING_LINE = re.compile(r"^\s*(第[零〇一二三四五六七八九十百千0-9]+[章节])\s*(.*)$")


def _pdf_text(data: bytes) -> tuple[str, str]:
    """PDF text has no headings or paragraph marks; rebuild them from the law's own structure.

    Lines are re-joined into paragraphs: a new paragraph starts at `第X条`, at a chapter/section line,
    or after a line that ends a sentence. A first short line becomes the title.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    lines: list[str] = []
    for page in reader.pages:
        lines.extend((page.extract_text() or "").splitlines())
    meta_title = ""
    if reader.metadata is not None and reader.metadata.title:
        meta_title = str(reader.metadata.title)
    return _lines_to_markdown(lines), meta_title


def _lines_to_markdown(lines: list[str]) -> str:
    out: list[str] = []
    paragraph = ""
    titled = False

    def flush() -> None:
        nonlocal paragraph
        if paragraph.strip():
            out.append(paragraph.strip())
        paragraph = ""

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
            continue
        heading = _HEADING_LINE.match(line)
        if heading and len(line) <= 40:
            flush()
            level = "##" if heading.group(1).endswith("章") else "###"
            out.append(f"{level} {line}")
            continue
        if not titled and not out and not paragraph and len(line) <= 40 and not _ARTICLE_START.match(line):
            out.append(f"# {line}")
            titled = True
            continue
        if _ARTICLE_START.match(line) or re.match(r"^[（(][一二三四五六七八九十]+[)）]", line):
            flush()
        # Chinese text wraps without spaces; join wrapped lines directly.
        paragraph += line
        if line.endswith(("。", "：", "；", "！", "？")):
            flush()
    flush()
    return "\n\n".join(out)


def _docx_text(data: bytes) -> tuple[str, str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    out: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = _heading_level(style)
        if level:
            out.append("#" * min(level, 6) + " " + text)
        elif _HEADING_LINE.match(text) and len(text) <= 40:
            out.append(("## " if _HEADING_LINE.match(text).group(1).endswith("章") else "### ") + text)
        else:
            out.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                out.append(" | ".join(cells))
    return "\n\n".join(out), document.core_properties.title or ""


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"(?:Heading|标题)\s*(\d)", style)
    return int(match.group(1)) if match else 0
