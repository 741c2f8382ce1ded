"""The attack-method ranking of IDS alerts, computed from the README's rule
with the standard library alone (an oracle for `replay --alerts`).

usage: methods.py MAPPING.toml DARKNET_CIDR EXCLUDE_CIDR FILE...

Reads Suricata EVE and Snort 3 alert_json lines (gzip, xz, zstd too); keeps alerts to
the darknet not from the excluded prefix; names each by the first
[[method]] whose sids or signature expressions match, else the signature's
family, else its category, else "unclassified"; prints
{"inside", "outside", "excluded", "malformed", "skipped", "signatures" (distinct (gid, sid,
rev, text) inside), "methods": [[key, alerts, sources]]}
ordered by alerts (most first), then key.
"""
import datetime
import gzip
import ipaddress
import json
import lzma
import re
import subprocess
import sys
import tomllib


def utc_day(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d")


def family(signature):
    words = signature.split()
    if not words:
        return None
    capitals = lambda w: all(c.isascii() and (c.isupper() or c.isdigit() or c in "_-") for c in w)
    if words[0] in ("ET", "ETPRO", "GPL"):
        return " ".join(words[:2]) if len(words) > 1 and capitals(words[1]) else None
    first = words[0]
    return first if "-" in first and capitals(first) and any(c.isupper() for c in first) else None


def method_of(mapping, sid, signature, category):
    for m in mapping:
        for spec in m.get("sids", []):
            lo, _, hi = str(spec).partition("-")
            if int(lo) <= sid <= int(hi or lo):
                return m["name"]
        if any(re.search(p, signature) for p in m.get("signatures", [])):
            return m["name"]
    return family(signature) or category.strip() or "unclassified"


def text(path):
    """The file's lines, decompressed by its magic bytes (zstd by the zstd program)."""
    head = open(path, "rb").read(6)
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rt").read().splitlines()
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rt").read().splitlines()
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True, text=True).stdout.splitlines()
    return open(path).read().splitlines()


def alerts(path):
    for line in text(path):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
            if "event_type" in o:
                if o["event_type"] != "alert":
                    yield ("skip", None)
                    continue
                a = o["alert"]
                when = datetime.datetime.strptime(o["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
                yield ("alert", (o["src_ip"], o["dest_ip"], a["signature_id"], a.get("signature", ""),
                                 a.get("category", ""), (a.get("gid", 1), a.get("rev", 0)), utc_day(when)))
            else:
                src = o.get("src_addr") or o["src_ap"].rsplit(":", 1)[0]
                dst = o.get("dst_addr") or o["dst_ap"].rsplit(":", 1)[0]
                if "rule" in o:
                    gid, sid, rev = (int(x) for x in o["rule"].split(":"))
                else:
                    gid, sid, rev = o.get("gid", 1), o["sid"], o.get("rev", 0)
                if "seconds" in o:
                    when = datetime.datetime.fromtimestamp(o["seconds"], datetime.timezone.utc)
                else:
                    when = datetime.datetime.strptime(o["timestamp"] + "+0000", "%y/%m/%d-%H:%M:%S.%f%z")
                yield ("alert", (src, dst, sid, o.get("msg", ""), o.get("class", ""), (gid, rev), utc_day(when)))
        except (ValueError, KeyError, TypeError, AttributeError):
            yield ("malformed", None)


def main():
    print(json.dumps(count(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])))


def count(mapping_path, darknet, exclude, paths, days=None):
    """The counts of main(); with `days` (first, last "YYYY-MM-DD"), of the alerts of those UTC days only."""
    mapping = tomllib.load(open(mapping_path, "rb")).get("method", [])
    darknet, exclude = ipaddress.ip_network(darknet), ipaddress.ip_network(exclude)
    out = {"inside": 0, "outside": 0, "excluded": 0, "malformed": 0, "skipped": 0}
    per = {}
    signatures = set()
    for path in paths:
        for kind, a in alerts(path):
            if kind != "alert":
                out["malformed" if kind == "malformed" else "skipped"] += 1
                continue
            src, dst, sid, signature, category, (gid, rev), day = a
            if days and not days[0] <= day <= days[1]:
                continue
            if ipaddress.ip_address(src) in exclude:
                out["excluded"] += 1
            elif ipaddress.ip_address(dst) not in darknet:
                out["outside"] += 1
            else:
                out["inside"] += 1
                signatures.add((gid, sid, rev, signature))
                entry = per.setdefault(method_of(mapping, sid, signature, category), [0, set()])
                entry[0] += 1
                entry[1].add(src)
    rows = sorted(([k, n, len(s)] for k, (n, s) in per.items()), key=lambda r: (-r[1], r[0]))
    out["methods"] = rows
    out["signatures"] = len(signatures)
    out["per_method"] = {k: [n, len(s)] for k, (n, s) in per.items()}
    return out


if __name__ == "__main__":
    main()
