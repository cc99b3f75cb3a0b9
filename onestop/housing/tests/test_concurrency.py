"""Twenty people book the last bed at the same moment: exactly one gets it. Real threads with their own database
connections, on whatever database the suite runs on (a SQLite file by default; PostgreSQL with DATABASE_URL). The
guarantee is the unique constraint on (bed, night), not a lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from onestop.housing import rules, services
from onestop.housing.choices import RuleSetKind
from onestop.housing.errors import BedUnavailable
from onestop.housing.models import BedNight, StayAllowance, StayBooking

from .conftest import TODAY, graduate, make_station

CONTENDERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_book_the_last_bed_exactly_one_succeeds():
    station = make_station(beds=2, code="race")
    check_in = TODAY + timedelta(days=3)
    services.stay_book(guest=graduate(), station=station, check_in=check_in, nights=2)  # one of two beds is taken
    for kind in RuleSetKind:
        rules.active(kind)  # loaded once before the race
    people = [graduate() for _ in range(CONTENDERS)]
    barrier = threading.Barrier(CONTENDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            services.stay_book(guest=user, station=station, check_in=check_in, nights=2)
            result = "won"
        except BedUnavailable:
            result = "full"
        except Exception as exc:  # anything else breaks the guarantee
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=book, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(outcomes) == ["full"] * (CONTENDERS - 1) + ["won"], outcomes
    assert BedNight.objects.filter(night=check_in).count() == 2
    assert StayBooking.objects.filter(check_in=check_in).count() == 2
    winner = StayBooking.objects.exclude(guest__in=[]).filter(guest__in=people).get()
    assert StayAllowance.objects.get(user=winner.guest).nights_used == 2
    # the losers' nights were rolled back with their transaction
    assert set(StayAllowance.objects.filter(user__in=people).exclude(user=winner.guest)
               .values_list("nights_used", flat=True)) <= {0}
