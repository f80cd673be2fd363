"""A token bucket per key, in the process: each key may send `rate` requests a second on
average and `burst` at once. With `serve-events --workers N` each process has its own.

A bucket is a few lines; `limits`, the usual library, has fixed and moving windows but no
burst allowance, so it would refuse the bursts a batching client sends.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RATE = 500.0  # requests a second per key: bench.ingest sends about 200
OFF = 0.0


@dataclass(frozen=True)
class RateLimit:
    rate: float = DEFAULT_RATE  # requests a second; 0: no limit
    burst: int = int(2 * DEFAULT_RATE)

    def __post_init__(self) -> None:
        if self.rate < 0 or (self.rate > 0 and self.burst < 1):
            raise ValueError(f"a rate limit needs rate >= 0 and burst >= 1, not {self}")


class Buckets:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def wait(self, key: str) -> int:
        """0 when a request with this key may go ahead now (it takes a token), else the
        whole seconds to wait before the next one may."""
        rate, burst = self.limit.rate, self.limit.burst
        if rate <= OFF:
            return 0
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / rate))
