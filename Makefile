# The two set-up commands of README.md: `make run` and `make test`. Each
# installs the Debian packages that are missing, configures and builds.
BUILD ?= build
DB ?= ./mcpkeep.db
JOBS ?= $(shell nproc)
PACKAGES = cmake g++ make libsqlite3-dev sqlite3 libsqlitecpp-dev libpoco-dev \
           nlohmann-json3-dev catch2
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: deps build run test bench clean

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DMCPKEEP_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/mcpkeep demo --db $(DB)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/tests/mcpkeep_bench

clean:
	rm -rf $(BUILD)
