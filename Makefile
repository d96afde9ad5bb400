# Civic Desk. `make run` starts the product on its embedded defaults, `make test` runs every test.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Two pytest-xdist workers (the machines have two cores; in one process the suite took 23 min on a
# loaded day, on two 10); tests marked xdist_group(name) share a worker. `make test PYTEST_XDIST=`
# runs everything in one process.
PYTEST_XDIST ?= -n 2 --dist loadgroup

.PHONY: run test bench install migrate bot lint clean browser vendor

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/civicdesk db upgrade

# Links in messages and feeds point at HOST:PORT unless CIVICDESK_PUBLIC_BASE_URL says otherwise (serve does it).
run: install
	$(BIN)/civicdesk serve --host $(HOST) --port $(PORT)

bot: install
	$(BIN)/civicdesk bot

# Browser tests drive Debian's Chromium (Playwright never downloads a browser here). Installed when
# missing and we may (root with apt-get); otherwise those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and a CJK font for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped"; \
	  elif ! command -v chromium >/dev/null 2>&1; then echo "chromium is not installed: browser tests will be skipped"; fi; \
	fi
	@# Emoji in the pages (the calendar link, the answer's votes) as a phone shows them, not as boxes in
	@# the screenshots; on its own, so that a missing package never costs the browser itself.
	@if command -v chromium >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qi emoji \
	    && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing an emoji font for the browser tests' screenshots"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null 2>&1 \
	    || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null)) \
	    || echo "could not install an emoji font: screenshots will show boxes for emoji"; \
	fi

test: install browser
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

# Leaflet's and Swagger UI's built files and licences from the npm registry, checked against the
# pinned integrity.
LEAFLET_VERSION := 1.9.4
LEAFLET_INTEGRITY := sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==
LEAFLET_DIR := public_api/static/vendor/leaflet
# Swagger UI for /docs: 5.x reads the OpenAPI 3.1 document FastAPI writes (4.x could not render it).
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_UI_INTEGRITY := sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
SWAGGER_UI_DIR := public_api/static/vendor/swagger-ui
vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent leaflet@$(LEAFLET_VERSION) >/dev/null \
	  && test "sha512-$$(openssl dgst -sha512 -binary leaflet-$(LEAFLET_VERSION).tgz | base64 -w0)" = "$(LEAFLET_INTEGRITY)" \
	  && tar xzf leaflet-$(LEAFLET_VERSION).tgz && cd - >/dev/null \
	  && mkdir -p $(LEAFLET_DIR)/images && cp $$tmp/package/dist/leaflet.js $$tmp/package/dist/leaflet.css $$tmp/package/LICENSE $(LEAFLET_DIR)/ \
	  && cp $$tmp/package/dist/images/*.png $(LEAFLET_DIR)/images/ && rm -rf $$tmp && echo "leaflet $(LEAFLET_VERSION) vendored in $(LEAFLET_DIR)"
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null \
	  && test "sha512-$$(openssl dgst -sha512 -binary swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz | base64 -w0)" = "$(SWAGGER_UI_INTEGRITY)" \
	  && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && cd - >/dev/null && mkdir -p $(SWAGGER_UI_DIR) \
	  && cp $$tmp/package/swagger-ui-bundle.js $$tmp/package/swagger-ui.css $$tmp/package/favicon-32x32.png \
	     $$tmp/package/LICENSE $$tmp/package/NOTICE $(SWAGGER_UI_DIR)/ \
	  && rm -rf $$tmp && echo "swagger-ui $(SWAGGER_UI_VERSION) vendored in $(SWAGGER_UI_DIR)"

lint: install
	$(BIN)/python -m ruff check . || true

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
