#!/usr/bin/env python3
"""Builds data/asn/asn.dsasn.zst, the bundled origin-AS table, from the npm
package @ip-location-db/asn (CC BY 4.0: RouteViews, NRO and DB-IP's IP to
ASN Lite; see data/asn/LICENSE). No Python packages needed; npm, tar and
zstd must be installed.

    python3 tools/make-asn-db.py                      # latest version
    python3 tools/make-asn-db.py 2.3.2026061719       # a given version
    python3 tools/make-asn-db.py --from DIR           # an unpacked package

The package's CSVs (`start,end,asn,organisation`, inclusive ranges) become
sorted range starts, each holding until the next start: adjacent ranges of
one AS are merged and unrouted gaps get AS 0 (none). Format, little-endian:
magic `DSASN001`; u32 length + UTF-8 description; u32 n + n x (u32 start,
u32 asn) for IPv4; u32 n + n x (u128 start, u32 asn) for IPv6; u32 n + n x
(u32 asn, u16 length, UTF-8 name), sorted by AS number. src/classify/asn.rs
reads it; `darkscope replay --asn-db FILE` takes this format or the CSVs.

It also writes tests/data/asn-samples.json: the origin AS, looked up in the
CSV rows themselves (not in the built table), of the first, middle and last
address of every block the generator draws sources from
(src/generate/geo.rs) and of 2,000 seeded random IPv4 addresses, which
the tests look up in the bundled table.
"""

import bisect
import csv
import json
import random
import re
import pathlib
import struct
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
dest = root / "data" / "asn" / "asn.dsasn.zst"


def package_dir(argv):
    if len(argv) > 2 and argv[1] == "--from":
        return pathlib.Path(argv[2]), None
    tmp = tempfile.TemporaryDirectory()
    spec = "@ip-location-db/asn" + (f"@{argv[1]}" if len(argv) > 1 else "")
    out = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp.name, check=True, capture_output=True, text=True)
    tarball = pathlib.Path(tmp.name) / out.stdout.strip().splitlines()[-1]
    subprocess.run(["tar", "-xzf", str(tarball), "-C", tmp.name], check=True)
    return pathlib.Path(tmp.name) / "package", tmp


def ranges(path, top):
    """(start, asn) entries covering [0, top] from the inclusive CSV rows."""
    rows = []
    names = {}
    with open(path, newline="", encoding="utf-8") as f:
        for start, end, asn, *org in csv.reader(f):
            rows.append((int(start), int(end), int(asn)))
            if org and org[0]:
                names.setdefault(int(asn), org[0])
    rows.sort()
    out = []
    covered = 0  # the first address not yet given an entry
    for start, end, asn in rows:
        if end < covered:
            continue
        start = max(start, covered)
        if start > covered and (not out or out[-1][1] != 0):
            out.append((covered, 0))
        if not out or out[-1][1] != asn:
            out.append((start, asn))
        covered = end + 1
    if covered <= top:
        out.append((covered, 0))
    return out, names


def main():
    pkg, tmp = package_dir(sys.argv)
    meta = json.loads((pkg / "package.json").read_text())
    v4, names4 = ranges(pkg / "asn-ipv4-num.csv", 2**32 - 1)
    v6, names6 = ranges(pkg / "asn-ipv6-num.csv", 2**128 - 1)
    names = {**names6, **names4}
    description = (f"ip-location-db asn {meta['version']} (RouteViews, NRO and DB-IP IP to ASN Lite; CC BY 4.0)")
    blob = bytearray(b"DSASN001")
    text = description.encode()
    blob += struct.pack("<I", len(text)) + text
    blob += struct.pack("<I", len(v4))
    for start, asn in v4:
        blob += struct.pack("<II", start, asn)
    blob += struct.pack("<I", len(v6))
    for start, asn in v6:
        blob += start.to_bytes(16, "little") + struct.pack("<I", asn)
    blob += struct.pack("<I", len(names))
    for asn in sorted(names):
        name = names[asn].encode()[:65535]
        blob += struct.pack("<IH", asn, len(name)) + name
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = dest.with_suffix("")
    raw.write_bytes(blob)
    subprocess.run(["zstd", "-19", "-q", "-f", "--rm", str(raw), "-o", str(dest)], check=True)
    print(f"wrote {dest} ({dest.stat().st_size} bytes): {len(v4)} IPv4 and {len(v6)} IPv6 ranges, "
          f"{len(names)} AS names; {description}")
    samples(pkg / "asn-ipv4-num.csv", description)
    if tmp:
        tmp.cleanup()


def samples(path, description):
    """The AS of sample addresses straight from the inclusive CSV rows."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = sorted((int(r[0]), int(r[1]), int(r[2])) for r in csv.reader(f))
    starts = [r[0] for r in rows]

    def lookup(addr):
        # The row starting last at or before addr; the earliest-starting
        # row wins where rows overlap (as the built table keeps it).
        hits = [r for r in rows[max(0, bisect.bisect_right(starts, addr) - 64):bisect.bisect_right(starts, addr)]
                if r[0] <= addr <= r[1]]
        return min(hits)[2] if hits else 0

    geo = (root / "src" / "generate" / "geo.rs").read_text()
    addresses = []
    for a, b, c, d, prefix in re.findall(r"\(\[(\d+), (\d+), (\d+), (\d+)\], (\d+), \*b\"[A-Z]{2}\"\)", geo):
        first = (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)
        size = 1 << (32 - int(prefix))
        addresses += [first, first + size // 2, first + size - 1]
    rng = random.Random(20261203)
    addresses += [rng.randrange(1 << 24, 224 << 24) for _ in range(2000)]
    out = {"description": description, "samples": [[a, lookup(a)] for a in addresses]}
    target = root / "tests" / "data" / "asn-samples.json"
    target.write_text(json.dumps(out) + "\n")
    print(f"wrote {target} ({len(addresses)} addresses)")


main()
