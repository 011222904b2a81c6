.DEFAULT_GOAL := help
.PHONY: help demo test lint format bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

demo: ## start a local node on embedded defaults with a sample service, route and upstream
	@scripts/demo

test: ## install what the suite needs and run it
	@scripts/test

lint: ## ruff and mypy (strict on the core)
	@scripts/lint

format: ## apply ruff's fixes and formatting
	@scripts/format

bench: ## load benchmarks against nginx and Apache + mod_auth_openidc; appends to bench/RESULTS.md
	@scripts/bench
