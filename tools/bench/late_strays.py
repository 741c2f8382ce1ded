"""Appends records to a copy of an Ethernet pcap of one day (as `darkscope
generate --days 1` writes): one TCP SYN at 02:00 of the next day (which
closes the day), then one on each of the COUNT days before the capture's
day, newest first, at noon (each opens a late day), each to DARKNET_ADDR
from a source of its own. Usage: late_strays.py IN OUT COUNT [DARKNET_ADDR]"""

import shutil
import struct
import sys

src, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
dst = bytes(int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else "198.18.0.1").split("."))

with open(src, "rb") as f:
    header = f.read(24)
    first = f.read(16)
magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", header)
if magic not in (0xA1B2C3D4, 0xA1B23C4D) or linktype != 1:
    sys.exit(f"{src}: not a little-endian Ethernet pcap (magic {magic:#x}, link type {linktype})")
first_day = struct.unpack("<I", first[:4])[0] // 86400


def checksum(data):
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn(i):
    source = bytes([10, 0, i >> 8 & 0xFF, i & 0xFF])
    tcp = struct.pack("!HHIIBBHHH", 40000, 23, 1, 0, 5 << 4, 0x02, 1024, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0, 64, 6, 0, source, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp


shutil.copyfile(src, out)
with open(out, "ab") as f:
    for i in range(0, count + 1):
        frame = syn(i)
        ts = (first_day + 1) * 86400 + 7200 if i == 0 else (first_day - i) * 86400 + 43200
        f.write(struct.pack("<IIII", ts, 0, len(frame), len(frame)) + frame)
