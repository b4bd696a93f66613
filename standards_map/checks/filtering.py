"""Filtering checks: what a pupil's browser met on each network segment, safe search, and the audit's segments.

DfE (filtering and monitoring standard): filtering blocks, as a minimum, illegal child abuse material
(IWF list), unlawful terrorist content (CTIRU list) and adult content, across devices, sites and user
groups; at least separate staff and student profiles; non-managed devices on a separate, filtered network;
safe search on by default and locked; VPNs and proxies used to get round the filter blocked.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract.evidence.filtering import (
    ADULT_CATEGORIES,
    CIRCUMVENTION_CATEGORIES,
    ILLEGAL_CATEGORIES,
    FilteringAudit,
    FilteringSafeSearch,
    FilteringTest,
    UrlTest,
)
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, passed, unknown, warned


def _n(count: int, what: str) -> str:
    """'1 adult-content test address' / '3 adult-content test addresses'."""
    return f"{count} {what} test address" + ("" if count == 1 else "es")


def _urls(tests: Sequence[UrlTest], limit: int = 3) -> str:
    shown = ", ".join(t.url for t in tests[:limit])
    return shown + (f" and {len(tests) - limit} more" if len(tests) > limit else "")


def _all_blocked(
    ev: FilteringTest, categories: Sequence[str], what: str, how_to_add: str, *, each: bool = True
) -> Outcome:
    """Every test address of these categories blocked; with ``each``, every category must have one."""
    tests = ev.in_categories(categories)
    where = f"the {ev.segment} network"
    missing = [c for c in categories if not ev.in_categories([c])] if each else []
    blocked = [t for t in tests if t.outcome == "blocked"]
    allowed = [t for t in tests if t.outcome == "allowed"]
    unsure = [t for t in tests if t.outcome == "unknown"]
    measured = f"{len(blocked)} of {len(tests)} blocked" if tests else "no test addresses"
    expected = f"every {what} test address blocked"
    if allowed:
        return failed(f"{len(allowed)} of {_n(len(tests), what)} reachable from {where}: {_urls(allowed)}.",
                      measured, expected)
    if not tests:
        return unknown(f"The test list has no {what} test addresses ({', '.join(categories)}); {how_to_add}",
                       measured, expected)
    if unsure:
        return unknown(f"{_n(len(unsure), what)} could not be told from {where}: {unsure[0].url} "
                       f"({unsure[0].detail}).", measured, expected)
    hows = ", ".join(sorted({t.how for t in blocked if t.how}))
    if missing:
        return unknown(f"Blocked from {where}: {_n(len(tests), what)} ({hows}), but the list has none for "
                       f"{', '.join(missing)}; {how_to_add}", measured, expected)
    return passed(f"Blocked from {where}: all of {_n(len(tests), what)} ({hows}).", measured, expected)


@check(evidence=FilteringTest)
def filtering_illegal_content_blocked(ev: FilteringTest, *, categories: list[str] | None = None) -> Outcome:
    """Pass when every IWF (child abuse) and CTIRU (terrorist content) test address is blocked on this segment."""
    return _all_blocked(
        ev, categories or list(ILLEGAL_CATEGORIES), "illegal-content",
        "add the IWF and CTIRU test addresses your filtering provider or SWGfL gives you, as 'iwf,URL' and "
        "'ctiru,URL' lines (schoolnet never ships addresses of illegal content).",
    )


@check(evidence=FilteringTest)
def filtering_adult_content_blocked(ev: FilteringTest, *, categories: list[str] | None = None) -> Outcome:
    """Pass when every adult-content test address is blocked on this segment."""
    return _all_blocked(ev, categories or list(ADULT_CATEGORIES), "adult-content",
                        "add your provider's adult-content test address as an 'adult,URL' line.")


@check(evidence=FilteringTest)
def filtering_categories_blocked(ev: FilteringTest) -> Outcome:
    """Pass when this segment blocks every category the school expects it to block (and allows its 'allowed' ones)."""
    if not ev.expect_blocked and not ev.expect_allowed:
        return unknown(f"No expectations are set for the {ev.segment} segment ([[filtering.segments]] "
                       "expect_blocked / expect_allowed), so its categories cannot be judged.")
    leaks = [t for t in ev.in_categories(ev.expect_blocked) if t.outcome == "allowed"]
    over = [t for t in ev.in_categories(ev.expect_allowed) if t.outcome == "blocked"]
    untested = [c for c in [*ev.expect_blocked, *ev.expect_allowed] if not ev.in_categories([c])]
    unsure = [t for t in ev.in_categories([*ev.expect_blocked, *ev.expect_allowed]) if t.outcome == "unknown"]
    expected = f"blocked: {', '.join(ev.expect_blocked) or 'none'}; allowed: {', '.join(ev.expect_allowed) or 'none'}"
    tested = len(ev.in_categories([*ev.expect_blocked, *ev.expect_allowed]))
    measured = f"{tested - len(leaks) - len(over) - len(unsure)} of {tested} as expected"
    if leaks:
        cats = ", ".join(sorted({t.category for t in leaks}))
        return failed(f"The {ev.segment} network lets through {len(leaks)} address(es) in categories it should "
                      f"block ({cats}): {_urls(leaks)}.", measured, expected)
    if over:
        return warned(f"The {ev.segment} network blocks {len(over)} address(es) it should allow "
                      f"({_urls(over)}): check teaching is not held up.", measured, expected)
    if unsure:
        return unknown(f"{len(unsure)} address(es) could not be told: {unsure[0].url} ({unsure[0].detail}).",
                       measured, expected)
    if untested:
        return unknown(f"The test list has no addresses for {', '.join(untested)}, expected on the {ev.segment} "
                       "segment.", measured, expected)
    return passed(f"The {ev.segment} network blocks and allows what the school expects ({tested} addresses).",
                  measured, expected)


@check(evidence=FilteringSafeSearch)
def filtering_safesearch_enforced(ev: FilteringSafeSearch) -> Outcome:
    """Pass when Google, YouTube, Bing and DuckDuckGo resolve to their enforced safe-search endpoints."""
    off = [e for e in ev.engines if e.enforced is False]
    unsure = [e for e in ev.engines if e.enforced is None]
    on = [e for e in ev.engines if e.enforced]
    measured = f"{len(on)} of {len(ev.engines)} engines enforced"
    expected = "every engine forced to its safe-search endpoint"
    if off:
        return failed(f"Safe search is not enforced on the {ev.segment} network for "
                      f"{', '.join(e.engine for e in off)} ({off[0].detail}).", measured, expected)
    if unsure or not ev.engines:
        detail = unsure[0].detail if unsure else "no engine was checked"
        return unknown(f"Safe search could not be told for {', '.join(e.engine for e in unsure) or 'any engine'} "
                       f"on the {ev.segment} network ({detail}).", measured, expected)
    return passed(f"Safe search is enforced by DNS on the {ev.segment} network for "
                  f"{', '.join(e.engine for e in on)}.", measured, expected)


@check(evidence=FilteringTest)
def filtering_circumvention_blocked(ev: FilteringTest, *, categories: list[str] | None = None) -> Outcome:
    """Pass when every proxy / VPN / DNS-over-HTTPS test address in the list is blocked on this segment."""
    return _all_blocked(ev, categories or list(CIRCUMVENTION_CATEGORIES), "proxy/VPN",
                        "add public proxy and VPN sites as 'proxy,URL' / 'vpn,URL' / 'doh,URL' lines (the firewall "
                        "egress test covers VPN and DNS-bypass ports).", each=False)


@check(evidence=FilteringAudit)
def filtering_profiles_differ(ev: FilteringAudit, *, same_everywhere: list[str] | None = None) -> Outcome:
    """Pass when the student segment blocks more than the staff segment (separate profiles, not one blanket one)."""
    staff, students = ev.of_role("staff"), ev.of_role("student")
    if not staff or not students:
        missing = " and ".join(r for r, s in (("staff", staff), ("student", students)) if not s)
        return unknown(f"No run from a {missing} segment in the last {ev.window_days} days: run `schoolnet "
                       "filtering test` on each network to compare the profiles.")
    fixed = {c.lower() for c in (same_everywhere or [*ILLEGAL_CATEGORIES, *ADULT_CATEGORIES])}
    findings: list[Outcome] = []
    for st in staff:
        for pupil in students:
            common = (set(st.blocked) | set(st.allowed)) & (set(pupil.blocked) | set(pupil.allowed))
            comparable = {k for k in common if k.split(",", 1)[0] not in fixed}
            staff_blocked = set(st.blocked) & comparable
            pupil_blocked = set(pupil.blocked) & comparable
            pair = f"{pupil.segment} vs {st.segment}"
            measured = f"{pair}: {len(pupil_blocked)} vs {len(staff_blocked)} of {len(comparable)} blocked"
            looser = sorted(staff_blocked - pupil_blocked)
            if not comparable:
                findings.append(unknown(
                    f"{pair}: the test list has no category where staff and student profiles may differ "
                    "(add, for example, social media or games addresses).", measured))
            elif looser:
                urls = ", ".join(k.split(",", 1)[1] for k in looser[:3])
                findings.append(failed(f"Students ({pupil.segment}) can reach {len(looser)} address(es) that "
                                       f"staff ({st.segment}) cannot: {urls}.", measured,
                                       "student blocks more than staff"))
            elif pupil_blocked == staff_blocked:
                findings.append(failed(f"Staff ({st.segment}) and students ({pupil.segment}) are filtered the same "
                                       f"way ({len(pupil_blocked)} of {len(comparable)} blocked): DfE asks for at "
                                       "least separate staff and student profiles.", measured,
                                       "student blocks more than staff"))
            else:
                findings.append(passed(f"Students ({pupil.segment}) have {len(pupil_blocked - staff_blocked)} more "
                                       f"address(es) blocked than staff ({st.segment}).", measured,
                                       "student blocks more than staff"))
    order = {"fail": 0, "unknown": 1, "warn": 2, "pass": 3}
    return min(findings, key=lambda o: order.get(o.status.value, 4))


@check(evidence=FilteringAudit)
def filtering_guest_filtered(ev: FilteringAudit, *, categories: list[str] | None = None) -> Outcome:
    """Pass when the guest segment (non-managed devices) blocks the illegal and adult test addresses too."""
    wanted = [c.lower() for c in (categories or [*ILLEGAL_CATEGORIES, *ADULT_CATEGORIES])]
    guests = ev.of_role("guest")
    if not guests:
        return unknown(f"No run from a guest segment in the last {ev.window_days} days: run `schoolnet filtering "
                       "test --segment guest` from the guest Wi-Fi.")
    findings: list[Outcome] = []
    for guest in guests:
        rows = {c: n for c, n in guest.categories.items() if c.lower() in wanted}
        blocked = sum(n.blocked for n in rows.values())
        allowed = sum(n.allowed for n in rows.values())
        total = sum(n.total for n in rows.values())
        measured = f"{guest.segment}: {blocked} of {total} blocked"
        expected = f"{', '.join(wanted)} blocked"
        if allowed:
            leaks = sorted(c for c, n in rows.items() if n.allowed)
            findings.append(failed(f"The guest network {guest.segment} is not filtered: {allowed} of {total} "
                                   f"{'/'.join(leaks)} test address(es) were reachable.", measured, expected))
        elif total == 0:
            findings.append(unknown(f"The run from {guest.segment} had no {'/'.join(wanted)} test addresses.",
                                    measured, expected))
        elif blocked < total:
            findings.append(unknown(f"{total - blocked} test address(es) on {guest.segment} could not be told.",
                                    measured, expected))
        else:
            findings.append(passed(f"The guest network {guest.segment} blocks all {total} test addresses "
                                   f"({', '.join(sorted(rows))}).", measured, expected))
    order = {"fail": 0, "unknown": 1, "warn": 2, "pass": 3}
    return min(findings, key=lambda o: order.get(o.status.value, 4))
