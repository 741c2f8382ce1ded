"""The attack-method ranking of IDS alerts, computed from the README's rule
with the standard library alone (an oracle for `replay --alerts`).

usage: methods.py MAPPING.toml DARKNET_CIDR EXCLUDE_CIDR FILE...

Reads Suricata EVE and Snort 3 alert_json lines (gzip too); keeps alerts to
the darknet not from the excluded prefix; names each by the first
[[method]] whose sids or signature expressions match, else the signature's
family, else its category, else "unclassified"; prints
{"inside", "outside", "excluded", "malformed", "skipped", "signatures" (distinct (gid, sid,
rev, text) inside), "methods": [[key, alerts, sources]]}
ordered by alerts (most first), then key.
"""
import gzip
import ipaddress
import json
import re
import sys
import tomllib


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


def alerts(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                o = json.loads(line)
                if "event_type" in o:
                    if o["event_type"] != "alert":
                        yield ("skip", None)
                        continue
                    a = o["alert"]
                    yield ("alert", (o["src_ip"], o["dest_ip"], a["signature_id"], a.get("signature", ""),
                                     a.get("category", ""), (a.get("gid", 1), a.get("rev", 0))))
                else:
                    src = o.get("src_addr") or o["src_ap"].rsplit(":", 1)[0]
                    dst = o.get("dst_addr") or o["dst_ap"].rsplit(":", 1)[0]
                    if "rule" in o:
                        gid, sid, rev = (int(x) for x in o["rule"].split(":"))
                    else:
                        gid, sid, rev = o.get("gid", 1), o["sid"], o.get("rev", 0)
                    yield ("alert", (src, dst, sid, o.get("msg", ""), o.get("class", ""), (gid, rev)))
            except (ValueError, KeyError, TypeError, AttributeError):
                yield ("malformed", None)


def main():
    mapping = tomllib.load(open(sys.argv[1], "rb")).get("method", [])
    darknet, exclude = ipaddress.ip_network(sys.argv[2]), ipaddress.ip_network(sys.argv[3])
    out = {"inside": 0, "outside": 0, "excluded": 0, "malformed": 0, "skipped": 0}
    per = {}
    signatures = set()
    for path in sys.argv[4:]:
        for kind, a in alerts(path):
            if kind != "alert":
                out["malformed" if kind == "malformed" else "skipped"] += 1
                continue
            src, dst, sid, signature, category, (gid, rev) = a
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
    print(json.dumps(out))


main()
