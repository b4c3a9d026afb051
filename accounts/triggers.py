"""Ready-made triggers: what a Stream Deck, Home Assistant or a shell script sends to play a sound.

Pure text from a base URL, a path and a token (or a placeholder: a token is shown once, when it is made, and
only to its owner). docs/triggers.md explains the same three; a browser test runs the curl line a page shows.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

PLACEHOLDER = "YOUR_TOKEN"


@dataclass(frozen=True)
class Trigger:
    url: str
    token: str  # the raw token, or PLACEHOLDER
    name: str  # what the trigger plays, for Home Assistant's service name

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"

    @property
    def curl(self) -> str:
        # Quoted for a POSIX shell whatever the host name holds; -f makes a refusal a failing exit status.
        return f"curl -fsS -X POST -H {shlex.quote('Authorization: ' + self.authorization)} {shlex.quote(self.url)}"

    @property
    def service(self) -> str:
        """Home Assistant's name for it: lower-case letters, digits and underscores only."""
        return "soundboard_" + (re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")[:40] or "sound")

    @property
    def home_assistant(self) -> str:
        return (
            "rest_command:\n"
            f"  {self.service}:\n"
            f'    url: "{self.url}"\n'
            "    method: post\n"
            "    headers:\n"
            f'      authorization: "{self.authorization}"\n'
            "    timeout: 10\n"
        )


def play_sound(*, base_url: str, sound_id: int, sound_name: str, token: str = PLACEHOLDER) -> Trigger:
    return Trigger(url=f"{base_url.rstrip('/')}/api/v1/sounds/play/{sound_id}", token=token, name=sound_name)


def play_random(*, base_url: str, token: str = PLACEHOLDER) -> Trigger:
    return Trigger(url=f"{base_url.rstrip('/')}/api/v1/sounds/play/random", token=token, name="random")
