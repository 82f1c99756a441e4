# The two commands (see README): `make run` and `make test`. Both install what
# they need first and are safe to run twice.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test
PORT ?= 8080
DB ?= var/relance.db

.PHONY: run test deps web-deps build build-test bench bench-import bench-plan bench-sync clean

deps:
	bash scripts/install-deps.sh

# The API documentation page (swagger-ui-dist) comes from npm.
web-deps: deps
	@if [ ! -d web/node_modules/swagger-ui-dist ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  cd web && npm ci --no-audit --no-fund --loglevel=error; \
	fi

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELANCE_TESTS=OFF
	cmake --build $(BUILD_DIR) -j $(JOBS) --target relance

run: build web-deps
	mkdir -p $(dir $(DB))
	$(BUILD_DIR)/relance serve --port $(PORT) --db $(DB) --demo --docs-dir web/node_modules/swagger-ui-dist

# The whole suite, built with AddressSanitizer and UndefinedBehaviorSanitizer,
# against a throwaway PostgreSQL cluster on loopback (stopped afterwards).
build-test: deps web-deps
	cmake -S . -B $(TEST_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRELANCE_SANITIZE=ON -DRELANCE_TESTS=ON
	cmake --build $(TEST_BUILD_DIR) -j $(JOBS)

test: build-test
	bash scripts/run-tests.sh $(TEST_BUILD_DIR)
	bash scripts/run-fuzz.sh

bench: deps
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRELANCE_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bash bench/run.sh build-bench

# The bulk-import benchmark (CSV and XLSX against sqlite3, COPY and openpyxl).
bench-import: deps
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRELANCE_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bash bench/import.sh build-bench

# The dunning benchmark (a day of planning on 1,000,000 invoices, sending).
bench-plan: deps
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRELANCE_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bash bench/plan.sh build-bench

# The sync benchmark (a Sellsy backfill from the emulator, webhook latency).
bench-sync: deps
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRELANCE_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bash bench/sync.sh build-bench

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) build-bench
