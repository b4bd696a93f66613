"""The FortiOS tree parser: structure, quirks of real backups, truncation and bounds."""

from __future__ import annotations

from probes.firewall.fortios_tree import MAX_DEPTH, parse, parse_header


def test_tables_objects_and_nesting():
    tree = parse('config system interface\n    edit "port1"\n        set allowaccess ping https\n'
                 '        config ipv6\n            set ip6-allowaccess ping\n        end\n    next\nend\n'
                 'config system global\n    set hostname "FW 1"\nend\n')
    assert tree.complete and not tree.problems
    port1 = tree.root.section("system interface").entries["port1"]
    assert port1.words("allowaccess") == ["ping", "https"]
    assert port1.section("ipv6").get("ip6-allowaccess") == "ping"
    assert tree.root.section("system global").get("hostname") == "FW 1"


def test_quoted_value_spanning_lines_and_escapes():
    tree = parse('config vpn certificate local\n    edit "c"\n        set comments "one\ntwo \\"quoted\\""\n'
                 '        set private-key "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"\n'
                 '    next\nend\n')
    entry = tree.root.section("vpn certificate local").entries["c"]
    assert entry.get("comments") == 'one\ntwo "quoted"'
    assert entry.get("private-key").startswith("-----BEGIN") and tree.complete


def test_vdom_edit_closed_by_end_and_repeated_config_vdom():
    # Multi-VDOM backups declare the VDOMs first, then give each VDOM's body closed by 'end' (no 'next').
    text = ("config vdom\nedit root\nnext\nedit guest\nnext\nend\n"
            "config global\nconfig system global\nset hostname \"H\"\nend\nend\n"
            "config vdom\nedit root\nconfig firewall policy\nedit 1\nset action accept\nnext\nend\nend\n")
    tree = parse(text)
    assert tree.complete, tree.problems
    vdom = tree.root.section("vdom")
    assert list(vdom.entries) == ["root", "guest"]
    assert vdom.entries["root"].section("firewall policy").entries["1"].get("action") == "accept"
    assert tree.root.section("global").section("system global").get("hostname") == "H"


def test_unset_append_select():
    tree = parse("config system interface\nedit p\nset allowaccess ping\nappend allowaccess https\n"
                 "select allowaccess ssh\nunselect allowaccess ping\nset alias x\nunset alias\nnext\nend\n")
    entry = tree.root.section("system interface").entries["p"]
    assert entry.words("allowaccess") == ["https", "ssh"] and entry.get("alias") is None


def test_truncated_config_marks_open_sections_incomplete():
    tree = parse("config system global\nset hostname a\nend\nconfig firewall policy\n    edit 1\n"
                 "        set action accept\n")
    assert not tree.complete and tree.open_at_end == ["firewall policy"]
    assert tree.root.section("system global").complete
    assert not tree.root.section("firewall policy").complete
    assert any("truncated" in p for p in tree.problems)


def test_stray_keywords_are_reported_with_their_line_not_raised():
    tree = parse("next\nend\nbogus words\nconfig\nconfig a\nend\n")
    assert [p.split(":")[0] for p in tree.problems] == ["line 1", "line 2", "line 3", "line 4"]


def test_nesting_is_bounded():
    deep = "".join(f"config s{i}\n" for i in range(MAX_DEPTH + 10))
    tree = parse(deep)
    assert any(f"deeper than {MAX_DEPTH}" in p for p in tree.problems)


def test_header_lines():
    header = parse_header(["# Version: FortiGate-60F v7.2.8,build1639,240313 (GA.M)", "# HA Health Status: ",
                           "#config-version=FGT60F-7.2.8-FW-build1639-240313:opmode=0:vdom=0:user=admin"])
    assert header["Version"].startswith("FortiGate-60F v7.2.8") and header["HA Health Status"] == ""
    assert header["config-version"].startswith("FGT60F-7.2.8")


def test_fifty_thousand_lines_parse_linearly():
    # Not a timing test (see benchmarks/firewall_config): only that a big config is read whole.
    body = "".join(f'    edit {i}\n        set srcintf "port2"\n        set action accept\n    next\n'
                   for i in range(12_500))
    tree = parse(f"config firewall policy\n{body}end\n")
    assert tree.complete and len(tree.root.section("firewall policy").entries) == 12_500
