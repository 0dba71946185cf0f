#!/bin/sh
# gst-synapse in one command, on a fresh Debian 12 machine:
#
#   examples/quickstart.sh
#
# 1. installs the Debian packages the build needs that are missing (the
#    "build" lines of tests/packages.txt), with apt-get as root or through
#    sudo;
# 2. builds everything into _build/ (meson + ninja);
# 3. starts synapse-dev-backend, the local Synapse backend, with sample data
#    (3 dataset versions of 250 events, 3 models) on a free port of
#    127.0.0.1, with a random access token;
# 4. streams the events of dataset version 2 into an NDJSON file:
#      gst-launch-1.0 synapsegtsrc dataset-versions=2 ! filesink location=…
# 5. uploads a small model file and registers it as a model:
#      gst-launch-1.0 -e filesrc location=… ! synapsemodelsink …
# 6. prints what it did and where the outputs are, and stops the backend.
#
# Environment:
#   SKIP_APT=1   check and install no packages (as for tests/run)
#   BUILD_DIR    the build directory (default _build); one that is already
#                configured is reused as it is (only ninja runs)
#   OUTPUT_DIR   where the outputs go (default BUILD_DIR/quickstart)
#
# The test suite runs it (tests/examples/run_examples.py) with SKIP_APT=1,
# BUILD_DIR set to the suite's build directory and OUTPUT_DIR to a
# temporary one.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
version=2

say() {
  printf '%s\n' "quickstart: $*"
}

die() {
  printf '%s\n' "quickstart: error: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- packages

if [ "${SKIP_APT:-0}" != 1 ]; then
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    die "no dpkg/apt-get: install the equivalents of the \"build\" lines of tests/packages.txt, then run again with SKIP_APT=1"
  fi
  missing=""
  while read -r package needed_for _; do
    case $package in '' | '#'*) continue ;; esac
    [ "$needed_for" = build ] || continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed" || missing="$missing $package"
  done <"$top/tests/packages.txt"
  if [ -n "$missing" ]; then
    say "installing$missing"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || die "run as root or install sudo to install:$missing"
      sudo=sudo
    fi
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
      --no-install-recommends $missing
  fi
fi

# ------------------------------------------------------------------- build

if [ ! -f "$build/build.ninja" ]; then
  say "configuring $build"
  meson setup "$build" "$top"
fi
say "building in $build"
ninja -C "$build"

backend_bin=$build/tests/backend/synapse-dev-backend
[ -x "$backend_bin" ] || die "$backend_bin was not built (configured with -Dtests=false?)"
[ -f "$build/plugin/libgstsynapse.so" ] ||
  die "the GStreamer plugin was not built (is libgstreamer1.0-dev installed?)"

out=${OUTPUT_DIR:-$build/quickstart}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/events.ndjson" "$out/backend.out" "$out/backend.log" \
  "$out/events.log" "$out/model.log"

# The plugin from this build, in a registry of its own unless GST_REGISTRY
# names one (the user's default registry stays as it was).
GST_PLUGIN_PATH=$build/plugin
GST_REGISTRY=${GST_REGISTRY:-$out/gst-registry.bin}
export GST_PLUGIN_PATH GST_REGISTRY

# ----------------------------------------------------------------- backend

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
backend_pid=""
stop_backend() {
  if [ -n "$backend_pid" ]; then
    kill "$backend_pid" 2>/dev/null || true
    wait "$backend_pid" 2>/dev/null || true
    backend_pid=""
  fi
}
trap stop_backend EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: >"$out/backend.out"
"$backend_bin" --port 0 --token "$token" --versions 3 --events 250 \
  --models 3 --quiet >>"$out/backend.out" 2>"$out/backend.log" &
backend_pid=$!

# Its first line: "synapse-dev-backend listening on http://127.0.0.1:PORT/"
url=""
tries=0
while :; do
  if [ "$(wc -l <"$out/backend.out")" -ge 1 ]; then
    url=$(sed -n '1s/^synapse-dev-backend listening on //p' "$out/backend.out")
    [ -n "$url" ] && break
  fi
  kill -0 "$backend_pid" 2>/dev/null ||
    die "synapse-dev-backend did not start: $(cat "$out/backend.out" "$out/backend.log")"
  tries=$((tries + 1))
  [ "$tries" -lt 100 ] || die "synapse-dev-backend did not start in 10 s"
  sleep 0.1
done
say "synapse-dev-backend (pid $backend_pid) listening on $url"

# The elements read the backend and the token from the environment, so the
# token is on no command line.
SYNAPSE_BACKEND_URL=$url
SYNAPSE_ACCESS_TOKEN=$token
export SYNAPSE_BACKEND_URL SYNAPSE_ACCESS_TOKEN

# ------------------------------------------------------------------ events

events=$out/events.ndjson
say "gst-launch-1.0 synapsegtsrc dataset-versions=$version ! filesink location=$events"
gst-launch-1.0 -m synapsegtsrc dataset-versions=$version ! \
  filesink location="$events" >"$out/events.log" 2>&1 ||
  die "the events pipeline failed: $(cat "$out/events.log")"

n_events=$(wc -l <"$events" | tr -d ' ')
n_pages=$(grep -c 'synapse-page,' "$out/events.log" || true)
total=$(sed -n 's/.*synapse-page,.* total=(gint64)\([-0-9]*\).*/\1/p' \
  "$out/events.log" | tail -n 1)
[ "$n_events" = "$total" ] ||
  die "wrote $n_events events but the backend counts $total"

# ------------------------------------------------------------------- model

# A small stand-in for trained weights: 256 KiB, uploaded in 4 chunks.
model_file=$out/model.bin
head -c 262144 /dev/urandom >"$model_file"
model_size=$(wc -c <"$model_file" | tr -d ' ')
say "gst-launch-1.0 -e filesrc location=$model_file ! synapsemodelsink model-name=quickstart-detector model-type=detection project=1 chunk-size=65536"
gst-launch-1.0 -e -m filesrc location="$model_file" ! \
  synapsemodelsink model-name=quickstart-detector model-type=detection \
  project=1 description="uploaded by examples/quickstart.sh" \
  metrics='{"map": 0.5}' chunk-size=65536 >"$out/model.log" 2>&1 ||
  die "the upload pipeline failed: $(cat "$out/model.log")"

model_id=$(sed -n 's/.*synapse-model-created, model-id=(gint64)\([0-9]*\).*/\1/p' \
  "$out/model.log")
model_url=$(sed -n 's/.*synapse-model-created,.* file=(string)\([^;]*\);.*/\1/p' \
  "$out/model.log")
n_chunks=$(sed -n 's/.*synapse-upload-progress,.* chunk=(uint)\([0-9]*\).*/\1/p' \
  "$out/model.log" | tail -n 1)
[ -n "$model_id" ] || die "no synapse-model-created message: $(cat "$out/model.log")"

stop_backend
say "stopped synapse-dev-backend"

cat <<EOF

gst-synapse quickstart: done.

  backend       synapse-dev-backend at $url (stopped)
  events        $n_events events of dataset version $version ($n_pages pages)
  events file   $events
  model id      $model_id (quickstart-detector, detection, project 1)
  model file    $model_file ($model_size bytes, uploaded in $n_chunks chunks)
  stored at     $model_url
  logs          $out/events.log and $out/model.log
                (gst-launch-1.0 -m), $out/backend.log

Against your own backend (see README.md):

  export SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=…
  meson devenv -C $build --workdir . gst-launch-1.0 synapsegtsrc \\
    dataset-versions=12 ! filesink location=events.ndjson

More pipelines: examples/gst-events-to-file.sh, examples/gst-download-files.sh,
examples/gst-upload-model.sh.
EOF
