# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps vot-toolkit==0.9.0  # deps are in [dev]; see pyproject.toml
	touch $(STAMP)

install: $(STAMP)

DEMO := src/hrom/assets/demo

demo: $(STAMP)
	$(BIN)/hrom track $(DEMO)/bag_clip.avi --box-file $(DEMO)/bag_clip_init_box.txt \
		--out out/demo/boxes.txt --scores --video out/demo/annotated.mp4

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info
