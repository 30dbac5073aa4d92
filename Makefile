# failoverd: common tasks. `make run` and `make test` install what they need.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DOCDIR ?= $(PREFIX)/share/doc/failoverd
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
CONFIG ?=
FUZZ_SECONDS ?= 60

.PHONY: run test system-test tsan build release clean install deb fuzz

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

## The system test (as root): builds the Debian package, boots a real systemd in a
## container, installs the package and checks it as an operator would (Tests/System/run).
system-test:
	Tests/System/run

## The unit and integration suites under ThreadSanitizer, daemons included (a build of its own
## in .build-tsan; any report fails it; scripts/tsan says which tests are left out and why).
tsan:
	scripts/tsan

## Fuzz the wire parser and engine, the control decoder, the zone loader, the failover
## model (stateful) and TSIG-signed queries and transfers with libFuzzer, FUZZ_SECONDS each (see Fuzz/run; FUZZ_RUNS=N for a number of executions).
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run

build:
	scripts/ensure-packages build
	$(SWIFT) build

release:
	scripts/ensure-packages build
	$(SWIFT) build -c release --static-swift-stdlib

## The Debian package, .build/deb/failoverd_VERSION_ARCH.deb (its path is the last line printed).
deb: release
	scripts/build-deb

clean:
	rm -rf .build

## Install from source: binaries, units, sysusers/tmpfiles snippets, example config, docs.
## Without DESTDIR it also creates the user and folders and lets the service read its
## configuration (as the package does). Then:
##   systemctl daemon-reload
##   systemctl enable --now failoverd.socket failoverd-control.socket failoverd.service
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/failoverd $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $$($(SWIFT) build -c release --show-bin-path)/failoverd $(DESTDIR)$(SBINDIR)/failoverd
	install -m 0755 $$($(SWIFT) build -c release --show-bin-path)/failoverctl $(DESTDIR)$(BINDIR)/failoverctl
	scripts/render-units $(DESTDIR)$(UNITDIR) $(SBINDIR) $(SYSCONFDIR) $(DOCDIR)
	chmod 0644 $(DESTDIR)$(UNITDIR)/failoverd.service $(DESTDIR)$(UNITDIR)/failoverd.socket \
		$(DESTDIR)$(UNITDIR)/failoverd-control.socket
	install -m 0644 systemd/failoverd.sysusers $(DESTDIR)$(SYSUSERSDIR)/failoverd.conf
	install -m 0644 systemd/failoverd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/failoverd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/failoverd/failoverd.yaml || \
		install -m 0640 config/failoverd.yaml $(DESTDIR)$(SYSCONFDIR)/failoverd/failoverd.yaml
	test -e $(DESTDIR)$(SYSCONFDIR)/failoverd/cloud66.net.zone || \
		install -m 0640 config/cloud66.net.zone $(DESTDIR)$(SYSCONFDIR)/failoverd/cloud66.net.zone
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/man/failoverctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/failoverd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/examples/* $(DESTDIR)$(DOCDIR)/examples/
	if [ -z "$(DESTDIR)" ]; then \
		systemd-sysusers $(SYSUSERSDIR)/failoverd.conf && \
		systemd-tmpfiles --create $(TMPFILESDIR)/failoverd.conf && \
		chgrp failoverd $(SYSCONFDIR)/failoverd $(SYSCONFDIR)/failoverd/failoverd.yaml \
			$(SYSCONFDIR)/failoverd/cloud66.net.zone && \
		chmod 0750 $(SYSCONFDIR)/failoverd; \
	fi
