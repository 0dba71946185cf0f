#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares `gst-inspect-1.0 <element>` of the plugin in a build directory
with the snapshots kept in plugin/inspect/, so that the elements' property
documentation cannot change unnoticed; or refreshes the snapshots.

    inspect_snapshot.py [--update] BUILD_DIR SNAPSHOT_DIR PROJECT_VERSION

The test suite runs the check (test `inspect-snapshots`); refresh with

    ninja -C _build update-inspect-snapshots

(or `meson compile -C _build update-inspect-snapshots`), then review and
commit the diff of plugin/inspect/.

gst-inspect-1.0 runs with only this plugin (GST_PLUGIN_SYSTEM_PATH_1_0
empty, a registry of its own), without colours, in the C.UTF-8 locale and
without the SYNAPSE_* variables (they are the defaults of base-url,
access-token, tenant). The check also runs it with those variables set,
and fails unless the output is the same: no default shown may come from
the caller's environment (a URL, a tenant, a token or the sign of one).
Normalised, because they legitimately vary:

- the plugin's `Filename` line: only the file's name is kept, not its
  directory;
- the plugin's `Version` line: the project version becomes @VERSION@ (a
  different version is left as it is, and fails);
- trailing spaces at the end of lines (gst-inspect-1.0 leaves some).

The first line of a snapshot is a header naming the GStreamer version it
was recorded with; it is not compared. The properties inherited from
GstBaseSrc and GstBaseSink come from GStreamer: another GStreamer version
may list other ones (the failure message says so).
"""

import difflib
import os
import re
import subprocess
import sys
import tempfile

ELEMENTS = ("synapsegtsrc", "synapsemediasrc", "synapsemodelsink")
REFRESH = "ninja -C <build directory> update-inspect-snapshots"
HEADER = ("# gst-inspect-1.0 %s with GStreamer %s, normalised by "
          "tests/inspect/inspect_snapshot.py; refresh with: %s\n")


def gstreamer_version():
    result = subprocess.run(["gst-inspect-1.0", "--version"],
                            stdout=subprocess.PIPE, text=True, check=True)
    match = re.search(r"^GStreamer (\S+)", result.stdout, re.M)
    return match.group(1) if match else "unknown"


# what a caller's environment may hold, which gst-inspect-1.0 must not show
CALLER_ENV = {
    "SYNAPSE_BACKEND_URL": "https://inspect-caller.example.com/api/",
    "SYNAPSE_ACCESS_TOKEN": "inspect-Caller-Token-7f3e",
    "SYNAPSE_TENANT": "inspect-caller-tenant",
}


def inspect(element, plugin_dir, registry, caller_env=None):
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("SYNAPSE_")}
    env.update(caller_env or {})
    env.update({
        "GST_PLUGIN_PATH": plugin_dir,
        "GST_PLUGIN_SYSTEM_PATH_1_0": "",
        "GST_REGISTRY": registry,
        "GST_INSPECT_NO_COLORS": "1",
        "LC_ALL": "C.UTF-8",
    })
    env.pop("GST_PLUGIN_PATH_1_0", None)
    result = subprocess.run(["gst-inspect-1.0", "--no-colors", element],
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit("gst-inspect-1.0 %s failed (%d): %s"
                 % (element, result.returncode, result.stderr))
    return result.stdout


def normalise(text, version):
    lines = []
    for line in text.splitlines():
        line = line.rstrip()
        match = re.match(r"^(  Filename +)(\S.*)$", line)
        if match:
            line = match.group(1) + os.path.basename(match.group(2))
        match = re.match(r"^(  Version +)(\S+)$", line)
        if match and match.group(2) == version:
            line = match.group(1) + "@VERSION@"
        lines.append(line + "\n")
    return "".join(lines)


def main(argv):
    update = "--update" in argv
    args = [a for a in argv if a != "--update"]
    if len(args) != 3:
        sys.exit("usage: inspect_snapshot.py [--update] BUILD_DIR "
                 "SNAPSHOT_DIR PROJECT_VERSION")
    build_dir, snapshot_dir, version = args
    plugin_dir = os.path.join(build_dir, "plugin")
    refresh = REFRESH.replace("<build directory>", build_dir)
    gst_version = gstreamer_version()
    failed = False

    with tempfile.TemporaryDirectory() as tmp:
        registry = os.path.join(tmp, "registry.bin")
        for element in ELEMENTS:
            live = normalise(inspect(element, plugin_dir, registry), version)
            if not update:
                with_env = normalise(inspect(element, plugin_dir, registry,
                                             CALLER_ENV), version)
                if with_env != live:
                    failed = True
                    sys.stdout.writelines(difflib.unified_diff(
                        live.splitlines(keepends=True),
                        with_env.splitlines(keepends=True),
                        "without SYNAPSE_*", "with SYNAPSE_* set"))
                    print("\nFAIL: gst-inspect-1.0 %s shows the caller's "
                          "environment (diff above): a property's default "
                          "must not come from it." % element)
            path = os.path.join(snapshot_dir, element + ".txt")
            if update:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(HEADER % (element, gst_version, REFRESH))
                    f.write(live)
                print("wrote %s" % path)
                continue

            try:
                with open(path, encoding="utf-8") as f:
                    header = f.readline()
                    kept = f.read()
            except FileNotFoundError:
                header, kept = "", ""
            if live == kept:
                print("ok    %s matches %s" % (element, path))
                continue

            failed = True
            sys.stdout.writelines(difflib.unified_diff(
                kept.splitlines(keepends=True),
                live.splitlines(keepends=True),
                path, "gst-inspect-1.0 %s" % element))
            recorded = re.search(r"with GStreamer (\S+),", header)
            print("\nFAIL: gst-inspect-1.0 %s differs from %s (diff above)."
                  % (element, path))
            if recorded and recorded.group(1) != gst_version:
                print("The snapshot was recorded with GStreamer %s, this is"
                      " %s: properties inherited from the base classes may"
                      " differ." % (recorded.group(1), gst_version))
            print("If the element changed on purpose (a property, a blurb,"
                  " a default), refresh the snapshots and commit them with"
                  " the change:\n\n    %s\n\n(or: meson compile -C %s"
                  " update-inspect-snapshots)" % (refresh, build_dir))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
