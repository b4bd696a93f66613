"""Connect scan (no privileges) and UDP probes.

TCP connect: answered (open), refused (closed: a RST), an ICMP unreachable error (rejected), or silence
(filtered). The kernel reports every ICMP "prohibited" code except admin-prohibited as "connection refused"
on a TCP socket, so a connect scan can show such a port as closed; the SYN scan reads the ICMP itself.

UDP: one datagram a real implementation of the service answers (an NTP client request, a TFTP read of a file
that does not exist, an SNMPv3 discovery message or, with a configured community only, an SNMPv2c get of
sysDescr, an IKE proposal, a DNS query). The ICMP error, when there is one, is read from the socket's error
queue (IP_RECVERR) with its exact type and code, which needs no privileges. No answer at all is "filtered"
(reason ``no-response``): UDP cannot tell a silent service from a dropped packet.
"""

from __future__ import annotations

import asyncio
import errno
import os
import select
import socket
import struct
import time

from probes.firewall.rawsyn import ICMP_UNREACH, Result

IP_RECVERR = 11
SO_EE_ORIGIN_ICMP = 2


async def connect_scan(pairs: list[tuple[str, int]], rate_pps: float, timeout_s: float, retries: int) -> Result:
    results: Result = {}
    interval = 1.0 / rate_pps
    limit = asyncio.Semaphore(max(1, min(512, int(rate_pps * timeout_s * 2) + 1)))

    async def one(address: str, port: int, start_at: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        async with limit:
            results[(address, port)] = await _connect(address, port, timeout_s)

    for _attempt in range(retries + 1):
        pending = [p for p in pairs if results.get(p, ("filtered",))[0] == "filtered"]
        if not pending:
            break
        start = time.monotonic()
        await asyncio.gather(*(one(a, p, start + i * interval) for i, (a, p) in enumerate(pending)))
    return results


async def _connect(address: str, port: int, timeout_s: float) -> tuple[str, str]:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout_s)
    except TimeoutError:
        return ("filtered", "no-response")
    except ConnectionRefusedError:
        return ("closed", "reset")
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM):
            return ("rejected", os.strerror(exc.errno or 0).lower())
        return ("filtered", f"error: {exc.strerror or exc}")
    writer.transport.abort()  # a RST, not a FIN handshake: nothing is said to the service
    return ("open", "connected")


def _ber_len(n: int) -> bytes:
    return bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2, "big")


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _ber_len(len(value)) + value


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


SYS_DESCR_OID = bytes([0x2B, 6, 1, 2, 1, 1, 1, 0])  # 1.3.6.1.2.1.1.1.0


def snmp_v2c_get_sysdescr(community: str, request_id: int = 0x5C4E) -> bytes:
    varbind = _tlv(0x30, _tlv(0x06, SYS_DESCR_OID) + b"\x05\x00")
    pdu = _tlv(0xA0, _int(request_id) + _int(0) + _int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)


def snmp_v3_discovery(msg_id: int = 0x4A69) -> bytes:
    """The RFC 3414 discovery request (no user, no community): every SNMPv3 agent answers with a report."""
    header = _tlv(0x30, _int(msg_id) + _int(65507) + _tlv(0x04, b"\x04") + _int(3))
    usm = _tlv(0x04, _tlv(0x30, _tlv(0x04, b"") + _int(0) + _int(0) + _tlv(0x04, b"") + _tlv(0x04, b"")
                          + _tlv(0x04, b"")))
    scoped = _tlv(0x30, _tlv(0x04, b"") + _tlv(0x04, b"") + _tlv(0xA0, _int(0x37F0) + _int(0) + _int(0)
                                                                 + _tlv(0x30, b"")))
    return _tlv(0x30, _int(3) + header + usm + scoped)


def snmp_octet_strings(data: bytes) -> list[bytes]:
    """Every OCTET STRING in a BER message, in order (the last one of a get response is the value)."""
    found: list[bytes] = []

    def walk(buf: bytes, depth: int) -> None:
        i = 0
        while i + 2 <= len(buf) and depth < 12:
            tag, length = buf[i], buf[i + 1]
            i += 2
            if length & 0x80:
                count = length & 0x7F
                length = int.from_bytes(buf[i:i + count], "big")
                i += count
            value = buf[i:i + length]
            if tag == 0x04:
                found.append(value)
            elif tag & 0x20:  # constructed: look inside
                walk(value, depth + 1)
            i += length

    walk(data, 0)
    return found


def _ike_proposal() -> bytes:
    """An IKEv1 main-mode first message with one common proposal (3DES, SHA1, pre-shared key, group 2)."""
    attributes = b"".join(struct.pack("!HH", 0x8000 | t, v) for t, v in ((1, 5), (2, 2), (3, 1), (4, 2), (11, 1)))
    attributes += struct.pack("!HHI", 12, 4, 28800)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attributes), 1, 1, 0) + attributes
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!BBHII", 0, 0, 12 + len(proposal), 1, 1) + proposal
    header = os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0, 28 + len(sa))
    return header + sa


def udp_payload(port: int, community: str | None) -> bytes:
    if port == 123:
        return b"\x23" + bytes(47)  # NTP v4 client request
    if port == 69:
        return b"\x00\x01schoolnet-probe-no-such-file\x00octet\x00"  # TFTP read request
    if port == 161:
        return snmp_v2c_get_sysdescr(community) if community else snmp_v3_discovery()
    if port == 500:
        return _ike_proposal()
    if port == 53:
        return struct.pack("!HHHHHH", 0x5C4E, 0x0100, 1, 0, 0, 0) + b"\x00\x00\x02\x00\x01"  # root NS
    return b""


def udp_scan(pairs: list[tuple[str, int]], rate_pps: float, timeout_s: float, retries: int,
             community: str | None) -> tuple[Result, dict[tuple[str, int], bytes]]:
    """Probe each (address, port) once per try; returns states and the first reply of each open port."""
    results: Result = {}
    replies: dict[tuple[str, int], bytes] = {}
    sockets: dict[socket.socket, tuple[str, int]] = {}
    try:
        for key in pairs:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            sock.setblocking(False)
            sock.connect(key)
            sockets[sock] = key
        interval = 1.0 / rate_pps
        for _attempt in range(retries + 1):
            pending = [s for s, key in sockets.items() if key not in results]
            if not pending:
                break
            next_send = time.monotonic()
            for sock in pending:
                _drain(list(sockets), sockets, results, replies, max(0.0, next_send - time.monotonic()))
                try:
                    sock.send(udp_payload(sockets[sock][1], community))
                except OSError as exc:
                    results.setdefault(sockets[sock], _error_state(sock, exc))
                next_send = max(next_send + interval, time.monotonic())
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and len(results) < len(sockets):
                _drain(list(sockets), sockets, results, replies, deadline - time.monotonic())
    finally:
        for sock in sockets:
            sock.close()
    for key in pairs:
        results.setdefault(key, ("filtered", "no-response"))
    return results, replies


def _drain(socks: list[socket.socket], index: dict[socket.socket, tuple[str, int]], results: Result,
           replies: dict[tuple[str, int], bytes], wait_s: float) -> None:
    readable, _, errored = select.select(socks, [], socks, wait_s)
    for sock in set(readable) | set(errored):
        key = index[sock]
        if key in results:
            try:
                sock.recv(4096)
            except OSError:
                pass
            continue
        try:
            data = sock.recv(4096)
            results[key] = ("open", "udp-response")
            replies[key] = data
        except BlockingIOError:
            continue
        except OSError as exc:
            results[key] = _error_state(sock, exc)


def _error_state(sock: socket.socket, exc: OSError) -> tuple[str, str]:
    """The ICMP error behind ``exc``, from the socket's error queue (exact type and code)."""
    try:
        _, ancillary, _, _ = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
        for level, kind, data in ancillary:
            if level == socket.IPPROTO_IP and kind == IP_RECVERR and len(data) >= 8:
                _errno, origin, icmp_type, code = struct.unpack("=IBBB", data[:7])
                if origin == SO_EE_ORIGIN_ICMP and icmp_type == 3:
                    reason = ICMP_UNREACH.get(code, f"unreach-code-{code}")
                    return ("closed", reason) if code == 3 else ("rejected", reason)
    except OSError:
        pass
    if exc.errno == errno.ECONNREFUSED:
        return ("closed", "port-unreach")
    return ("rejected", os.strerror(exc.errno or 0).lower())
