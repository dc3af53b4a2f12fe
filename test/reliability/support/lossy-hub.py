#!/usr/bin/env python3
"""
A user-space Ethernet hub with packet loss, for the partition tests where the kernel has no netem
(and no tc actions): run inside the switch namespace on the switch-side ends of veth pairs, it
forwards every frame received on one port out of all the others, dropping each forwarded frame with
probability `loss` and everything to or from a port that is `down`.

  ip netns exec SW python3 lossy-hub.py PORT...          then on stdin, one command per line:
    loss 0.1        drop 10% of frames from now on (0 = none)
    down PORT       cut the port off (both directions)     up PORT     reconnect it
    stats           print counters as one JSON line
Prints "ready" when every port is open. Exits when stdin closes. ARP goes through the same loss,
as on a real lossy link.

Also: `lossy-hub.py --tx-csum-off IFACE` turns off TX checksum offload on IFACE (SIOCETHTOOL),
needed on the node ends of veth pairs: a frame with an offloaded (partial) checksum that we copy
from one veth to another would arrive with a bad checksum.
"""
import fcntl
import json
import os
import random
import select
import socket
import struct
import sys
import array

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1F
ETHTOOL_SGSO = 0x24


def ethtool_set(iface: str, cmd: int, value: int) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        data = array.array('I', [cmd, value])
        addr, _ = data.buffer_info()
        ifreq = struct.pack('16sP', iface.encode(), addr)
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
    finally:
        s.close()


def tx_csum_off(iface: str) -> None:
    for cmd in (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_STXCSUM):
        try:
            ethtool_set(iface, cmd, 0)
        except OSError as e:
            print(f'{iface}: ethtool cmd {cmd:#x}: {e}', file=sys.stderr)


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == '--tx-csum-off':
        for iface in sys.argv[2:]:
            tx_csum_off(iface)
        return
    ports = sys.argv[1:]
    socks = {}
    for p in ports:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((p, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setblocking(False)
        socks[s.fileno()] = (p, s)
    loss = 0.0
    down = set()
    stats = {'received': 0, 'forwarded': 0, 'dropped_loss': 0, 'dropped_down': 0, 'send_errors': 0}
    print('ready', flush=True)
    stdin = sys.stdin.fileno()
    buf = b''
    while True:
        ready, _, _ = select.select([stdin, *socks.keys()], [], [], 1.0)
        for fd in ready:
            if fd == stdin:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    return
                buf += chunk
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    parts = line.decode().split()
                    if not parts:
                        continue
                    if parts[0] == 'loss':
                        loss = float(parts[1])
                    elif parts[0] == 'down':
                        down.add(parts[1])
                    elif parts[0] == 'up':
                        down.discard(parts[1])
                    elif parts[0] == 'stats':
                        print(json.dumps({**stats, 'loss': loss, 'down': sorted(down)}), flush=True)
                        continue
                    print('ok', flush=True)
                continue
            name, s = socks[fd]
            for _ in range(64):
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                stats['received'] += 1
                if name in down:
                    stats['dropped_down'] += 1
                    continue
                for ofd, (oname, os_) in socks.items():
                    if ofd == fd:
                        continue
                    if oname in down:
                        stats['dropped_down'] += 1
                        continue
                    if loss > 0 and random.random() < loss:
                        stats['dropped_loss'] += 1
                        continue
                    try:
                        os_.send(frame)
                        stats['forwarded'] += 1
                    except OSError:
                        stats['send_errors'] += 1


if __name__ == '__main__':
    main()
