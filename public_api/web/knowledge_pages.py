"""Policy questions on the portal, and the knowledge base in the staff console."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from core.errors import DomainError
from core.kit.channels import ChannelName
from knowledge.schemas import MAX_QUESTION_CHARS

from ..deps import MAX_ROW_ID, ServicesDep
from .auth import Csrf, StaffTriager, StaffViewer
from .templating import page_language, render

router = APIRouter(include_in_schema=False)


@router.get("/ask")
async def ask(request: Request, services: ServicesDep, q: str = "") -> Response:
    lang = page_language(request)
    question = q.strip()
    context = {"q": question, "max_chars": MAX_QUESTION_CHARS}
    if not question:
        return render(request, "portal/ask.html", context)
    # after a vote the page shows the answer again: the question is not logged a second time
    voted = bool(request.query_params.get("voted"))
    try:
        answer = await services.knowledge.ask(question, lang=lang, channel=ChannelName.WEB.value, log=not voted)
    except DomainError as exc:  # empty or too long: the service's one rule, said in the page's language
        return render(request, "portal/ask.html", {**context, "error": exc.message(lang)}, status_code=422)
    report_url = None
    if answer.report_suggestion:
        report_url = "/report?" + urlencode({"category": answer.report_suggestion.category, "description": question})
    return render(request, "portal/ask.html", {**context, "answer": answer, "report_url": report_url})


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
    questions = await services.knowledge.questions(
        abstained=True if filter == "abstained" else None, unhelpful=True if filter == "unhelpful" else None,
        limit=100,
    )
    return render(request, "staff/knowledge.html", {
        "staff": staff, "docs": await services.knowledge.documents(), "jobs": await services.knowledge.recent_jobs(10),
        "questions": questions, "filter": filter, "msg": msg, "error": error,
        "can_edit": staff.role.value != "viewer",
    })


@router.get("/staff/knowledge/jobs.json")
async def jobs(services: ServicesDep, staff: StaffViewer) -> Response:
    """The recent ingest jobs, for the console page to update itself while documents are indexed."""
    return JSONResponse([job.model_dump(mode="json") for job in await services.knowledge.recent_jobs(10)])


@router.post("/staff/knowledge/upload", dependencies=[Csrf])
async def upload(request: Request, services: ServicesDep, staff: StaffTriager,
                 document: Annotated[UploadFile | None, File()] = None) -> Response:
    lang = page_language(request)
    if document is None or not document.filename:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": "请选择文件" if lang == "zh" else "Choose a file"}),
                                status_code=303)
    data = await document.read(services.knowledge.policy.max_upload_bytes + 1)
    try:
        job = await services.knowledge.upload(document.filename, data)
    except DomainError as exc:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": exc.message(lang)}), status_code=303)
    return RedirectResponse("/staff/knowledge?" + urlencode({"msg": f"{job.filename} → #{job.id}"}), status_code=303)


@router.post("/staff/knowledge/{doc_id}/delete", dependencies=[Csrf])
async def delete(request: Request, doc_id: str, services: ServicesDep, staff: StaffTriager) -> Response:
    try:
        info = await services.knowledge.delete_document(doc_id)
    except DomainError as exc:
        return RedirectResponse("/staff/knowledge?" + urlencode({"error": exc.message(page_language(request))}),
                                status_code=303)
    return RedirectResponse("/staff/knowledge?" + urlencode({"msg": f"− {info.title}"}), status_code=303)
