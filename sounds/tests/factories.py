from __future__ import annotations

import factory

from sounds.models import Sound, SoundType


class SoundFactory(factory.django.DjangoModelFactory[Sound]):
    class Meta:
        model = Sound

    type = SoundType.SDB
    name = factory.Sequence(lambda n: f"Sound {n}")
    filename = factory.Sequence(lambda n: f"sound-{n}.mp3")
    duration = 1500
    size = 24000
    hash = factory.Sequence(lambda n: f"{n:064x}")
