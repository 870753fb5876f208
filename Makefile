# The two set-up commands of the README. Each installs what it needs first.
.PHONY: chat test install

install:
	bash scripts/install.sh

chat: install
	HF_HUB_OFFLINE=1 .venv/bin/guide-assistant chat

test: install
	HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q
