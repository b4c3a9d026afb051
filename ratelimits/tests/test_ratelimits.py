import os
import subprocess
import sys

import pytest

import ratelimits
from ratelimits import Rate, RateError, RateLimited, parse_rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [("5/10s", Rate(5, 10)), ("30/m", Rate(30, 60)), ("5/1m", Rate(5, 60)), ("100/2h", Rate(100, 7200))],
)
def test_rates_are_read_in_every_documented_form(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "5", "5/", "five/10s", "5/10x", "0/10s", "5/0s", "-1/10s", "5/10s/3"])
def test_malformed_rates_are_refused_with_the_setting_named(text):
    with pytest.raises(RateError, match="PLAY_RATE_LIMIT"):
        parse_rate(text, setting="PLAY_RATE_LIMIT")


def test_a_malformed_rate_setting_stops_the_process_at_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**os.environ, "PLAY_RATE_LIMIT": "5/xyz"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PLAY_RATE_LIMIT='5/xyz' is not a rate" in result.stderr


def test_the_limit_counts_per_key_and_says_when_to_retry():
    rate = Rate(2, 30)
    ratelimits.hit("test", 1, rate)
    ratelimits.hit("test", 1, rate)
    ratelimits.hit("test", 2, rate)  # another key has its own count
    with pytest.raises(RateLimited) as refused:
        ratelimits.hit("test", 1, rate)
    assert refused.value.status == 429
    assert refused.value.retry_after is not None
    assert 1 <= refused.value.retry_after <= 30


def test_a_scope_that_could_reach_other_keys_is_refused():
    with pytest.raises(ValueError, match="scope"):
        ratelimits.hit("x:*", 1, Rate(1, 1))
