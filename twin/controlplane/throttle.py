"""Answer a chosen share of a service's calls with TooManyRequestsException (reliability tests).

Hand-written: a tiny seeded coin per service; no library injects AWS-shaped throttling into moto.
The decision sequence is reproducible for a given seed, and ratio 0 turns it off.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

# X-Amz-Target prefix of each service whose calls can be throttled.
TARGETS = {
    "cognito-idp": "AWSCognitoIdentityProviderService.",
    "cognito-identity": "AWSCognitoIdentityService.",
}


class ThrottleError(ValueError):
    """A throttle setting that cannot be applied."""


@dataclass
class Setting:
    ratio: float
    seed: int | None
    rng: random.Random


class Throttle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, Setting] = {}

    def configure(self, service: object, ratio: object, seed: object = None) -> dict[str, object]:
        if service not in TARGETS:
            raise ThrottleError(f"service must be one of {sorted(TARGETS)}")
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise ThrottleError("ratio must be a number from 0 to 1")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ThrottleError("seed must be an integer")
        with self._lock:
            if ratio == 0:
                self._settings.pop(str(service), None)
            else:
                self._settings[str(service)] = Setting(float(ratio), seed, random.Random(seed))
        return {"service": service, "ratio": float(ratio), "seed": seed}

    def state(self) -> dict[str, dict[str, object]]:
        with self._lock:
            return {name: {"ratio": s.ratio, "seed": s.seed} for name, s in self._settings.items()}

    def should_throttle(self, amz_target: str | None) -> bool:
        if not amz_target or not self._settings:
            return False
        with self._lock:
            for service, setting in self._settings.items():
                if amz_target.startswith(TARGETS[service]):
                    return setting.rng.random() < setting.ratio
        return False


ERROR_BODY = b'{"__type":"TooManyRequestsException","message":"Rate exceeded"}'
ERROR_HEADERS = [
    ("Content-Type", "application/x-amz-json-1.1"),
    ("x-amzn-ErrorType", "TooManyRequestsException:"),
]
