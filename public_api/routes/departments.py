"""Staff API for the bureau's departments and where each category's reports go (admins edit)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel, Field

from complaints.schemas import CategoryOut

from ..deps import Admin, ServicesDep, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses

router = APIRouter(prefix="/api/v1/staff", tags=["staff"], responses=error_responses(*BASE_ERRORS, *STAFF_ERRORS))


class DepartmentIO(BaseModel):
    id: int | None = None
    name: str = Field(min_length=1, max_length=120)
    contact: str = Field(default="", max_length=200)
    telegram_chat_id: str | None = Field(default=None, max_length=21)
    active: bool = True


class DepartmentPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    contact: str | None = Field(default=None, max_length=200)
    telegram_chat_id: str | None = Field(default=None, max_length=21)
    active: bool | None = None


class CategoryRoute(BaseModel):
    department: str | None = Field(default=None, max_length=120, description="empty: no default department")


@router.get("/departments", response_model=list[DepartmentIO])
async def list_departments(services: ServicesDep, _: Viewer) -> list[DepartmentIO]:
    return [DepartmentIO(**asdict(d)) for d in await services.departments.list()]


@router.post("/departments", response_model=DepartmentIO, status_code=201)
async def create_department(body: DepartmentIO, services: ServicesDep, _: Admin) -> DepartmentIO:
    created = await services.departments.create(body.name, body.contact, body.telegram_chat_id)
    return DepartmentIO(**asdict(created))


@router.patch("/departments/{department_id}", response_model=DepartmentIO)
async def update_department(department_id: int, body: DepartmentPatch, services: ServicesDep, _: Admin) -> DepartmentIO:
    updated = await services.departments.update(department_id, **body.model_dump(exclude_unset=True))
    return DepartmentIO(**asdict(updated))


@router.put("/categories/{category}/department", response_model=CategoryOut)
async def route_category(category: str, body: CategoryRoute, services: ServicesDep, _: Admin) -> CategoryOut:
    return await services.complaints.set_category_department(category, body.department or None)
