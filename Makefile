# failoverd: common tasks. `make run` and `make test` install what they need.
SWIFT ?= swift
PREFIX ?= /usr/local
CONFIG ?=

.PHONY: run test build release clean

## Build and start the daemon (built-in defaults: 127.0.0.1:5353 and [::1]:5353).
run:
	scripts/ensure-packages build
	$(SWIFT) build --product failoverd
	$$($(SWIFT) build --show-bin-path)/failoverd $(if $(CONFIG),--config $(CONFIG))

## Run the whole test suite (unit, engine tables, integration with dig/kdig/NSD).
test:
	scripts/ensure-packages test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

build:
	scripts/ensure-packages build
	$(SWIFT) build

release:
	scripts/ensure-packages build
	$(SWIFT) build -c release

clean:
	rm -rf .build
