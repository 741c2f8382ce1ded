"""Writes N Suricata EVE alert lines (and a flow event every tenth line) for
the --alerts benchmark: usage eve.py N OUT.json. Sources, darknet
destinations and ten signatures of the common families, 2024-01-01 UTC."""
import random
import sys

SIGNATURES = [
    (2001219, "ET SCAN Potential SSH Scan", "Attempted Information Leak"),
    (2023753, "ET SCAN MS Terminal Server Traffic on Non-standard Port", "Attempted Information Leak"),
    (2024217, "ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response", "Attempted Administrator Privilege Gain"),
    (2100366, "GPL ICMP_INFO PING *NIX", "Misc activity"),
    (2010935, "ET SCAN Suspicious inbound to MSSQL port 1433", "Potentially Bad Traffic"),
    (2402000, "ET DROP Dshield Block Listed Source group 1", "Misc Attack"),
    (1917, "INDICATOR-SCAN UPnP service discover attempt", "Detection of a Network Scan"),
    (45552, "SERVER-WEBAPP Netgear DGN1000 series routers arbitrary command execution attempt", "Web Application Attack"),
    (2027973, "ET EXPLOIT Linksys E-Series Device RCE Attempt", "Attempted Administrator Privilege Gain"),
    (2029022, "ET SCAN Mirai Variant User-Agent (Inbound)", "Attempted Administrator Privilege Gain"),
]

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
with open(out, "w") as f:
    for i in range(n):
        sid, text, category = SIGNATURES[rng.randrange(len(SIGNATURES))]
        secs = rng.randrange(86400)
        ts = f"2024-01-01T{secs // 3600:02}:{secs // 60 % 60:02}:{secs % 60:02}.{i % 1000000:06}+0000"
        src = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        dst = f"198.18.{rng.randrange(256)}.{rng.randrange(256)}"
        f.write(f'{{"timestamp":"{ts}","flow_id":{i},"in_iface":"eth1","event_type":"alert","src_ip":"{src}",'
                f'"src_port":{rng.randrange(1024, 65536)},"dest_ip":"{dst}","dest_port":{rng.choice([22, 23, 80, 445, 1433, 3389])},'
                f'"proto":"TCP","alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":3,'
                f'"signature":"{text}","category":"{category}","severity":2}}}}\n')
        if i % 10 == 0:
            f.write(f'{{"timestamp":"{ts}","flow_id":{i},"event_type":"flow","src_ip":"{src}","dest_ip":"{dst}",'
                    f'"proto":"TCP","flow":{{"pkts_toserver":1,"bytes_toserver":60}}}}\n')
