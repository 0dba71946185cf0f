#!/bin/sh
# Streams the ground-truth events of dataset versions into an NDJSON file,
# one event a line, in the backend's order:
#
#   SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
#     examples/gst-events-to-file.sh 12,13 events.ndjson
#
# The pipeline:
#
#   gst-launch-1.0 synapsegtsrc dataset-versions=12,13 ! \
#     filesink location=events.ndjson
#
# synapsegtsrc reads the backend's URL and token from SYNAPSE_BACKEND_URL
# and SYNAPSE_ACCESS_TOKEN (and SYNAPSE_TENANT), so the token is on no
# command line. From a build tree, run it in `meson devenv -C _build`.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 VERSION-IDS OUTPUT.ndjson   (e.g. $0 12,13 events.ndjson)" >&2
  exit 2
fi
: "${SYNAPSE_BACKEND_URL:?set it to the backend, e.g. https://api.example.com/}"
: "${SYNAPSE_ACCESS_TOKEN:?set it to your personal access token}"

gst-launch-1.0 synapsegtsrc dataset-versions="$1" ! filesink location="$2"

echo "$(wc -l <"$2" | tr -d ' ') events in $2"
