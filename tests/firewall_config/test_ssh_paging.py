"""FortiOS paging (console 'output more'): answered with a space, never by changing the console setting.

The simulated FortiGate (fakenos) reads whole lines and cannot page, so this one quirk is replayed against a
scripted channel that behaves like a FortiGate with 'set output more'."""

from __future__ import annotations

import re

from probes.firewall.ssh import _run


class PagingChannel:
    def __init__(self, pages: list[str], prompt: str) -> None:
        self.pages = pages
        self.prompt = prompt
        self.sent: list[str] = []
        self.pending: list[str] = []

    def write_channel(self, data: str) -> None:
        self.sent.append(data)
        if data.endswith("\n"):  # the command: echo it, then the first page
            self.pending = [data.replace("\n", "\r\n"), self.pages[0] + "\r\n--More-- "]
            self.page = 1
        elif data == " ":
            last = self.page == len(self.pages) - 1
            self.pending = ["\r" + self.pages[self.page] + ("\r\n" + self.prompt if last else "\r\n--More-- ")]
            self.page += 1

    def read_channel(self) -> str:
        return self.pending.pop(0) if self.pending else ""


def test_more_prompts_are_answered_with_a_space():
    channel = PagingChannel(["config system global", "    set hostname FGT", "end"], "FGT # ")
    prompt = re.compile(r"FGT\s*(\([^)\n]*\)\s*)?[#$]\s*$")
    out = _run(channel, "show full-configuration", prompt, timeout_s=2)
    assert out == "config system global\n    set hostname FGT\nend\n"
    assert channel.sent == ["show full-configuration\n", " ", " "]  # nothing but the command and two spaces
