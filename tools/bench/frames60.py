"""Writes a classic pcap of 60-byte Ethernet frames (IPv4 TCP SYNs padded to
the Ethernet minimum) to a darknet /16, for the live-capture benchmarks.
Usage: frames60.py OUT PACKETS [SOURCES]. Sources and destinations cycle
through SOURCES addresses of 203.0.113.0/24-style blocks and the /16."""

import struct
import sys

out, packets = sys.argv[1], int(sys.argv[2])
sources = int(sys.argv[3]) if len(sys.argv) > 3 else 50_000


def checksum(data):
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(packets):
        src = (10 << 24) | (i * 2654435761 % sources)
        dst = (198 << 24) | (18 << 16) | (i * 40503 & 0xFFFF)
        ip = struct.pack(">BBHHHBBHII", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack(">H", checksum(ip)) + ip[12:]
        tcp = struct.pack(">HHIIBBHHH", 40000 + i % 20000, (23, 22, 80, 445, 8080)[i % 5], i, 0, 0x50, 0x02, 1024, 0, 0)
        frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + tcp + b"\x00" * 6
        f.write(struct.pack("<IIII", i // 1_000_000, i % 1_000_000, len(frame), len(frame)))
        f.write(frame)
