"""Several web processes on one database and one Redis: money exact, events everywhere, a dead web process costs
nobody a credit."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import psycopg
import redis
from websockets.sync.client import connect

from player.protocol import claim_key, heartbeat_key
from tests.cluster.harness import CLUSTER_REDIS_URL, Cluster, play


def _ledger(cluster: Cluster, user_id: int) -> dict[str, int]:
    out = cluster.shell(
        "import json\n"
        "from accounts.models import User\n"
        "from credits.models import AttemptState, CreditAction, CreditTransaction\n"
        "from sounds.models import SoundPlayed\n"
        f"rows = CreditTransaction.objects.filter(user_id={user_id})\n"
        "print(json.dumps({\n"
        f"  'balance': User.objects.get(pk={user_id}).credits,\n"
        "  'sum': sum(r.amount for r in rows),\n"
        "  'debits': rows.filter(action=CreditAction.VLC_PLAY_SOUND).count(),\n"
        "  'refunds': rows.filter(action=CreditAction.REFUND).count(),\n"
        "  'played': rows.filter(attempt=AttemptState.PLAYED).count(),\n"
        "  'pending': rows.filter(attempt=AttemptState.PENDING).count(),\n"
        f"  'plays': SoundPlayed.objects.filter(user_id={user_id}).count(),\n"
        "}))"
    )
    return dict(json.loads(out.splitlines()[-1]))


def test_plays_through_both_web_processes_debit_exactly(cluster: Cluster):
    users = [cluster.user(f"both{i}@example.com", credits=15) for i in range(4)]
    answers: dict[int, Counter[int]] = {pk: Counter() for pk, _, _ in users}

    def click(pk: int, token: str) -> None:
        for n in range(20):  # more clicks than credits: the last ones must be refused with 402, free
            web = cluster.urls["a" if n % 2 else "b"]
            answers[pk][play(web, token, cluster.sound_id)] += 1

    threads = [threading.Thread(target=click, args=(pk, token)) for pk, token, _ in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pk, _, _ in users:
        ledger = _ledger(cluster, pk)
        assert answers[pk][200] == 15, answers[pk]
        assert answers[pk][402] == 5, answers[pk]
        assert ledger["balance"] == 0
        assert ledger["debits"] - ledger["refunds"] == ledger["played"] == ledger["plays"] == 15
        assert ledger["sum"] == ledger["balance"]  # every movement is a ledger row


def test_a_play_through_one_web_process_reaches_a_browser_on_the_other(cluster: Cluster):
    _, token, cookie = cluster.user("watcher@example.com", credits=5)
    b = cluster.urls["b"].replace("http://", "ws://")
    with connect(
        f"{b}/ws/live/", additional_headers={"Cookie": f"sessionid={cookie}", "Origin": cluster.urls["b"]}
    ) as socket:
        assert play(cluster.urls["a"], token, cluster.sound_id) == 200
        deadline = time.monotonic() + 10
        while True:
            frame = str(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if "Cluster horn" in frame and "played" in frame:
                break


def test_presence_counts_a_user_once_across_web_processes(cluster: Cluster):
    _, token, cookie = cluster.user("twice@example.com", credits=1)
    headers = {"Cookie": f"sessionid={cookie}"}
    with (
        connect(
            f"{cluster.urls['a'].replace('http', 'ws')}/ws/live/",
            additional_headers={**headers, "Origin": cluster.urls["a"]},
        ),
        connect(
            f"{cluster.urls['b'].replace('http', 'ws')}/ws/live/",
            additional_headers={**headers, "Origin": cluster.urls["b"]},
        ),
    ):
        request = urllib.request.Request(
            f"{cluster.urls['a']}/api/v1/socket/status", headers={"Authorization": f"Bearer {token}"}
        )
        status = json.loads(urllib.request.urlopen(request, timeout=10).read())
    assert status["connected"] is True
    assert status["connected_users"] == 1


def test_killing_a_web_process_under_load_loses_no_credit(cluster: Cluster):
    users = [cluster.user(f"crash{i}@example.com", credits=40) for i in range(4)]
    answers: dict[int, Counter[int]] = {pk: Counter() for pk, _, _ in users}
    lock = threading.Lock()
    under_way = threading.Event()

    def click(pk: int, token: str) -> None:
        for n in range(30):
            web = cluster.urls["a" if n % 2 else "b"]
            status = play(web, token, cluster.sound_id)
            with lock:
                answers[pk][status] += 1
                if sum(sum(c.values()) for c in answers.values()) >= 12:
                    under_way.set()  # both processes are busy with plays: kill A now

    threads = [threading.Thread(target=click, args=(pk, token)) for pk, token, _ in users]
    for thread in threads:
        thread.start()
    assert under_way.wait(30)
    cluster.kill_web("a")
    for thread in threads:
        thread.join()
    # What A held when it died is settled by the sweep, which only touches attempts past every deadline.
    cluster.shell(
        "import time\n"
        "from datetime import timedelta\n"
        "from django.conf import settings\n"
        "from credits.models import AttemptState, CreditTransaction\n"
        "from credits.services import settle_abandoned_attempts\n"
        "deadline = time.monotonic() + 30\n"
        "while CreditTransaction.objects.filter(attempt=AttemptState.PENDING).exists():\n"
        "    assert time.monotonic() < deadline\n"
        "    settle_abandoned_attempts(older_than=timedelta(seconds=settings.PLAYER_START_TIMEOUT_S + 1))\n"
        "    time.sleep(0.2)"
    )
    cluster.start_web("a")  # the other tests of the module, if any run after, want it back
    for pk, _, _ in users:
        ledger = _ledger(cluster, pk)
        assert ledger["pending"] == 0
        # Each 200 was charged once and played; each failure (refusal, or no answer from the dead process) is
        # either refunded or, if the player got to it first, played and charged like any play.
        assert ledger["debits"] - ledger["refunds"] == ledger["played"] == ledger["plays"]
        assert answers[pk][200] <= ledger["played"] <= answers[pk][200] + answers[pk][0]
        assert ledger["balance"] == 40 - ledger["played"]
        assert ledger["sum"] == ledger["balance"]


def test_plays_waiting_for_the_player_leave_the_database_pool_to_other_requests(cluster: Cluster):
    """More plays waiting for the player than web A's pool has connections (DB_POOL_MAX_SIZE, 10), and A still
    answers another request: a play gives its connection back once it has debited (player.client)."""
    waiting = 12
    pk, token, _ = cluster.user("pool@example.com", credits=waiting)
    player = cluster.others[-1]  # run_player
    beat = redis.Redis.from_url(CLUSTER_REDIS_URL)
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(play(cluster.urls["a"], token, cluster.sound_id)))
        for _ in range(waiting)
    ]
    player.send_signal(signal.SIGSTOP)  # it reads no command and answers none
    try:
        # But it still counts as online, so the plays are sent to it, and keeps its room for when it wakes up.
        beat.expire(heartbeat_key("main"), 60)
        beat.expire(claim_key("main"), 60)
        for thread in threads:
            thread.start()
        # Every play has debited (a pending attempt each): the ones still holding a connection would be stuck
        # before that, waiting for the pool.
        with psycopg.connect(cluster.env["DATABASE_URL"], autocommit=True) as db:
            deadline = time.monotonic() + 60
            while True:
                row = db.execute(
                    "SELECT count(*) FROM credits_credittransaction WHERE user_id = %s AND attempt = 'pending'", (pk,)
                ).fetchone()
                if row is not None and row[0] == waiting:
                    break
                assert time.monotonic() < deadline, f"only {row} plays debited: the others wait for a connection"
                time.sleep(0.05)
        request = urllib.request.Request(f"{cluster.urls['a']}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
        assert statuses == [], "a play had to end before another request got a database connection"
    finally:
        player.send_signal(signal.SIGCONT)
    for thread in threads:
        thread.join()
    # The player, back, drops the commands past their deadline: each play refunded, or played and paid.
    ledger = _ledger(cluster, pk)
    assert sorted(set(statuses)) <= [200, 503]
    assert ledger["balance"] == waiting - statuses.count(200)
    assert ledger["sum"] == ledger["balance"]
