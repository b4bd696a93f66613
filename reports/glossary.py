"""Plain explanations of the jargon a report uses, given once, where a reader first meets the word.

:class:`Glossary` is used while one page renders: ``explain(text)`` escapes the text and, for each term not yet
explained on this page, adds a short explanation after its first use. Render order is reading order, so the
first use on the page gets it. The full list also goes at the end of the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

# Term -> one plain line. Longer terms first where one contains another (LLDP-MED before LLDP).
TERMS: dict[str, str] = {
    "LLDP-MED": "a way for phones and access points to tell the switch what power and network they need",
    "LLDP": "how network devices announce themselves to the equipment they are plugged into",
    "802.1X": "each person or device logs in before the network lets it in",
    "rapid-pvst": "Cisco's fast form of spanning tree, which stops a looped cable from taking the network down",
    "RSTP": "rapid spanning tree, which stops a looped cable from taking the network down",
    "MST": "multiple spanning tree, which stops a looped cable from taking the network down",
    "dBm": "Wi-Fi signal strength; closer to zero is stronger (-50 is strong, -80 is weak)",
    "PoE": "power delivered over the network cable, e.g. to access points and phones",
    "VLAN": "a separate network that shares the same switches and cables",
    "SNMP": "the protocol used to monitor network equipment",
    "SSID": "the name of a Wi-Fi network",
    "PMF": "protected management frames, which stop others knocking devices off the Wi-Fi",
    "WPA3": "the newest Wi-Fi security standard",
    "OWE": "Enhanced Open: encrypted Wi-Fi without a password, for guests",
    "iPSK": "a Wi-Fi password per device instead of one shared by everybody",
    "MAB": "letting a device in by its hardware address when it cannot log in itself",
    "NAC": "network access control: only known, authenticated devices get on the network",
    "UPS": "a battery that keeps equipment running through a power cut",
    "NTP": "keeps device clocks right, so logs show the true time",
    "syslog": "sending a device's logs to a central server",
    "RADIUS": "a central login server for network equipment",
    "TACACS+": "a central login server for network equipment",
    "FTTP": "fibre all the way to the school (full fibre)",
    "FTTC": "fibre to the street cabinet, copper from there to the school",
    "Telnet": "an old way to manage equipment that sends passwords unencrypted",
    "BSSID": "the hardware address of one access point's radio",
    "LACP": "bonding several cables into one faster, resilient link",
}
_PATTERNS = {term: re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])") for term in TERMS}


@dataclass
class Glossary:
    """Explains each term once per rendered page (make a new one for every page)."""

    seen: set[str] = field(default_factory=set)
    said: set[str] = field(default_factory=set)  # explanations already given (two terms can share one)

    def explain(self, text: str | None) -> Markup:
        if not text:
            return Markup("")
        hits: list[tuple[int, int, str]] = []
        for term, pattern in _PATTERNS.items():
            if term in self.seen:
                continue
            match = pattern.search(text)
            if match is None:
                continue
            if any(start <= match.start() < end for start, end, _ in hits):
                continue  # inside a longer term already explained here (LLDP in LLDP-MED)
            hits.append((match.start(), match.end(), term))
        if not hits:
            return Markup(escape(text))
        out: list[str] = []
        pos = 0
        for _start, end, term in sorted(hits):
            self.seen.add(term)
            out.append(escape(text[pos:end]))
            if TERMS[term] not in self.said:
                self.said.add(TERMS[term])
                out.append(f'<span class="gloss"> ({escape(TERMS[term])})</span>')
            pos = end
        out.append(escape(text[pos:]))
        return Markup("".join(out))

    def used(self) -> list[tuple[str, str]]:
        """The terms explained on this page, for the list at its end."""
        return sorted(((t, TERMS[t]) for t in self.seen), key=lambda pair: pair[0].lower())
