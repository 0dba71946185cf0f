#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `meson install` writes, and whether it works where it was written.

- Every file the build installs goes under its prefix: `meson introspect
  --installed` lists no destination outside it, and `meson install
  --destdir` writes nothing outside DESTDIR/prefix (an absolute install
  directory taken from the system, such as PyGObject's, would show up as
  a destination outside the prefix).
- The staged install works with only the usual variables pointing into it
  (PYTHONPATH, GI_TYPELIB_PATH, GST_PLUGIN_PATH, LD_LIBRARY_PATH,
  PKG_CONFIG_PATH): /usr/bin/python3 lists events through the installed
  typelib, library and override; gst-launch-1.0 streams them with the
  installed plugin; pkg-config finds synapse-1.0. Each check names the file
  that was loaded, so that a copy installed elsewhere on the machine (an
  older gst-synapse in /usr) cannot pass for this one.

Usage: check_install.py BUILD_DIR
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

BUILD = None
TOKEN = "install-token-41c9"
EVENTS = 30

# What a user sets to use a prefix; everything else comes from a clean
# environment, so nothing of the build tree or of the caller leaks in.
USUAL = ("PYTHONPATH", "GI_TYPELIB_PATH", "GST_PLUGIN_PATH",
         "LD_LIBRARY_PATH", "PKG_CONFIG_PATH")

# PyGObject searches its own overrides directory before any other, so an
# override installed there (a gst-synapse in /usr) shadows the one that
# PYTHONPATH leads to; then the staged one is put first by hand, as the
# suite's tests do, and the rest of the check still holds.
SHADOWED = os.path.exists(os.path.join(os.path.dirname(
    __import__("gi.overrides").overrides.__file__), "Synapse.py"))

PYTHON_SMOKE = r"""
import json, os, sys
import gi
if os.environ.get("SYNAPSE_OVERRIDES_FIRST"):
    import gi.overrides
    gi.overrides.__path__.insert(0, os.environ["SYNAPSE_OVERRIDES_FIRST"])
gi.require_version("Synapse", "1.0")
gi.require_version("GIRepository", "2.0")
from gi.repository import GIRepository, Synapse
client = Synapse.Client.new(sys.argv[1], sys.argv[2])
events = client.list_ground_truth_events(
    {"ground_truth_dataset_versions": 1}, None, True)
with open("/proc/self/maps") as maps:
    library = next(line.split()[-1] for line in maps
                   if "libsynapse-1.0.so" in line)
print(json.dumps({
    "events": len(events[0] if isinstance(events, tuple) else events),
    "override": sys.modules["gi.overrides.Synapse"].__file__,
    "typelib": GIRepository.Repository.get_default().get_typelib_path(
        "Synapse"),
    "library": library,
}))
"""


def meson(*args):
    return subprocess.run(["meson"] + list(args), check=True,
                          capture_output=True, text=True).stdout


def is_under(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


class Install(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        options = {o["name"]: o["value"] for o in
                   json.loads(meson("introspect", "--buildoptions", BUILD))}
        cls.prefix = options["prefix"]
        cls.installed = json.loads(meson("introspect", "--installed",
                                         BUILD))
        cls.tmp = tempfile.TemporaryDirectory(prefix="synapse-install-")
        cls.destdir = os.path.join(cls.tmp.name, "destdir")
        meson("install", "-C", BUILD, "--no-rebuild", "--quiet",
              "--destdir", cls.destdir)
        cls.staged = cls.destdir + cls.prefix

        def staged(*parts):
            return os.path.join(cls.staged, *parts)

        libdir = options["libdir"]
        override = next(d for d in cls.installed.values()
                        if d.endswith("/gi/overrides/Synapse.py"))
        cls.paths = {
            "PYTHONPATH": staged(os.path.relpath(
                os.path.dirname(os.path.dirname(os.path.dirname(override))),
                cls.prefix)),
            "GI_TYPELIB_PATH": staged(libdir, "girepository-1.0"),
            "GST_PLUGIN_PATH": staged(libdir, "gstreamer-1.0"),
            "LD_LIBRARY_PATH": staged(libdir),
            "PKG_CONFIG_PATH": staged(libdir, "pkgconfig"),
        }
        cls.env = {name: value for name, value in os.environ.items()
                   if name not in USUAL and not name.startswith("GST_")
                   and not name.startswith("SYNAPSE_")
                   and not name.startswith("MESON_")}
        cls.env.update(cls.paths)
        if SHADOWED:
            cls.env["SYNAPSE_OVERRIDES_FIRST"] = os.path.join(
                cls.paths["PYTHONPATH"], "gi", "overrides")
        cls.env.update({
            "GST_REGISTRY": os.path.join(cls.tmp.name, "registry.bin"),
            "GIO_USE_PROXY_RESOLVER": "dummy",
            "PYTHONDONTWRITEBYTECODE": "1",
        })

        cls.backend = subprocess.Popen(
            [os.path.join(BUILD, "tests", "backend", "synapse-dev-backend"),
             "--port", "0", "--token", TOKEN, "--versions", "1",
             "--events", str(EVENTS), "--quiet"],
            stdout=subprocess.PIPE, text=True)
        line = cls.backend.stdout.readline()
        if "listening on " not in line:
            cls.backend.kill()
            raise RuntimeError("synapse-dev-backend did not start: %r" % line)
        cls.url = line.split("listening on ", 1)[1].strip()

    @classmethod
    def tearDownClass(cls):
        cls.backend.terminate()
        cls.backend.wait(timeout=10)
        cls.backend.stdout.close()
        cls.tmp.cleanup()

    def run_staged(self, argv):
        result = subprocess.run(argv, env=self.env, capture_output=True,
                                text=True, timeout=120, cwd=self.tmp.name)
        self.assertEqual(result.returncode, 0, "%s failed:\n%s%s"
                         % (argv, result.stdout, result.stderr))
        return result.stdout

    def test_every_destination_lies_under_the_prefix(self):
        outside = [d for d in self.installed.values()
                   if not is_under(d, self.prefix)]
        self.assertEqual(outside, [])

    def test_destdir_install_writes_only_under_destdir_and_prefix(self):
        written = [os.path.join(root, name)
                   for root, _, names in os.walk(self.destdir)
                   for name in names]
        self.assertTrue(written)
        self.assertEqual([p for p in written
                          if not is_under(p, self.staged)], [])
        # and only what introspection promised (a destination is a file or,
        # for the reference docs, a folder)
        promised = [self.destdir + d for d in self.installed.values()]
        self.assertEqual([p for p in written
                          if not any(is_under(p, d) for d in promised)], [])

    def test_python_uses_the_installed_library_typelib_and_override(self):
        loaded = json.loads(self.run_staged(
            ["/usr/bin/python3", "-c", PYTHON_SMOKE, self.url, TOKEN]))
        self.assertEqual(loaded["events"], EVENTS)
        self.assertTrue(is_under(loaded["typelib"], self.staged), loaded)
        self.assertTrue(is_under(loaded["library"], self.staged), loaded)
        self.assertTrue(is_under(loaded["override"], self.staged), loaded)

    def test_gst_launch_uses_the_installed_plugin(self):
        out = os.path.join(self.tmp.name, "events.ndjson")
        inspected = self.run_staged(["gst-inspect-1.0", "synapsegtsrc"])
        filename = next(line.split()[-1] for line in inspected.splitlines()
                        if line.strip().startswith("Filename"))
        self.assertTrue(is_under(filename, self.staged), filename)
        self.run_staged(["gst-launch-1.0", "-q", "synapsegtsrc",
                         "base-url=" + self.url, "access-token=" + TOKEN,
                         "dataset-versions=1", "!", "filesink",
                         "location=" + out])
        with open(out, encoding="utf-8") as events:
            self.assertEqual(len(events.read().splitlines()), EVENTS)

    def test_the_suite_ignores_an_install_first_on_the_paths(self):
        # the staged install stands for an older gst-synapse the machine
        # has: first on every path (and on GStreamer's system path), it
        # must not be what the suite's tests load (they check which files
        # they loaded)
        env = dict(os.environ)
        for name, path in self.paths.items():
            env[name] = os.pathsep.join(filter(None, [path, env.get(name)]))
        env["GST_PLUGIN_SYSTEM_PATH"] = os.pathsep.join(
            [self.paths["GST_PLUGIN_PATH"],
             "/usr/lib/%s/gstreamer-1.0" % os.path.basename(
                 os.path.dirname(self.paths["GST_PLUGIN_PATH"]))])
        result = subprocess.run(
            ["meson", "test", "-C", BUILD, "--no-rebuild", "--logbase",
             "install-decoy", "python-synapse", "python-elements", "client",
             "synapsegtsrc"], env=env, capture_output=True, text=True,
            timeout=600)
        self.assertEqual(result.returncode, 0, result.stdout[-3000:])

    def test_pkg_config_finds_the_installed_library(self):
        pcdir = self.run_staged(["pkg-config", "--variable=pcfiledir",
                                 "synapse-1.0"]).strip()
        self.assertTrue(is_under(pcdir, self.staged), pcdir)


if __name__ == "__main__":
    BUILD = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
