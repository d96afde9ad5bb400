"""Policy questions on the portal, and the knowledge base in the staff console."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from core.errors import DomainError
from core.kit.channels import ChannelName

from ..deps import MAX_ROW_ID, ServicesDep
from .auth import Csrf, StaffTriager, StaffViewer
from .templating import page_language, render

router = APIRouter(include_in_schema=False)
QUESTION_MAX = 500


@router.get("/ask")
async def ask(request: Request, services: ServicesDep, q: str = "") -> Response:
    lang = page_language(request)
    question = q.strip()[:QUESTION_MAX]
    if not question:
        return render(request, "portal/ask.html", {"q": ""})
    try:
        answer = await services.knowledge.ask(question, lang=lang, channel=ChannelName.WEB.value)
    except DomainError as exc:
        return render(request, "portal/ask.html", {"q": question, "error": exc.message(lang)}, status_code=422)
    return render(request, "portal/ask.html", {"q": question, "answer": answer})


@router.post("/ask/vote", dependencies=[Csrf])
async def vote(request: Request, services: ServicesDep, question_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
               helpful: Annotated[bool, Form()], q: Annotated[str, Form()] = "") -> Response:
    try:
        await services.knowledge.vote(question_id, helpful)
    except DomainError:
        pass  # an old or unknown question id: nothing to record, nothing to tell
    return RedirectResponse("/ask?" + urlencode({"q": q, "voted": "1"}), status_code=303)


@router.get("/staff/knowledge")
async def documents(request: Request, services: ServicesDep, staff: StaffViewer, filter: str = "abstained",
                    msg: str | None = None, error: str | None = None) -> Response:
    docs = await asyncio.to_thread(services.knowledge.documents)
    questions = await services.knowledge.questions(
        abstained=True if filter == "abstained" else None, unhelpful=True if filter == "unhelpful" else None,
        limit=100,
    )
    return render(request, "staff/knowledge.html", {
        "staff": staff, "docs": docs, "questions": questions, "filter": filter, "msg": msg, "error": error,
        "can_edit": staff.role.value != "viewer",
    })


@router.post("/staff/knowledge/upload", dependencies=[Csrf])
async def upload(request: Request, services: ServicesDep, staff: StaffTriager,
                 document: Annotated[UploadFile | None, File()] = None) -> Response:
    lang = page_language(request)
    if document is None or not document.filename:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": "请选择文件" if lang == "zh" else "Choose a file"}),
                                status_code=303)
    limit = services.settings.knowledge_max_upload_bytes
    data = await document.read(limit + 1)
    try:
        info, changed = await asyncio.to_thread(services.knowledge.upload, document.filename, data)
    except DomainError as exc:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": exc.message(lang)}), status_code=303)
    note = f"{info.title}: {info.chunk_count}" + ("" if changed else " (unchanged)")
    return RedirectResponse("/staff/knowledge?" + urlencode({"msg": note}), status_code=303)


@router.post("/staff/knowledge/{doc_id}/delete", dependencies=[Csrf])
async def delete(request: Request, doc_id: str, services: ServicesDep, staff: StaffTriager) -> Response:
    try:
        info = await asyncio.to_thread(services.knowledge.delete_document, doc_id)
    except DomainError as exc:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": exc.message(page_language(request))}),
                                status_code=303)
    return RedirectResponse("/staff/knowledge?" + urlencode({"msg": f"− {info.title}"}), status_code=303)
