#!/bin/sh
# Uploads a model file and registers it as a model of a project:
#
#   SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
#     examples/gst-upload-model.sh weights.pt yolo-v8 detection 1 \
#       metrics='{"map": 0.61}' description="trained on set 12"
#
# MODEL-TYPE is classification, detection or segmentation; any further
# arguments are synapsemodelsink properties (description, metrics,
# configuration, is-active, filename, chunk-size). The pipeline:
#
#   gst-launch-1.0 -e -m filesrc location=weights.pt ! \
#     synapsemodelsink model-name=yolo-v8 model-type=detection project=1
#
# The file goes up in chunks (50 MiB unless chunk-size says otherwise) and
# the model is created at the end of the stream: when gst-launch-1.0 sees
# EOS, the model exists. -e makes an interrupt commit the upload too, -m
# prints the messages this script reads the new model's id from. From a
# build tree, run it in `meson devenv -C _build`.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

if [ $# -lt 4 ]; then
  echo "usage: $0 FILE NAME MODEL-TYPE PROJECT-ID [PROPERTY=VALUE…]" >&2
  exit 2
fi
: "${SYNAPSE_BACKEND_URL:?set it to the backend, e.g. https://api.example.com/}"
: "${SYNAPSE_ACCESS_TOKEN:?set it to your personal access token}"

file=$1 name=$2 type=$3 project=$4
shift 4

log=$(gst-launch-1.0 -e -m filesrc location="$file" ! synapsemodelsink \
  model-name="$name" model-type="$type" project="$project" "$@" 2>&1) || {
  printf '%s\n' "$log" >&2
  exit 1
}

# The synapse-model-created message: model-id=(gint64)N, model, file.
id=$(printf '%s\n' "$log" |
  sed -n 's/.*synapse-model-created, model-id=(gint64)\([0-9]*\).*/\1/p')
if [ -z "$id" ]; then
  printf '%s\n' "$log" >&2
  echo "$0: no synapse-model-created message" >&2
  exit 1
fi
printf '%s\n' "$log" | grep '^Progress: (upload)' || true
echo "model $id: $name ($type, project $project) from $file"
