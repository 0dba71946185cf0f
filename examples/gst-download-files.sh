#!/bin/sh
# Streams the ground-truth events of dataset versions and downloads the
# files they point to, so that the events can be used offline:
#
#   SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
#     examples/gst-download-files.sh 12 dataset-12
#
# writes dataset-12/events.ndjson, whose file URLs (in `files` and
# `data_unit.files`) are replaced by the paths of the downloaded copies in
# dataset-12/files/. The pipeline:
#
#   gst-launch-1.0 synapsegtsrc dataset-versions=12 \
#     download-dir=dataset-12/files url-fields=files,data_unit.files ! \
#     filesink location=dataset-12/events.ndjson
#
# Each page's files are downloaded before its events go downstream, checked
# against the size and checksum the events declare; a file already in the
# folder is checked again and reused. From a build tree,
# run it in `meson devenv -C _build`.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 VERSION-IDS DIRECTORY   (e.g. $0 12 dataset-12)" >&2
  exit 2
fi
: "${SYNAPSE_BACKEND_URL:?set it to the backend, e.g. https://api.example.com/}"
: "${SYNAPSE_ACCESS_TOKEN:?set it to your personal access token}"

mkdir -p "$2/files"
gst-launch-1.0 synapsegtsrc dataset-versions="$1" download-dir="$2/files" \
  url-fields=files,data_unit.files ! filesink location="$2/events.ndjson"

echo "$(wc -l <"$2/events.ndjson" | tr -d ' ') events in $2/events.ndjson," \
  "$(find "$2/files" -type f | wc -l | tr -d ' ') files in $2/files"
