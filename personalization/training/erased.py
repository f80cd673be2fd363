"""The customers erased since the models were trained: `erased.txt` in the models folder.

An erasure appends one line, the keyed hash of the customer id (the value the suppression
list holds; no id is kept), instead of rewriting the recommender: loading the models drops
the rows of the customers listed (artifacts.load_models), and running servers reload when the
file changes. A training run drops them, and the customers erased or withdrawn while it ran,
from what it trained, and then removes the lines it has dealt with (never one added after it
read them).

Writers (erasures in several processes, a training run) take an exclusive `flock` on
`erased.lock` for each change: appends never interleave or get lost, and the list is
replaced whole (write, fsync, rename) so a reader sees either the old or the new one. The
lock file itself is never replaced, so a writer waiting for it never writes to a file a
rename has just swapped away.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

LIST = "erased.txt"
LOCK = "erased.lock"
_HASH = re.compile(r"[0-9a-f]{64}")  # personalization.hashing.IdHasher: BLAKE2b-256, hex


class ErasedList:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LIST

    def read(self) -> list[str]:
        """The hashes listed, in the order they were added (a torn last line is not one)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        return [line for line in text.split("\n") if _HASH.fullmatch(line)]

    def add(self, id_hash: str) -> bool:
        """List a customer's keyed hash; False if it is listed already."""
        if not _HASH.fullmatch(id_hash):
            raise ValueError("not a keyed hash of a customer id (64 hexadecimal digits)")
        with self._locked():
            if id_hash in self.read():
                return False
            torn = self.path.exists() and not self.path.read_bytes().endswith(b"\n") \
                and self.path.stat().st_size > 0  # a write cut short (a crash): not glued on
            with open(self.path, "a") as out:
                out.write(("\n" if torn else "") + id_hash + "\n")
                out.flush()
                os.fsync(out.fileno())
        return True

    def remove(self, id_hashes: Iterable[str]) -> None:
        """Remove these hashes (a training run has dealt with them); the rest stay."""
        done = set(id_hashes)
        if not done:
            return
        with self._locked():
            kept = [h for h in self.read() if h not in done]
            if not kept:
                self.path.unlink(missing_ok=True)
                return
            partial = self.path.with_name(LIST + ".partial")
            with open(partial, "w") as out:
                out.write("".join(h + "\n" for h in kept))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
