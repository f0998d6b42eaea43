#!/bin/sh
# ensure-deps.sh - installs the Debian packages hh needs for a goal (build,
# test, demo, bench, soak, fuzz, valgrind), saying what it installs; runs apt-get update once first.
# Where installing is impossible (not root, no apt-get) it names the packages
# and exits non-zero. A package provided by an installed one counts as there
# (a Node.js from elsewhere provides npm, and conflicts with Debian's).
set -eu

goal=${1:-build}
build="gcc make pkg-config liblua5.4-dev libcurl4-openssl-dev lua-cjson-dev libyaml-dev libsqlite3-dev libpq-dev libmicrohttpd-dev libjansson-dev libssl-dev"
runtime="ffmpeg curl"
browser="chromium nodejs npm" # tests/t0600: the report in headless Chromium, driven by playwright-core
fuzz="clang libclang-rt-dev llvm" # libFuzzer and the sanitizers' runtimes (compiler-rt), llvm-symbolizer
store="postgresql" # the server tests/lib-pg.sh starts for the hh.pg tests
fonts="fonts-dejavu-core" # hh report --grid-image: the labels (tests/t0620)
case "$goal" in
    build) want="$build" ;;
    test) want="$build $runtime $fonts jq perl sqlite3 python3-jsonschema man-db $store $browser $fuzz" ;;
    demo) want="$build $runtime $fonts" ;;
    bench) want="$build $runtime jq time nodejs $store" ;; # nodejs: tests/bench/bench-judge.js
    soak) want="$build $runtime jq sqlite3 $store" ;;
    fuzz) want="$build $fuzz" ;;
    valgrind) want="$build $runtime jq perl sqlite3 valgrind $store" ;;
    *) echo "ensure-deps: unknown goal $goal" >&2; exit 2 ;;
esac

provided=" $(dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null |
    awk -F'\t' '/install ok installed/ && $2 != "" { print $2 }' |
    tr ',' '\n' | sed 's/([^)]*)//; s/:[a-z0-9]*//' | tr -s ' \n' ' ') "
missing=""
for pkg in $want; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) case "$provided" in
               *" $pkg "*) ;;
               *) missing="$missing $pkg" ;;
           esac ;;
    esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "hh: these Debian packages are needed and this system has no apt-get:$missing" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "hh: these Debian packages are needed:$missing" >&2
    echo "hh: run as root, or install them first: sudo apt-get install$missing" >&2
    exit 1
fi
echo "hh: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "hh: installed:$missing"
