# The two commands of the README quick start. Each sets up everything it needs first:
# a private uv (pinned) in .tools/, then the locked environment in .venv/.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test setup
run: setup
	.venv/bin/refundable serve

test: setup
	bash scripts/test

setup: $(UV)
	$(UV) sync --frozen --quiet --all-extras

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)
