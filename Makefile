# The two commands of the README are `make demo` and `make test`; both set up
# everything they need (Debian packages, venv, services, base images) first.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup services up down status demo test bench protos lint

setup:
	scripts/bootstrap

services: setup
	scripts/services up

status:
	scripts/services status

down:
	scripts/services down

# Services, then web, both workers, beat and Flower in the foreground (Ctrl-C stops them);
# an app `make demo` left running in the background is stopped first and replaced.
up: services
	$(PY) -m stack app

demo: services
	$(PY) -m stack.demo

test: services
	scripts/run-tests $(PYTEST_ARGS)

bench: services
	$(PY) -m bench

protos: setup
	scripts/gen-protos

lint: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports
