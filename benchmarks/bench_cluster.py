"""Issue 12: 100 simulated users clicking for 60 s across two web processes on PostgreSQL.

The cluster of the cluster tests (two daphne, two Celery workers, a player with `--output none`). Each user
clicks a sound through web A or B in turn, thinking 0.5-2 s between clicks. Prints plays/s, the latency of a
play (POST → answer after the first samples) and what the ledger says afterwards: every user's balance must be
their starting credits minus the plays the player recorded, with no debit lost or doubled.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.harness import percentile
from tests.cluster.harness import Cluster, play, postgres_answers, running_cluster

USERS = 100
SECONDS = 60.0
CREDITS = 1000


def _users(cluster: Cluster) -> list[tuple[int, str]]:
    out = cluster.shell(
        "import json\n"
        "from accounts.models import ApiToken, User\n"
        "from credits.services import adjust\n"
        "rows = []\n"
        f"for i in range({USERS}):\n"
        "    u = User.objects.create_user(f'crowd{i}@example.com', 'bench-pass-123')\n"
        f"    adjust(user=u, amount={CREDITS} - u.credits, reason='benchmark')\n"
        "    rows.append((u.pk, ApiToken.issue(user=u, name='bench')[1]))\n"
        "print(json.dumps(rows))"
    )
    return [(int(pk), str(token)) for pk, token in json.loads(out)]


def _ledger(cluster: Cluster) -> dict[str, int]:
    out = cluster.shell(
        "import json\n"
        "from django.db.models import Sum\n"
        "from accounts.models import User\n"
        "from credits.models import AttemptState, CreditTransaction\n"
        "from sounds.models import SoundPlayed\n"
        "users = User.objects.filter(email__startswith='crowd')\n"
        "rows = CreditTransaction.objects.filter(user__in=users)\n"
        "print(json.dumps({\n"
        "  'balance': users.aggregate(s=Sum('credits'))['s'],\n"
        "  'ledger': rows.aggregate(s=Sum('amount'))['s'],\n"
        "  'played': rows.filter(attempt=AttemptState.PLAYED).count(),\n"
        "  'pending': rows.filter(attempt=AttemptState.PENDING).count(),\n"
        "  'plays': SoundPlayed.objects.filter(user__in=users).count(),\n"
        "}))"
    )
    return dict(json.loads(out))


def main() -> None:
    if not postgres_answers():
        print("cluster benchmark SKIPPED: it needs PostgreSQL on 127.0.0.1:5432")
        return
    workdir = Path(tempfile.mkdtemp(prefix="soundboard-cluster-bench-"))
    with running_cluster(workdir, {"LOG_LEVEL": "WARNING"}) as cluster:
        users = _users(cluster)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def user(index: int, token: str) -> None:
            rng = random.Random(index)
            web = ["a", "b"][index % 2]
            while time.monotonic() < stop_at:
                start = time.perf_counter()
                status = play(cluster.urls[web], token, cluster.sound_id)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(elapsed)
                web = "b" if web == "a" else "a"
                time.sleep(rng.uniform(0.5, 2.0))  # the user's think time, not a synchronization

        threads = [threading.Thread(target=user, args=(i, token)) for i, (_, token) in enumerate(users)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
        ledger = _ledger(cluster)
    answered = statuses.get(200, 0)
    expected_balance = USERS * CREDITS - ledger["played"]
    lost_or_doubled = abs(ledger["balance"] - expected_balance) + abs(ledger["played"] - ledger["plays"])
    print(
        f"cluster, {USERS} users x {SECONDS:.0f} s across 2 web processes on PostgreSQL: "
        f"{answered / took:.1f} plays/s ({answered} played), statuses={dict(sorted(statuses.items()))}, "
        f"play p50={percentile(latencies, 50):.1f} ms p99={percentile(latencies, 99):.1f} ms"
    )
    print(
        f"ledger: balances {ledger['balance']} == {USERS}x{CREDITS} - {ledger['played']} played: "
        f"{ledger['balance'] == expected_balance}; ledger sum == balances: {ledger['ledger'] == ledger['balance']}; "
        f"plays recorded {ledger['plays']}; attempts left pending {ledger['pending']}; "
        f"credits lost or doubled: {lost_or_doubled}"
    )


if __name__ == "__main__":
    main()
