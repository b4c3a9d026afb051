"""Issue 16: the board with 5,000 sounds, 500 favourites and 200 tags: the page and the search partial's server
time (p50 no worse than 35 ms and 27 ms), and the tag and favourites filters for comparison.

`python -m benchmarks board`.
"""

from __future__ import annotations

import time

from benchmarks.bench_sounds import ADJECTIVES, INSERT_SOUNDS, LIBRARY_SOUNDS, NOUNS, SEARCH_WORD, _timed_gets
from benchmarks.harness import App, percentile, running_app, summary

TAGS = 200
FAVORITES = 500
REQUESTS = 200
PAGE_TARGET_MS = 35
SEARCH_TARGET_MS = 27

# Every sound gets 0-3 of the 200 tags; the user stars 500 sounds spread over the library.
BOARD_DETAILS = """
import random
from accounts.models import User
from sounds.models import Favorite, Sound
from sounds.tags import Tag
rng = random.Random(16)
tags = Tag.objects.bulk_create([Tag(name=f"tag {{i:03d}}") for i in range({tags})])
ids = list(Sound.objects.values_list("pk", flat=True))
Through = Sound.tags.through
links = [Through(sound_id=pk, tag_id=t.pk) for pk in ids for t in rng.sample(tags, rng.randint(0, 3))]
Through.objects.bulk_create(links, batch_size=1000)
user = User.objects.get(email={email!r})
Favorite.objects.bulk_create([Favorite(user=user, sound_id=pk) for pk in rng.sample(ids, {favorites})])
print(Tag.objects.count(), len(links), Favorite.objects.filter(user=user).count())
"""


def _measure(app: App, label: str, path: str, headers: dict[str, str], target_ms: float | None = None) -> None:
    _timed_gets(app, path, headers, 20)  # warm-up: templates, connections, caches
    latencies, statuses, body = _timed_gets(app, path, headers, REQUESTS)
    verdict = ""
    if target_ms is not None:
        p50 = percentile(latencies, 50)
        verdict = f"; p50 {p50:.1f} ms (target <= {target_ms} ms: {'ok' if p50 <= target_ms else 'SLOWER'})"
    print(
        f"{label} '{path}' ({len(body) // 1024} KB, status {sorted(statuses)}): {summary(latencies)}{verdict}",
        flush=True,
    )


def bench_board(app: App) -> None:
    code = INSERT_SOUNDS.format(adjectives=ADJECTIVES, nouns=NOUNS, total=LIBRARY_SOUNDS, word=SEARCH_WORD)
    total, matching = app.manage("shell", "-c", code).split()[-2:]
    email = "bench-board@example.com"
    cookie = f"sessionid={app.session_for(email)}"
    details = BOARD_DETAILS.format(tags=TAGS, favorites=FAVORITES, email=email)
    tags, links, favorites = app.manage("shell", "-c", details).split()[-3:]
    print(
        f"board: {total} sounds ({matching} with '{SEARCH_WORD}'), {tags} tags on {links} sound-tag links, "
        f"{favorites} favourites of the measured user",
        flush=True,
    )
    page = {"Cookie": cookie}
    partial = {"Cookie": cookie, "HX-Request": "true"}
    _measure(app, "board page", "/", page, PAGE_TARGET_MS)
    _measure(app, "search partial", f"/?q={SEARCH_WORD}", partial, SEARCH_TARGET_MS)
    _measure(app, "  (favourites partial", "/?favorites=on", partial)
    _measure(app, "  (two-tag partial", "/?tags=tag+001&tags=tag+002", partial)
    _measure(app, "  (API list, 50 a page", "/api/v1/sounds/?page_size=50", page)


def main() -> None:
    started = time.perf_counter()
    with running_app() as app:
        bench_board(app)
    print(f"(board benchmark took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
