#!/usr/bin/env bash
# bootsim.sh - build bootsim (installing its Debian packages if missing) and
#   ./bootsim.sh boot [options]   run a simulated boot (any bootsim command works)
#   ./bootsim.sh test [args]      run the whole test suite (meson test args pass through)
# Build directory: $BOOTSIM_BUILD (default: build/ beside this script).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${BOOTSIM_BUILD:-$here/build}
packages=(gcc libc6-dev meson ninja-build pkg-config libcmocka-dev liburcu-dev zlib1g-dev liblzma-dev)

install_missing() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bootsim.sh: installing ${missing[*]}" >&2
	local sudo=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null ||
			{ echo "bootsim.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
		sudo=sudo
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

build_tree() {
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$here" >&2
	fi
	ninja -C "$build" >&2
}

# The plain "N passed, N failed" closing line, from meson's test log.
summarise() {
	local log=$build/meson-logs/testlog.json
	[ -f "$log" ] || return 0
	python3 - "$log" <<'PY' 2>/dev/null || true
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"{ok} passed, {bad} failed" + (f", {skip} skipped" if skip else ""))
PY
}

install_missing
cmd=${1:-}
case "$cmd" in
test)
	shift
	build_tree
	status=0
	meson test -C "$build" --print-errorlogs "$@" || status=$?
	summarise
	exit $status
	;;
*)
	build_tree
	exec "$build/sim/bootsim" "$@"
	;;
esac
