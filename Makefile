# contrail-lb-operator — every target does its own set-up from a fresh clone.
# Node: the pinned LTS comes from the npm registry's `node` package (node_modules/.bin/node),
# and is put first on PATH so every target below runs on it, not on the machine's Node.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export npm_config_loglevel := error
export npm_config_fund := false
export npm_config_audit := false

NODE_TEST := node --import tsx --test --test-reporter=spec

.PHONY: all deps typecheck lint test test-unit test-monitoring test-conformance test-integration test-e2e \
        test-openstack test-agent test-dataplane test-e2e-dataplane test-image test-image-se test-node test-chaos test-secrets image envtest helm kstatus-check cluster-up cluster-down openstack-up openstack-down demo sim bench build clean

all: test

# npm ci only when the lock file changed since the last install.
deps: .deps.stamp
.deps.stamp: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

build: deps
	tsc -p tsconfig.build.json && cp src/sim/default-topology.yaml dist/src/sim/
	@# The commit for --version and lbop_build_info where there is no .git (an installed copy).
	@printf '{"commit":"%s"}\n' "$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" > dist/build-info.json

typecheck: deps
	tsc --noEmit

lint: deps
	eslint .

# lua5.4 runs the Argo CD health check docs/gitops.md prints (test/unit/gitops-health.test.ts).
test-unit: deps
	@if [[ $$(id -u) == 0 ]]; then scripts/ensure-debs.sh lua5.4:lua5.4; fi
	$(NODE_TEST) 'src/**/*.test.ts' 'test/unit/**/*.test.ts'

# --- the monitoring pack (deploy/components/monitoring): promtool from Debian's prometheus package
# checks the alerts, runs a unit test per alert and every dashboard query on the documented series;
# the kustomize render checks use the pinned kubectl when `make envtest` has linked it ---
test-monitoring: deps
	scripts/ensure-debs.sh prometheus:promtool
	$(NODE_TEST) 'test/monitoring/**/*.test.ts'

# --- conformance: the simulator held to the cloud API contract (docs/design.md, "The cloud APIs it speaks") (owner: simulator issue) ---
# (+ the Nova cases shared with real Nova, kept once in test/e2e-openstack/, here against the simulator)
test-conformance: deps
	$(NODE_TEST) 'test/conformance/**/*.test.ts' test/e2e-openstack/nova-conformance.test.ts

# --- the SE agent as a process against a real HAProxy 2.6 on loopback (owner: data-plane issue) ---
test-agent: deps
	scripts/ensure-debs.sh haproxy:haproxy iproute2:ip
	$(NODE_TEST) 'test/agent/**/*.test.ts'

# --- real kube-apiserver + etcd built from Go modules (owner: control-plane issue) ---
envtest:
	scripts/envtest-build.sh --with-controller-manager

# The helm CLI for the chart's lint/template/dry-run checks, built from the Go module proxy
# (Debian bookworm has no helm package), cached in ~/.cache/contrail-lb-operator/helm.
helm:
	scripts/helm-build.sh

# The real kstatus library (sigs.k8s.io/cli-utils, pinned in scripts/kstatus-check/go.mod) as a
# small checker, built from the Go module proxy, cached in ~/.cache/contrail-lb-operator/kstatus-check.
kstatus-check:
	scripts/kstatus-build.sh

cluster-up: deps envtest
	scripts/cluster-up.sh --controller-manager

cluster-down:
	scripts/cluster-down.sh

# One shared cluster for the whole stage (torn down on exit, also on failure or Ctrl-C).
test-integration: deps envtest helm kstatus-check
	scripts/with-cluster.sh $(NODE_TEST) 'test/integration/**/*.test.ts'

# --- real Keystone + Neutron from Debian packages (owner: cloud-clients issue) ---
openstack-up:
	scripts/openstack-up.sh

openstack-down:
	scripts/openstack-down.sh

# Starts the real OpenStack (Keystone, Neutron, Nova + Placement, Glance, RabbitMQ; see
# scripts/openstack-up.sh), runs the client suites (real OpenStack, then the simulator), then the
# simulator's Keystone/Neutron/Nova conformance cases against the real servers, then the operator
# end to end on them (plain-Neutron Cloud, test/e2e-openstack/op-*.test.ts), and stops them.
test-openstack: deps envtest
	trap 'scripts/openstack-down.sh' EXIT; scripts/openstack-up.sh >/dev/null; \
	  $(NODE_TEST) --test-concurrency=1 'test/openstack/**/*.test.ts' 'test/cloud/**/*.test.ts'; \
	  env_json="$${OSTEST_DIR:-$(CURDIR)/.local/openstack}/env.json"; \
	  LBOP_CONFORMANCE_KEYSTONE_URL="$$(jq -r .keystoneURL "$$env_json")" LBOP_CONFORMANCE_DOMAIN=Default \
	  LBOP_CONFORMANCE_USER="$$(jq -r .demo.username "$$env_json")" LBOP_CONFORMANCE_PASSWORD="$$(jq -r .demo.password "$$env_json")" \
	  LBOP_CONFORMANCE_PROJECT="$$(jq -r .demo.project "$$env_json")" \
	  $(NODE_TEST) --test-concurrency=1 test/conformance/keystone.test.ts test/conformance/neutron.test.ts \
	    test/e2e-openstack/nova-conformance.test.ts; \
	  scripts/with-cluster.sh $(NODE_TEST) --test-concurrency=1 'test/e2e-openstack/op-*.test.ts'

# --- operator end to end on kube-apiserver + simulator (owner: operator issues) ---
test-e2e: deps envtest
	scripts/ensure-debs.sh prometheus:prometheus # test/e2e/monitoring-prometheus.test.ts
	scripts/with-cluster.sh $(NODE_TEST) --test-concurrency=1 'test/e2e/**/*.test.ts'

# --- the chaos suite's CI subset (issue 19; docs/reliability.md): SIGKILLs of the operator and of
# the leader, the fault mix, an apiserver outage, fuzzed manifests / SE API requests / cloud
# responses, SE agents killed under wrk traffic, at the small sizes (`npm run chaos` runs the full
# ones). The data-plane scenario needs root (network namespaces); without it it skips with one line ---
test-chaos: deps envtest
	@if [[ $$(id -u) == 0 ]]; then scripts/ensure-debs.sh iproute2:ip iptables:iptables wrk:wrk haproxy:haproxy; fi
	LBOP_CHAOS=ci scripts/with-cluster.sh $(NODE_TEST) --test-concurrency=1 'test/chaos/**/*.test.ts'

# --- real packets through the simulator's netns data plane (owner: data-plane issue) ---
# Needs root (network namespaces); without it the tests skip with one line.
test-dataplane: deps
	@if [[ $$(id -u) == 0 ]]; then scripts/ensure-debs.sh iproute2:ip iptables:iptables wrk:wrk; fi
	$(NODE_TEST) --test-concurrency=1 'test/dataplane/**/*.test.ts'

# --- the operator, real SE agents and real packets: VIP traffic end to end (owner: wire issue) ---
# Needs root (network namespaces); without it the tests skip with one line. operator-outage.test.ts
# cuts the management link for 120 s (LBOP_DP_CUT_S=N for a shorter local run; docs/traffic-tests.md).
test-e2e-dataplane: deps envtest
	@if [[ $$(id -u) == 0 ]]; then scripts/ensure-debs.sh iproute2:ip iptables:iptables wrk:wrk haproxy:haproxy prometheus:prometheus; fi # prometheus: monitoring-dashboard.test.ts
	scripts/with-cluster.sh $(NODE_TEST) --test-concurrency=1 'test/e2e-dataplane/**/*.test.ts'

test: deps
	@echo "node $$(node --version) ($$(command -v node))"
	@# Every stage's output (test failures and errors included) also lands in .local/make-test.log,
	@# which the secret scan reads with the stages' own logs.
	@mkdir -p .local
	$(MAKE) --no-print-directory typecheck lint test-monitoring test-unit test-conformance test-agent test-integration test-openstack test-e2e test-chaos test-dataplane test-e2e-dataplane test-image test-image-se 2>&1 | tee .local/make-test.log
	$(MAKE) --no-print-directory test-secrets
	@echo "all test stages passed"

demo: deps envtest
	node --import tsx src/cli.ts demo $(DEMO_ARGS)

sim: deps
	tsx src/cli.ts sim

bench: deps
	npm run bench

# --- the OCI image, built without a daemon (docs/image.md; owner: image issue 18) ---
# IMAGE_VARIANT=operator (default) | se (a seam: needs the se-agent). IMAGE_REFRESH=1 re-bootstraps Debian.
image: deps
	scripts/image/build.sh --variant $(or $(IMAGE_VARIANT),operator)

# In `make test` (about 20 s warm, 1.5 min cold): the image against the Dockerfile, then run hardened under crun
# against a real kube-apiserver and the simulator until the seed VirtualService is Ready.
test-image: image envtest
	$(NODE_TEST) test/image/parity.test.ts test/image/bundle.test.ts
	test/image/run-hardened.sh

# In `make test` (about 1 min warm): the SE image (IMAGE_VARIANT=se → .local/image-se): its se-agent
# and HAProxy serve a VIP under crun, hardened; its SBOM. Needs root.
test-image-se: deps
	scripts/ensure-debs.sh crun:crun umoci:umoci haproxy:haproxy golang-github-containers-common
	scripts/image/build.sh --variant se
	$(NODE_TEST) test/image/se-agent.test.ts

# Opt-in, not in `make test` (33-53 s warm, three runs; the first run builds kubelet, kube-scheduler and kube-proxy; root;
# it starts kubelets and kube-proxy, which write iptables rules on the host, so a developer asks for it;
# docs/image.md "A real node"): deploy/ on two real kubelets with kube-scheduler, the workload
# controllers and kube-proxy; failover, PDB, the SE API Service.
test-node: deps
	test/node/run.sh

# --- the suite-wide secret scan (issue 19, R6): last, over every log and API dump the stages above left
# in .local/ (operator logs, events/status/conditions per e2e file, apiserver/etcd/OpenStack logs) ---
test-secrets: deps
	tsx scripts/secret-scan.ts

clean:
	rm -rf dist .deps.stamp
