#!/usr/bin/python3
"""Every function the GIR (the public headers) declares is exported by
the library, and nothing else is: the library is built with hidden
symbols, so a declaration without SYNAPSE_API would fail to link.

Usage: check_exports.py LIBRARY GIR
"""

import subprocess
import sys
import xml.etree.ElementTree as ET

C_NS = "{http://www.gtk.org/introspection/c/1.0}"


def main():
    library, gir = sys.argv[1], sys.argv[2]
    declared = {
        element.get(C_NS + "identifier")
        for element in ET.parse(gir).iter()
        if element.tag.split("}")[-1] in ("function", "method", "constructor")
        and element.get(C_NS + "identifier")
    }
    # the GIR lists get_type functions as glib:get-type attributes
    declared |= {
        element.get("{http://www.gtk.org/introspection/glib/1.0}get-type")
        for element in ET.parse(gir).iter()
        if element.get("{http://www.gtk.org/introspection/glib/1.0}get-type")
        not in (None, "intern")
    }
    nm = subprocess.run(["nm", "-D", "--defined-only", library],
                        capture_output=True, text=True, check=True).stdout
    exported = {line.split()[-1] for line in nm.splitlines()
                if line.split()[-1].startswith("synapse_")}

    missing = sorted(declared - exported)
    extra = sorted(exported - declared)
    for name in missing:
        print(f"declared but not exported (add SYNAPSE_API): {name}")
    for name in extra:
        print(f"exported but not in the GIR (internal?): {name}")
    print(f"{len(declared)} declared, {len(exported)} exported")
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
