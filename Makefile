# Unmix build, test and training targets. Run `make help` for the list.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# GoMLX would download PJRT plugins from the network when it finds none;
# nothing here downloads at run time.
export GOMLX_NO_AUTO_INSTALL := 1

CACHE := $(CURDIR)/.cache
BIN := build/unmix

# The XLA PJRT CPU plugin, from a pinned PyPI wheel. Its PJRT API (v0.81) is
# the closest on PyPI to the v0.83 that go-xla v0.1.4 was tested with.
XLA_DIR := $(CACHE)/xla
XLA_WHEEL_NAME := xla-cpu-pjrt==0.0.1
XLA_WHEEL := xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl
XLA_WHEEL_SHA256 := 55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc
XLA_PLUGIN := $(XLA_DIR)/pjrt_c_api_cpu_plugin.so
PJRT_PLUGIN_LIBRARY_PATH ?= $(XLA_DIR)
export PJRT_PLUGIN_LIBRARY_PATH

# CIFAR-10: the copy beside the repository when present, else the folder
# `unmix data download` fills.
SHARED_DATA := $(abspath ../shared/data/cifar-10-batches-bin)
DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/test_batch.bin),$(SHARED_DATA),$(HOME)/.cache/unmix/cifar-10-batches-bin)
export UNMIX_DATA_DIR := $(DATA_DIR)

# Training recipe: the Keras reference by default. Override on the command
# line, e.g. `make native-train PRESET=slim STEPS_PER_EPOCH=100 MAX_TIME=45m`.
PRESET ?= reference
BATCH ?= 256
STEPS_PER_EPOCH ?= 1300
EPOCHS ?= 100
MAX_TIME ?= 0
BACKEND ?= auto
RUN_DIR ?= runs/$(PRESET)
TRAIN_FLAGS ?=
EVAL_ROUNDS ?= 10
EVAL_MIXTURES ?= 10000

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: build
build: ## build the native unmix command into build/unmix (cgo, for XLA)
	$(GO) build -o $(BIN) ./native/cmd/unmix

.PHONY: xla-plugin
xla-plugin: $(XLA_PLUGIN) ## fetch the pinned XLA CPU plugin wheel from PyPI into .cache/xla

$(XLA_PLUGIN):
	mkdir -p $(CACHE)/wheels $(XLA_DIR)
	python3 -m pip download --quiet --no-deps --only-binary=:all: -d $(CACHE)/wheels '$(XLA_WHEEL_NAME)'
	echo '$(XLA_WHEEL_SHA256)  $(CACHE)/wheels/$(XLA_WHEEL)' | sha256sum --check --quiet
	rm -rf $(XLA_DIR)/wheel && python3 -m zipfile -e $(CACHE)/wheels/$(XLA_WHEEL) $(XLA_DIR)/wheel
	ln -sf wheel/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so $@

.PHONY: data
data: build ## download and verify CIFAR-10 into DATA_DIR (skipped when present)
	$(BIN) data download --data-dir $(DATA_DIR)

.PHONY: native-train
native-train: build ## train PRESET on the best backend present (XLA CUDA, XLA CPU, pure Go)
	@test -f $(DATA_DIR)/test_batch.bin || { echo "CIFAR-10 not found in $(DATA_DIR): run 'make data'"; exit 1; }
	$(BIN) train --preset $(PRESET) --data-dir $(DATA_DIR) --out $(RUN_DIR) --backend $(BACKEND) \
		--batch $(BATCH) --steps-per-epoch $(STEPS_PER_EPOCH) --epochs $(EPOCHS) --max-time $(MAX_TIME) $(TRAIN_FLAGS)

.PHONY: eval
eval: build ## evaluate WEIGHTS (default: the shipped PRESET weights) with the full protocol
	$(BIN) eval --preset $(PRESET) $(if $(WEIGHTS),--weights $(WEIGHTS)) --data-dir $(DATA_DIR) --backend $(BACKEND) \
		--rounds $(EVAL_ROUNDS) --mixtures $(EVAL_MIXTURES) $(if $(EVAL_OUT),--out $(EVAL_OUT))

.PHONY: ship
ship: build ## ship RUN_DIR as shared/models/PRESET: copy weights and history, evaluate with the full protocol, regenerate docs/results.md
	@test -f $(RUN_DIR)/weights.unmixw || { echo "$(RUN_DIR)/weights.unmixw not found: run 'make native-train PRESET=$(PRESET)' first"; exit 1; }
	mkdir -p shared/models/$(PRESET)
	cp $(RUN_DIR)/weights.unmixw $(RUN_DIR)/history.json $(RUN_DIR)/history.png shared/models/$(PRESET)/
	if [ -f $(RUN_DIR)/train.json ]; then cp $(RUN_DIR)/train.json shared/models/$(PRESET)/; fi
	$(BIN) eval --weights shared/models/$(PRESET)/weights.unmixw --data-dir $(DATA_DIR) --backend $(BACKEND) \
		--rounds $(EVAL_ROUNDS) --mixtures $(EVAL_MIXTURES) --out shared/models/$(PRESET)
	$(MAKE) results-doc

.PHONY: results-doc
results-doc: ## regenerate docs/results.md from shared/models/*/{eval,train,history}.json
	$(GO) run ./native/cmd/resultsdoc -models shared/models -out docs/results.md

.PHONY: wasm
wasm: ## build the browser programs: build/unmix.wasm (demo) and build/trainer.wasm (trainer), no cgo
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o build/unmix.wasm ./wasm
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o build/trainer.wasm ./wasm/trainer

.PHONY: site
site: wasm ## render the static site into site/public with the shipped weights
	$(GO) run ./site/cmd/sitegen -out site/public -wasm build/unmix.wasm -trainer-wasm build/trainer.wasm

ADDR ?= 127.0.0.1:8080

.PHONY: serve
serve: site ## render the site and serve it on http://ADDR (default 127.0.0.1:8080)
	$(GO) run ./site/cmd/serve -dir site/public -addr $(ADDR)

.PHONY: samples
samples: ## regenerate the demo's bundled CIFAR-10 test-image sample from DATA_DIR
	$(GO) run ./site/cmd/samplegen -data $(DATA_DIR) -out site/static/samples

.PHONY: measure-browser
measure-browser: ## measure wasm size, load time and prediction latency in headless Chromium
	$(GO) run ./site/cmd/measure

.PHONY: templ-check
templ-check: ## fail when the committed *_templ.go files differ from templ's output
	$(GO) tool templ generate -path site
	git diff --exit-code -- 'site/*_templ.go' || { echo "stale *_templ.go: run 'go tool templ generate -path site' and commit"; exit 1; }

.PHONY: vet
vet: ## go vet, natively and for GOOS=js
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./shared/... ./wasm/...

.PHONY: test-go
test-go: ## Go tests, native (XLA CPU when the plugin is present, real CIFAR-10 when DATA_DIR has it)
	$(GO) test -count=1 -timeout 30m ./...

.PHONY: test-wasm
test-wasm: ## wasm tests under Node with Go's go_js_wasm_exec
	GOOS=js GOARCH=wasm $(GO) test -count=1 -timeout 20m -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" \
		./shared/cifar ./shared/mixture ./shared/imageio ./wasm/...

.PHONY: test
test: vet templ-check test-go test-wasm ## every test: vet, templ freshness, Go (headless Chromium included), wasm under Node

# Benchmarks of each preset's training and inference speed and peak memory,
# on XLA CPU and on simplego. simplego runs one timed iteration per case
# because a reference step takes tens of seconds there.
BENCH_OUT ?= docs/bench-native.txt
BENCH_TIME_XLA ?= 3x
BENCH_TIME_GO ?= 1x

.PHONY: bench
bench: ## benchmark training and inference of every preset into docs/bench-native.txt (about 5 minutes on 2 cores)
	{ $(GO) test ./native/bench -run '^$$' -bench '/xla-cpu/' -benchtime $(BENCH_TIME_XLA) -timeout 30m; \
	  $(GO) test ./native/bench -run '^$$' -bench '/go/' -benchtime $(BENCH_TIME_GO) -timeout 30m; \
	} 2>&1 | grep --line-buffered -v '^SimpleGo backend: parallelism set' | tee $(BENCH_OUT)

.PHONY: trainsample
trainsample: ## regenerate the trainer's CIFAR-10 training sample from DATA_DIR
	$(GO) run ./site/cmd/trainsamplegen -data $(DATA_DIR) -out site/static/trainsample

.PHONY: measure-trainer
measure-trainer: ## browser training speed and accuracy after 1, 5 and 15 minutes in headless Chromium (about 25 min)
	$(GO) run ./site/cmd/trainerbench -presets tiny,slim -speed-time 90s -preset tiny -checkpoints 1m,5m,15m \
		-screenshot docs/screenshots/trainer-training.png -weights-out build/browser-tiny.unmixw
