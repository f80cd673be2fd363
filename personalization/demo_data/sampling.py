"""Random streams, vectorised sampling and id helpers shared by the generators."""

from __future__ import annotations

import zlib
from datetime import datetime

import numpy as np
import pandas as pd

DAY = 86_400
HOUR = 3_600


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def pick_by_group(rng: np.random.Generator, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each row, an index drawn from the row of `weights` (groups x k) of its group."""
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    cdf[:, -1] = 1.0
    k = w.shape[1]
    flat = (cdf + np.arange(len(w))[:, None]).ravel()
    u = rng.random(len(groups))
    index = np.searchsorted(flat, groups + u, side="right") - groups * k
    return np.minimum(index, k - 1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def seconds(moment: datetime) -> int:
    """A naive UTC datetime as seconds since the epoch."""
    return int(np.datetime64(moment, "s").astype(np.int64))


def to_datetime(secs: np.ndarray) -> np.ndarray:
    return np.asarray(secs, dtype=np.int64).astype("datetime64[s]").astype("datetime64[ns]")


def unassigned(n: int) -> pd.arrays.IntegerArray:
    """An all-missing integer column: ids the database assigns when the rows are loaded."""
    return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))


def segment_starts(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group in a flat array grouped by `counts`."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.cumsum(counts) - counts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each consecutive group of the given sizes."""
    return np.arange(int(np.sum(counts))) - np.repeat(segment_starts(counts), counts)


def group_max(keys: np.ndarray, values: np.ndarray, n: int, fill: int = -1) -> np.ndarray:
    """The largest value per key 0..n-1, for `keys` sorted ascending (`fill` where none)."""
    out = np.full(n, fill, dtype=np.asarray(values).dtype)
    if len(keys):
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        out[keys[first]] = np.maximum.reduceat(values, first)
    return out


def numbered(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Strings like C0000042 for every number (zero-padded to `width` digits)."""
    padded = pd.Series(np.asarray(numbers, dtype=np.int64) + 10**width).astype(str).str[1:]
    return (prefix + padded).to_numpy(dtype=object)


def increasing_ids(rng: np.random.Generator, order: np.ndarray, low: int, high: int) -> np.ndarray:
    """Unique integers in [low, high] that grow along `order` with random gaps."""
    n = len(order)
    if n > high - low + 1:
        raise ValueError(f"{n} ids do not fit between {low} and {high}")
    gap = max(1, min(40, (high - low + 1) // max(n, 1)))
    steps = rng.integers(1, gap + 1, size=n)
    values = low - 1 + np.cumsum(steps)
    ids = np.empty(n, dtype=np.int64)
    ids[order] = values
    return ids


# "00".."ff" as two ASCII bytes packed in a little-endian uint16, indexed by byte value
_HEX_PAIRS = np.array(
    [ord(f"{i:02x}"[0]) | ord(f"{i:02x}"[1]) << 8 for i in range(256)], dtype="<u2"
)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection on 64-bit integers (so distinct in, distinct out)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _hex_digits(x: np.ndarray) -> np.ndarray:
    """16 lowercase hex digits (ASCII bytes, n x 16) per 64-bit integer."""
    big_endian = x.astype(">u8").view(np.uint8).reshape(len(x), 8)
    return _HEX_PAIRS[big_endian].view(np.uint8).reshape(len(x), 16)


def uuid_strings(seed: int, start: int, count: int, chunk: int = 1_000_000) -> np.ndarray:
    """`count` distinct UUID-shaped strings for positions start..start+count (one seed)."""
    k1, k2 = (np.uint64(zlib.crc32(f"{seed}:{part}".encode()) << 20) for part in ("hi", "lo"))
    out = np.empty(count, dtype=object)
    for begin in range(0, count, chunk):
        index = np.arange(start + begin, start + min(begin + chunk, count), dtype=np.uint64)
        with np.errstate(over="ignore"):
            hi, lo = _hex_digits(_mix64(index + k1)), _hex_digits(_mix64(index + k2))
        chars = np.full((len(index), 37), ord("-"), dtype=np.uint8)
        chars[:, 0:8], chars[:, 9:13], chars[:, 14:18] = hi[:, 0:8], hi[:, 8:12], hi[:, 12:16]
        chars[:, 19:23], chars[:, 24:36] = lo[:, 0:4], lo[:, 4:16]
        chars[:, 36] = ord("\n")  # one decode and split is the fastest way to many str objects
        out[begin : begin + len(index)] = chars.tobytes().decode("ascii").split("\n")[:-1]
    return out
