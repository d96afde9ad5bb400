FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CIVICDESK_DATA_DIR=/data
WORKDIR /app
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
RUN pip install --no-cache-dir . && useradd --create-home civicdesk && mkdir -p /data && chown civicdesk /data
USER civicdesk
VOLUME ["/data"]
EXPOSE 8000
CMD ["civicdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
