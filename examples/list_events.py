#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""list_events: print the ground-truth events of dataset versions as NDJSON.

    SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \\
        examples/list_events.py 12 13 > events.ndjson

    examples/list_events.py --data-type image 12 > images.ndjson

The library through PyGObject and its override (installed with it): a dict
of filters goes in, a pager iterates the events as dicts, one page in memory
at a time, and an HTTP failure is a GLib.Error with the status code.
Exits 1 on a failure, after printing it and its HTTP status.
"""

import argparse
import json
import sys

import gi

gi.require_version("Synapse", "1.0")
from gi.repository import GLib, Synapse  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", metavar="VERSION-ID", type=int,
                        nargs="+", help="ground-truth dataset version ids")
    parser.add_argument("--data-type", help="only events of this data type")
    args = parser.parse_args()

    params = {"ground_truth_dataset_versions": args.versions}
    if args.data_type:
        params["data_type"] = args.data_type

    try:
        # SYNAPSE_BACKEND_URL, SYNAPSE_ACCESS_TOKEN, SYNAPSE_TENANT
        client = Synapse.Client.new_from_env()
        for version_id in args.versions:
            # a version that does not exist fails here with HTTP 404
            version = client.get_ground_truth_version(version_id)
            dataset = version.get("ground_truth_dataset") or {}
            print("version %d: %s %s, %s events" % (
                version_id, dataset.get("name"), version.get("version"),
                version.get("event_count")), file=sys.stderr)

        pager = client.iter_ground_truth_events(params)
        count = 0
        for event in pager:
            print(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
            count += 1
    except GLib.Error as error:
        print("error: %s" % error.message, file=sys.stderr)
        status = Synapse.client_error_get_status_code(error)
        if status == 401:
            print("http-status: 401 (check SYNAPSE_ACCESS_TOKEN)",
                  file=sys.stderr)
        elif status:
            print("http-status: %d" % status, file=sys.stderr)
        return 1

    print("%d of %d events" % (count, pager.total_count), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
