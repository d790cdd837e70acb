# Two commands do all set-up: `make demo` (the main job on the embedded sample) and `make test`.
# Both create/reuse .venv and install the project into it; a re-run with nothing new takes seconds.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# nerfstudio 1.1.5 works with this torch/torchvision pair; override for other platforms/CUDA.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.muon-nerf-installed

.PHONY: install demo demo-image test clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("muon-nerf needs Python >= 3.10, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) scripts/demo.py

demo-image: install
	$(PY) scripts/fit_image.py --resize 128 --steps 1000 --output-dir outputs/demo_image_muon --overwrite

test: install
	$(PY) -m pytest -q

clean:
	rm -rf outputs .pytest_cache
