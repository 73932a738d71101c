"""The gate's decision on its own: decide(results, previous) -> PublishPlan, a pure function of
what the run knows of its notices and what curated/ holds (the publish stage only carries it out:
tests/test_gate.py runs the whole pipeline)."""

from __future__ import annotations

from pipeline.publish.gate import EXIT_HELD_BACK, EXIT_NOTHING, EXIT_PUBLISHED, Previous, Results, decide

RULE = "numbering.expect_column_values_to_be_in_set(label_agrees)"


def results(held: dict[str, list[str]] | None = None, unreadable: dict[str, str] | None = None, **kw: object) -> Results:
    """Notices a, b, c; those that could not be read are not candidates."""
    unreadable = unreadable or {}
    return Results(("a", "b", "c"), frozenset({"a", "b", "c"} - set(unreadable)), held or {}, unreadable, **kw)  # type: ignore[arg-type]


def test_every_notice_passing_is_published_and_exits_0() -> None:
    plan = decide(results(), Previous())
    assert (plan.verdict, plan.publish, plan.keep, plan.held) == ("publish", ("a", "b", "c"), (), {})
    assert plan.status == dict.fromkeys("abc", "published")
    assert plan.exit_code("published") == plan.exit_code("unchanged") == EXIT_PUBLISHED


def test_a_failing_notice_holds_back_only_itself_and_keeps_what_curated_holds_of_it() -> None:
    plan = decide(results(held={"b": [RULE]}), Previous({"b": "digest-b", "x": "digest-x"}))
    assert (plan.verdict, plan.publish, plan.keep) == ("publish", ("a", "c"), ("b",))
    assert plan.status == {"a": "published", "b": "held back", "c": "published"} and plan.held == {"b": [RULE]}
    assert plan.exit_code("published") == EXIT_HELD_BACK
    assert plan.notes(Previous({"b": "digest-b"})) == [f"held back b: {RULE} (its last published version stays in curated/)"]
    assert plan.notes(Previous()) == [f"held back b: {RULE} (nothing of it is in curated/)"]


def test_a_notice_never_published_and_held_back_keeps_nothing() -> None:
    plan = decide(results(held={"b": [RULE]}), Previous({"x": "digest-x"}))  # x left raw/: not kept either
    assert plan.keep == () and plan.publish == ("a", "c")


def test_an_unreadable_notice_is_held_back_with_why_and_named_only_once() -> None:
    plan = decide(results(unreadable={"c": "the file is empty (0 bytes)"}), Previous({"c": "digest-c"}))
    assert plan.held == {"c": ["unreadable: the file is empty (0 bytes)"]} and plan.keep == ("c",) and plan.publish == ("a", "b")
    assert plan.notes(Previous()) == []  # its file was named when it could not be read
    assert plan.exit_code("published") == EXIT_HELD_BACK


def test_a_failure_of_no_notice_blocks_every_notice() -> None:
    plan = decide(results(run_blocked=("suites: numbering.json: not valid JSON",)), Previous({"a": "digest-a"}))
    assert (plan.verdict, plan.publish, plan.keep, plan.reason) == ("blocked", (), (), "suites: numbering.json: not valid JSON")
    assert plan.status == dict.fromkeys("abc", "held back") and plan.exit_code("blocked") == EXIT_NOTHING


def test_strict_is_all_or_nothing() -> None:
    plan = decide(results(held={"b": [RULE]}, strict=True), Previous())
    assert (plan.verdict, plan.publish, plan.reason) == ("blocked", (), "--strict: a notice failed")
    assert decide(results(strict=True), Previous()).publish == ("a", "b", "c")


def test_no_notice_passing_publishes_nothing() -> None:
    everything = {n: "cannot be read as a text file (damaged or cut short)" for n in "abc"}
    plan = decide(results(unreadable=everything), Previous())
    assert (plan.verdict, plan.reason, plan.exit_code("blocked")) == ("blocked", "no notice passed", EXIT_NOTHING)
    empty = decide(Results((), frozenset(), {}, {}), Previous())
    assert (empty.verdict, empty.reason) == ("nothing", "no notice passed")


def test_files_not_read_make_a_publish_exit_1_and_a_failed_publish_exits_2() -> None:
    plan = decide(results(files_not_read=True), Previous())
    assert plan.held == {} and plan.exit_code("published") == EXIT_HELD_BACK
    assert plan.exit_code("failed") == EXIT_NOTHING


def test_notices_select_left_out_keep_what_curated_holds_of_them_and_change_no_exit_code() -> None:
    """--select: the run's notices are decided as ever; one left out stays as curated/ holds it
    (if it does), neither published from this run nor held back."""
    plan = decide(results(unselected=frozenset({"x", "y"})), Previous({"x": "digest-x", "a": "digest-a"}))
    assert (plan.verdict, plan.publish, plan.keep, plan.held) == ("publish", ("a", "b", "c"), ("x",), {})
    assert "x" not in plan.status and plan.exit_code("published") == EXIT_PUBLISHED
    held = decide(results(held={"b": [RULE]}, unselected=frozenset({"x"})), Previous({"b": "digest-b", "x": "digest-x"}))
    assert (held.publish, held.keep, held.exit_code("published")) == (("a", "c"), ("b", "x"), EXIT_HELD_BACK)
