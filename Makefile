# defragscope: `make run` opens the UI on a built-in scenario; `make test` runs the whole suite.
# Both first install the Debian packages the build and the tests need, when they are missing.

DEB_PACKAGES := libncursesw5-dev libvulkan-dev mesa-vulkan-drivers tmux python3-jsonschema
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift

.PHONY: run test deps build release bench soak docs clean

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run defragscope watch

# The end-to-end tests drive the built binary, so it is built before the suite runs.
test: deps
	$(SWIFT) build
	$(SWIFT) test

release: deps
	$(SWIFT) build -c release

bench: release
	.build/release/defragscope bench

# Long seeded soak runs and the large traces, kept out of `make test` for time.
soak: deps
	DEFRAGSCOPE_SOAK=1 $(SWIFT) test

# The engine modules' DocC documentation (.build/plugins/Swift-DocC/outputs/*.doccarchive); any warning
# fails the target.
docs:
	@mkdir -p .build; \
	$(SWIFT) package generate-documentation --target MemoryMetadata --target Defragmentation >.build/docs.log 2>&1; \
	status=$$?; cat .build/docs.log; [ $$status = 0 ] || exit $$status; \
	if grep -q "^warning:" .build/docs.log; then echo "make docs: documentation warnings (above)"; exit 1; fi

clean:
	rm -rf .build
