#!/usr/bin/env python3
"""Writes a classic pcap of hostile floods for tools/bench/floods.sh: every
packet a TCP SYN from its own source within one UTC day.

  flood.py OUT.pcap PACKETS MODE

MODE:
  random6    every packet from its own random IPv6 source (a spoofed-source
             flood), to 2001:db8::/32
  random4    65,536 IPv4 sources spread over the address space (a counter
             times an odd constant), to 198.18.0.0/15: the control
  colliding  65,536 IPv4 sources crafted to collide in a table hashed on
             the low bits of the address (k << 16 | 0x1234: all share their
             low 16 bits), to 198.18.0.0/15

Every packet a SYN to 445/tcp, destinations spread over the darknet,
timestamps evenly over 2024-01-01. Standard library only."""

import struct
import sys

DAY = 1704067200  # 2024-01-01T00:00:00Z


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    out, packets, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    v6 = mode == "random6"
    eth = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + (b"\x86\xdd" if v6 else b"\x08\x00")
    tcp_rest = struct.pack("!IIBBHHH", 0, 0, 0x50, 0x02, 1024, 0, 0)  # seq ack off flags win csum urg
    with open(out, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        step = 86_400_000_000 // max(packets, 1)  # microseconds
        for i in range(packets):
            us = i * step
            if v6:
                x = (i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & ((1 << 64) - 1)
                src = struct.pack("!QQ", x, x ^ 0x5555)
            elif mode == "colliding":
                src = struct.pack("!I", (i % 65536) << 16 | 0x1234)
            else:
                src = struct.pack("!I", ((i % 65536) * 2654435761 + 12345) & 0xFFFFFFFF)
            dport = 445
            sport = 1024 + i % 60000
            tcp = struct.pack("!HH", sport, dport) + tcp_rest
            if v6:
                dst = b"\x20\x01\x0d\xb8" + struct.pack("!Q", i * 0x2545F4914F6CDD1D & ((1 << 64) - 1)) + b"\0\0\0\1"
                ip = struct.pack("!IHBB", 0x60000000, len(tcp), 6, 64) + src + dst
            else:
                dst = struct.pack("!I", 0xC6120000 | (i * 2654435761) & 0x1FFFF)
                ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0) + src + dst
                ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = eth + ip + tcp
            f.write(struct.pack("<IIII", DAY + us // 1_000_000, us % 1_000_000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
