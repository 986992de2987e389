# Kinora Studio: `make run` installs everything and opens the studio; `make test` installs everything
# and runs the whole test suite. Both are idempotent: a second run only checks and starts.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kinora-installed
# torch is pinned: 2.13.0 is the build the tests run on (CPU here; CUDA for users with a GPU).
TORCH_PIN := torch==2.13.0

# Debian/Ubuntu packages: PortAudio for sound, the libraries Qt's xcb and EGL plugins load, fonts.
SYSTEM_PACKAGES := libportaudio2 libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 \
	libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
	libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
	libx11-xcb1 fonts-dejavu-core

.PHONY: run test lint install system-deps test-deps bench screenshots clean

run: install
	$(PY) -m studio

test: install lint test-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests

# Tools some tests use, installed when run as root; otherwise those tests are skipped and say why.
# The feed's web view is tested in a real browser (tests/test_feed_web_view.py): Debian's chromium and its driver.
TEST_PACKAGES := chromium chromium-driver
# The cameo verification tests (tests/test_consent_verify.py) make their speech with espeak-ng.
TEST_PACKAGES += espeak-ng
test-deps:
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "Some tests need: sudo apt-get install -y $$missing (they are skipped until then)"; \
	fi

lint: install
	$(PY) -m ruff check studio tests bench scripts
	$(PY) -m mypy  # the Qt-free packages, configured in pyproject.toml ([tool.mypy])

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "Kinora needs PortAudio and Qt's X11/EGL libraries; install them with your package manager."; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing system packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "Missing system packages. Install them with:"; \
		echo "  sudo apt-get install -y $$missing"; \
	fi

# The README's pictures: the real studio under a virtual X server (Debian's xvfb).
screenshots: install
	@command -v Xvfb >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq xvfb; } || { echo "install xvfb first: sudo apt-get install -y xvfb"; exit 1; }
	$(PY) scripts/screenshot.py
	xvfb-run -a -s "-screen 0 1600x900x24" $(PY) scripts/screenshot_timeline.py
	xvfb-run -a -s "-screen 0 1600x900x24" $(PY) scripts/screenshot_feed.py

# Benchmarks need the ffmpeg command line as a baseline (Debian's package).
bench: install
	@command -v ffmpeg >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq ffmpeg; } || echo "install ffmpeg for bench/export_vs_ffmpeg.py"
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
