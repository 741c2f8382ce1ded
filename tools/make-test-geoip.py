#!/usr/bin/env python3
"""Write the tiny test databases under tests/data/ used by src/classify/geo.rs.

    python3 -m venv /tmp/geovenv && /tmp/geovenv/bin/pip install mmdb-writer maxminddb
    /tmp/geovenv/bin/python tools/make-test-geoip.py

Outputs (deterministic: fixed build_epoch):
  tests/data/geolite2-country-test.mmdb  GeoLite2-Country schema
      (country.iso_code), plus a few deliberately odd records
  tests/data/iplocationdb-v4-test.mmdb  ip-location-db schema
      (country_code), IPv4-only, so an IPv6 lookup must answer ZZ
  tests/data/asn-only-test.mmdb          a valid .mmdb with no country
      codes at all (GeoLite2-ASN style), which CountryDb::open must refuse

Every value written here is an expectation in geo.rs's tests; change both
together. After writing, the files are read back with the Python
`maxminddb` reader (if installed) as an independent check.
"""
import os
import sys
import time

from mmdb_writer import MMDBWriter
from netaddr import IPSet

# 2026-06-01T00:00:00Z
BUILD_EPOCH = 1780272000
assert time.strftime("%Y-%m-%d", time.gmtime(BUILD_EPOCH)) == "2026-06-01"

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")


class FixedEpochWriter(MMDBWriter):
    def _build_meta(self):
        meta = super()._build_meta()
        meta["build_epoch"] = BUILD_EPOCH
        return meta


def geolite2(iso, name):
    # The shape of a GeoLite2-Country record (trimmed).
    return {
        "continent": {"code": "XX", "geoname_id": 1, "names": {"en": "Somewhere"}},
        "country": {"geoname_id": 2, "iso_code": iso, "names": {"en": name}},
        "registered_country": {"geoname_id": 2, "iso_code": iso, "names": {"en": name}},
    }


# (network, record, expected CountryDb::lookup answer for an address inside)
COUNTRY_RECORDS = [
    ("198.51.100.0/24", geolite2("US", "United States"), "US"),
    ("203.0.113.0/24", geolite2("JP", "Japan"), "JP"),
    ("192.0.2.0/24", geolite2("DE", "Germany"), "DE"),
    # ip-location-db schema in the same file: detection is per record
    ("100.64.0.0/24", {"country_code": "FR"}, "FR"),
    # lowercase is normalised
    ("100.64.1.0/24", geolite2("br", "Brazil"), "BR"),
    # not two letters → ZZ
    ("100.64.2.0/24", geolite2("USA", "Bad"), "ZZ"),
    ("100.64.3.0/24", {"country_code": "1"}, "ZZ"),
    # no country, only registered_country → ZZ (DESIGN: country.iso_code)
    ("100.64.4.0/24", {"registered_country": {"iso_code": "GB"}}, "ZZ"),
    ("2001:db8::/48", geolite2("AU", "Australia"), "AU"),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    w = FixedEpochWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-Country",
        languages=["en"],
        description="darkscope test database (GeoLite2-Country schema), not real data",
    )
    for net, rec, _ in COUNTRY_RECORDS:
        w.insert_network(IPSet([net]), rec)
    country_path = os.path.join(OUT, "geolite2-country-test.mmdb")
    w.to_db_file(country_path)

    v = FixedEpochWriter(
        ip_version=4,
        database_type="ip-location-db-country-test",  # any name: the schema is detected per record
        description="darkscope test database (ip-location-db schema), not real data",
    )
    v.insert_network(IPSet(["203.0.113.0/24"]), {"country_code": "JP"})
    v.insert_network(IPSet(["198.51.100.0/25"]), {"country_code": "US"})
    v4_path = os.path.join(OUT, "iplocationdb-v4-test.mmdb")
    v.to_db_file(v4_path)

    a = FixedEpochWriter(
        ip_version=4,
        database_type="GeoLite2-ASN",
        languages=["en"],
        description="darkscope test database (ASN only), not real data",
    )
    a.insert_network(IPSet(["198.51.100.0/24"]), {
        "autonomous_system_number": 64500,
        "autonomous_system_organization": "Example",
    })
    asn_path = os.path.join(OUT, "asn-only-test.mmdb")
    a.to_db_file(asn_path)

    for p in (country_path, v4_path, asn_path):
        print(f"wrote {os.path.relpath(p)} ({os.path.getsize(p)} bytes)")

    try:
        import maxminddb
    except ImportError:
        print("python maxminddb not installed: skipped the read-back check", file=sys.stderr)
        return
    r = maxminddb.open_database(country_path)
    assert r.metadata().database_type == "GeoLite2-Country"
    assert r.metadata().build_epoch == BUILD_EPOCH
    for net, rec, _ in COUNTRY_RECORDS:
        first = net.split("/")[0]
        probe = first[:-1] + "1" if first.endswith("0") else first + "1"
        got = r.get(probe)
        assert got == rec, (probe, got, rec)
    assert r.get("10.1.2.3") is None
    assert r.get("2001:db8:1::1") is None
    r = maxminddb.open_database(v4_path)
    assert r.metadata().ip_version == 4
    assert r.get("203.0.113.77") == {"country_code": "JP"}
    assert r.get("198.51.100.1") == {"country_code": "US"}
    assert r.get("198.51.100.200") is None
    print("read back OK with python maxminddb", maxminddb.__version__ if hasattr(maxminddb, "__version__") else "")


if __name__ == "__main__":
    main()
