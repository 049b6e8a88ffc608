#!/usr/bin/env bash
# install-deps.sh - install, from Debian's packages, everything alertdesk
# builds and tests with.
#
# A fast no-op when every package is already installed (one dpkg-query, no
# network): tests/run.sh and deploy/quickstart.sh call it on every run. Only
# when something is missing does it run `apt-get update` and
# `apt-get install --no-install-recommends`. Works as root, or through sudo.
#
# We never use the distribution's PostgreSQL cluster: the harness and the
# quickstart run private ones. While installing, a temporary policy-rc.d
# stops the packages' maintainer scripts from starting services; if the
# postgresql package creates its 'main' cluster we leave it as it is (down).
#
# Usage: deploy/install-deps.sh [--check]   (--check: list missing, exit 1 if any)
set -euo pipefail

# Keep this list in step with CMakeLists.txt (pkg-config modules) and the
# tools the tests use. python3 is deliberately absent: nothing needs it.
PACKAGES=(
    build-essential cmake pkg-config
    libzmq3-dev librdkafka-dev libpq-dev libjansson-dev libcurl4-openssl-dev
    libmicrohttpd-dev libyaml-dev libssl-dev
    postgresql postgresql-contrib
    kcat clang libclang-rt-14-dev clang-format curl openssl jq
    prometheus-alertmanager
    # runs the Zabbix media type's JavaScript in test_clients_tools.sh
    nodejs
    # the web console's browser test (tests/browser: playwright-core from npm)
    npm chromium
    procps iproute2 util-linux tzdata
    gnuplot-nox
)

# missing_packages - print the packages of PACKAGES that are not installed.
missing_packages() {
    local -A ok=()
    local pkg status
    # One dpkg-query for the whole list keeps the no-op case fast. A package
    # dpkg has never heard of prints nothing (and an error we discard).
    # db:Status-Status is "installed" only for a fully configured package;
    # half-installed or config-files-only states count as missing.
    while read -r pkg status; do
        if [[ "$status" == "installed" ]]; then
            ok[${pkg%%:*}]=1
        fi
    done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
    # A node and npm that are already on the PATH serve (NodeSource's nodejs
    # bundles npm and conflicts with Debian's npm package: asking apt for it
    # would break the install).
    if command -v node >/dev/null 2>&1; then
        ok[nodejs]=1
    fi
    if command -v npm >/dev/null 2>&1; then
        ok[npm]=1
    fi
    for pkg in "${PACKAGES[@]}"; do
        if [[ -z "${ok[$pkg]:-}" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

mapfile -t missing < <(missing_packages)

if [[ "${1:-}" == "--check" ]]; then
    if ((${#missing[@]})); then
        printf 'missing: %s\n' "${missing[*]}"
        exit 1
    fi
    exit 0
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

SUDO=()
if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

echo "== installing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# policy-rc.d exit code 101 = "action forbidden": invoke-rc.d and
# deb-systemd-invoke then start no service during the install. Only add one
# if the machine has none, and only remove the one we added.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
remove_policy() {
    if ((added_policy)); then
        "${SUDO[@]}" rm -f "$POLICY"
    fi
}
trap remove_policy EXIT
if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\n# added by alertdesk install-deps.sh while installing\nexit 101\n' |
        "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 0755 "$POLICY"
    added_policy=1
fi

# sudo drops most of the environment; pass the frontend explicitly.
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "${missing[@]}"

mapfile -t still < <(missing_packages)
if ((${#still[@]})); then
    echo "install-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "== packages ready"
