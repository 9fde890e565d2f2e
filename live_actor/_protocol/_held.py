"""The ledger's buffers: entries in order, with what they weigh.

Every list of entries the ledger keeps (sent but unconfirmed control messages,
the media ring, commands queued while disconnected) is a :class:`Held`, so each
one knows its size in bytes and, for audio, in seconds of play-out.  The
ledger's bounds (``ledger_bytes``, ``media_buffer_bytes``,
``media_buffer_seconds``) read these totals instead of summing on every send.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator

from ._entries import Entry

__all__ = ["Held"]

#: The items of every empty ``Held`` until its first entry: one deque shared by
#: all (a deque costs ~700 bytes even empty, and an idle session has several
#: buffers); ``append`` swaps in one of its own, ``maxlen=0`` keeps this one empty.
_NONE_YET: collections.deque[Entry] = collections.deque(maxlen=0)


class Held:
    """Entries in order (oldest first) and their total ``size`` and ``seconds``."""

    __slots__ = ("_items", "bytes", "seconds")

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._items: collections.deque[Entry] = _NONE_YET
        self.bytes = 0
        self.seconds = 0.0
        for entry in entries:
            self.append(entry)

    def append(self, entry: Entry) -> None:
        items = self._items
        if items is _NONE_YET:
            items = self._items = collections.deque()
        items.append(entry)
        self.bytes += entry.size
        self.seconds += entry.seconds

    def popleft(self) -> Entry:
        entry = self._items.popleft()
        self._took(entry)
        return entry

    def pop(self) -> Entry:
        entry = self._items.pop()
        self._took(entry)
        return entry

    def remove(self, entry: Entry) -> None:
        self._items.remove(entry)
        self._took(entry)

    def first(self) -> Entry | None:
        return self._items[0] if self._items else None

    def last(self) -> Entry | None:
        return self._items[-1] if self._items else None

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0
        self.seconds = 0.0

    def _took(self, entry: Entry) -> None:
        self.bytes -= entry.size
        self.seconds -= entry.seconds
        if not self._items:  # no float drift survives an empty buffer
            self.bytes = 0
            self.seconds = 0.0

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Held {len(self._items)} entries, {self.bytes} B, {self.seconds:.3f} s>"
