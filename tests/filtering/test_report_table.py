"""The category x segment table (HTML report and collector): latest run per segment, colours by expectation."""

from __future__ import annotations

from datetime import timedelta

from reports.area_filtering import segments_table_of
from tests.filtering.helpers import NOW, run, url


def test_table_uses_the_latest_run_per_segment_and_marks_leaks():
    staff = run("staff", [url("adult", "blocked"), url("social", "allowed"), url("allowed", "allowed")],
                expect_allowed=["allowed", "social"])
    old_student = run("student", [url("adult", "allowed")], at=NOW - timedelta(days=1))
    student = run("student", [url("adult", "blocked"), url("social", "blocked"), url("allowed", "blocked")],
                  expect_blocked=["social"], expect_allowed=["allowed"])
    guest = run("Visitors", [url("adult", "allowed"), url("social", "unknown")], role="guest")
    table = segments_table_of([staff, old_student, student, guest])
    assert table.columns == ["Category", "staff, tested 01 Dec 2026", "student, tested 01 Dec 2026",
                             "Visitors (guest), tested 01 Dec 2026"]
    rows = {row[0].text: [(c.text, c.status) for c in row[1:]] for row in table.rows}
    assert list(rows)[0] == "Adult content"  # the categories DfE names come first
    assert rows["Adult content"] == [("1 of 1 blocked", "pass"), ("1 of 1 blocked", "pass"), ("0 of 1 blocked", "fail")]
    assert rows["Social"] == [("1 of 1 reachable", None), ("1 of 1 blocked", "pass"),
                              ("0 of 1 blocked, 1 not told", "unknown")]
    assert rows["Sites teaching needs"] == [("1 of 1 reachable", None), ("0 of 1 reachable", "warn"),
                                            ("not tested", None)]
    assert "Not yet tested from" not in table.intro


def test_missing_segments_are_named():
    table = segments_table_of([run("staff", [url("adult", "blocked")])])
    assert "Not yet tested from: student, guest" in table.intro
