# Hindsight. `make` builds ./hindsight; `make run` serves on :8080;
# `make test` runs every suite; `make asan` builds ./hindsight-asan and
# `make SAN=1 test` runs every suite against it.

CC ?= gcc
PKGS := sqlite3 libpq libmicrohttpd libcmark jansson libcrypt zlib libcurl libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -g -Wall -Wextra -Werror \
  -Wshadow -Wstrict-prototypes -Wformat=2 -Iserver $(PKG_CFLAGS)

ifeq ($(SAN),1)
BUILD := build/asan
BIN := hindsight-asan
CFLAGS := $(CFLAGS_BASE) -O1 -fno-omit-frame-pointer \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS := -fsanitize=address,undefined
else
BUILD := build/rel
BIN := hindsight
CFLAGS := $(CFLAGS_BASE) -O2
LDFLAGS :=
endif
# libsnappy (Loki's protobuf pushes) ships no pkg-config file everywhere.
LDLIBS := $(PKG_LIBS) -lsnappy -lpthread -lm

SRCS := $(wildcard server/*.c)
OBJS := $(SRCS:server/%.c=$(BUILD)/%.o) $(BUILD)/asset_table.o
LIB_OBJS := $(filter-out $(BUILD)/main.o,$(OBJS))
ASSETS := $(sort $(wildcard schema/*.sql schema/pg/*.sql templates/*.html templates/*.md \
  templates/*.txt \
  web/*.css web/*.js web/*.svg web/*.ico))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/%)

.PHONY: FORCE all asan run deps test test-all test-dates test-unit test-http \
  test-browser bench \
  clean format lint fuzz soak

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: server/%.c $(wildcard server/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

# The list of assets itself: a renamed or deleted file (an older mtime
# than the table) still rebuilds the table.
$(BUILD)/asset_list.txt: FORCE | $(BUILD)
	@echo '$(ASSETS)' | cmp -s - $@ || echo '$(ASSETS)' > $@

$(BUILD)/asset_table.S: $(ASSETS) $(BUILD)/asset_list.txt tools/embed.sh | $(BUILD)
	sh tools/embed.sh $(ASSETS) > $@

$(BUILD)/asset_table.o: $(BUILD)/asset_table.S
	$(CC) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/harness.h $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD):
	mkdir -p $@

# The index's tokenizer as an extension, so the sqlite3 shell can read
# search_index: sqlite3 -cmd '.load build/hs_fts' hindsight.db
FTS_EXT := build/hs_fts.so
$(FTS_EXT): server/search_tokenizer.c server/search_tokenizer.h
	mkdir -p build
	$(CC) $(CFLAGS_BASE) -O2 -fPIC -shared -DHS_SQLITE_EXTENSION -o $@ $<

asan:
	$(MAKE) SAN=1 hindsight-asan

# Installs the Debian packages that run and test need. `make run` and
# `make test` install whatever is missing first, then build in a sub-make
# (this one read pkg-config's flags before the libraries were there).
deps:
	sh tools/deps.sh

run:
	@sh tools/deps.sh --if-missing
	@$(MAKE) --no-print-directory hindsight
	./hindsight serve $(if $(HINDSIGHT_NO_DEMO),,--demo-if-empty)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

test:
	@sh tools/deps.sh --if-missing
	@$(MAKE) --no-print-directory test-all

# DB=pg (make test DB=pg, make test-http DB=pg): the HTTP suites on a
# throwaway PostgreSQL cluster the run starts and stops (tests/pg.sh).
test-all: $(BIN) $(UNIT_BINS) $(FTS_EXT) node_modules/.package-lock.json
	HS_DB=$(DB) sh tests/run.sh $(BIN) $(BUILD)

# The HTTP suites again with the clock moved to later dates (libfaketime):
# tests must not depend on the day they run. DATES="2031-07-01T09:00:00Z ..."
# chooses others.
test-dates: $(BIN) $(FTS_EXT) node_modules/.package-lock.json
	sh tests/dates.sh $(BIN) $(BUILD) $(DATES)

test-unit: $(UNIT_BINS)
	sh tests/run.sh $(BIN) $(BUILD) unit

test-http: $(BIN) $(FTS_EXT) node_modules/.package-lock.json
	HS_DB=$(DB) sh tests/run.sh $(BIN) $(BUILD) http

test-browser: $(BIN) node_modules/.package-lock.json
	sh tests/run.sh $(BIN) $(BUILD) browser

bench: hindsight $(FTS_EXT) build/rel/rawstore_bench build/rel/search_bench
	sh tests/bench/run.sh

# The bench drivers of the raw-line store (tests/bench/raw.sh) and of
# search (tests/bench/search.sh), linked with the server's objects.
build/rel/rawstore_bench build/rel/search_bench: build/rel/%: \
  tests/bench/%.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# A bounded wrk soak (SOAK_SECONDS, default 60): zero non-2xx, flat RSS.
soak: $(BIN)
	HS_BIN=./$(BIN) sh tests/soak/run.sh

fuzz:
	sh tests/fuzz/run.sh

format:
	clang-format -i server/*.c server/*.h tests/unit/*.c tests/fuzz/*.c

lint:
	cppcheck --quiet --enable=warning,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem -Iserver server

clean:
	rm -rf build hindsight hindsight-asan
