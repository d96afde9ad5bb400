# bookworm pinned: its postgresql-client (15) matches the compose file's postgres:15
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CIVICDESK_DATA_DIR=/data
WORKDIR /app
# pg_dump / pg_restore for `civicdesk backup` and `restore`
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY civicdesk ./civicdesk
COPY core ./core
COPY accounts ./accounts
COPY complaints ./complaints
COPY public_api ./public_api
COPY knowledge ./knowledge
COPY bot ./bot
COPY opendays ./opendays
COPY conversations ./conversations
COPY wechat ./wechat
COPY projects ./projects
COPY notify ./notify
RUN pip install --no-cache-dir . && useradd --create-home civicdesk && mkdir -p /data && chown civicdesk /data
USER civicdesk
VOLUME ["/data"]
# 8000: `civicdesk serve`; 8081: `civicdesk bot --webhook`. `civicdesk worker` listens on nothing.
EXPOSE 8000 8081
CMD ["civicdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
