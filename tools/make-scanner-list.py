#!/usr/bin/env python3
"""Builds darkscope's default research-scanner list, data/scanners/research-scanners.txt,
from the MISP warninglists scanner files (CC0 1.0) in ../shared/data/scanners/.

    tools/make-scanner-list.py [SOURCE_DIR] [SNAPSHOT_NOTE]

One `CIDR organisation` per line (the format of `--scanners FILE`), sorted by
address; '#' lines are comments. The organisation is the file name without
its -nt-scanning / -scanning / -scanner suffix. A range listed by several
files keeps the first organisation in name order. Standard library only.
"""

import ipaddress
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data" / "scanners"
snapshot = sys.argv[2] if len(sys.argv) > 2 else "MISP/misp-warninglists lists/*scan*, main branch of 2026-08-20 (commit 84f0610)"
out = root / "data" / "scanners" / "research-scanners.txt"

ranges = {}
files = sorted(source.glob("*.json"))
if not files:
    sys.exit(f"no *.json scanner lists in {source}")
for path in files:
    org = path.stem
    for suffix in ("-nt-scanning", "-scanning", "-scanner"):
        if org.endswith(suffix):
            org = org[: -len(suffix)]
            break
    for text in json.loads(path.read_text())["list"]:
        net = ipaddress.ip_network(text.strip(), strict=False)
        ranges.setdefault(net, org)

lines = [
    "# darkscope default research-scanner list: CIDR organisation",
    f"# source: {snapshot}",
    "# licence: CC0 1.0 (MISP warninglists); converted by tools/make-scanner-list.py",
    f"# {len(ranges)} ranges, {len(set(ranges.values()))} organisations",
]
for net in sorted(ranges, key=lambda n: (n.version, n.network_address, n.prefixlen)):
    lines.append(f"{net} {ranges[net]}")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out} ({len(ranges)} ranges)")
