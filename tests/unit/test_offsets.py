"""Which offsets the worker may commit: never past a message still in flight, so a crash at any
moment resumes at the first message not fully handled."""

from __future__ import annotations

from aiokafka import TopicPartition

from eccs.delivery.consumer import OffsetTracker

P0, P1 = TopicPartition("eccs.email.requested", 0), TopicPartition("eccs.email.requested", 1)


def test_nothing_to_commit_before_anything_was_read() -> None:
    assert OffsetTracker().committable() == {}


def test_the_commit_stops_at_the_lowest_message_in_flight() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.started(P0, offset)
    tracker.finished(P0, 10)
    tracker.finished(P0, 12)  # done, but 11 is not: a restart must read 11 (and skip 12)

    assert tracker.committable() == {P0: 11}


def test_when_everything_finished_the_commit_is_past_the_last_message() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 10)
    tracker.finished(P0, 10)

    assert tracker.committable() == {P0: 11}


def test_partitions_move_on_independently() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 5)
    tracker.started(P1, 7)
    tracker.finished(P1, 7)

    assert tracker.committable() == {P0: 5, P1: 8}


def test_an_offset_already_committed_is_not_committed_again() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 1)
    tracker.finished(P0, 1)
    tracker.committed(tracker.committable())

    assert tracker.committable() == {}
    tracker.started(P0, 2)
    assert tracker.committable() == {}  # 2 is in flight: the commit stays at 2
    tracker.finished(P0, 2)
    assert tracker.committable() == {P0: 3}


def test_messages_in_flight_are_counted_and_revoked_partitions_forgotten() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 1)
    tracker.started(P1, 1)
    assert tracker.in_flight() == 2

    tracker.forget({P0})

    assert tracker.in_flight() == 1
    assert P0 not in tracker.committable()
