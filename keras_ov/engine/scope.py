"""Graph builds, and side tables whose entries last as long as one.

Upper layers keep facts about nodes that a node's ``rt_info`` cannot carry (it
holds strings and numbers): the source of a straight-through cast, the vjp of
a custom gradient.  Each fact is needed only while the graph holding its node
is built and differentiated, and that always happens inside one build: a
traced function (``compiled.trace``), an eager op's graph (``execute.run``),
a shape trace.  A ``NodeTable`` entry added during a build is dropped when the
thread's outermost build ends; kept, each would hold its graph alive for the
life of the process (an eagerly run train step adds some every step).
Entries added outside any build (a graph put together by hand) stay.
"""

import contextlib
import threading

_state = threading.local()


def _added():
    """The (table, key) pairs this thread's current outermost build added."""
    if not hasattr(_state, "added"):
        _state.depth, _state.added = 0, []
    return _state.added


class NodeTable(dict):
    """A dict keyed by node instance id; entries added in a build end with it."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        added = _added()
        if _state.depth:
            added.append((self, key))


@contextlib.contextmanager
def building():
    """Marks a graph build; nested builds are part of the outermost one."""
    added = _added()
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if not _state.depth:
            for table, key in added:
                table.pop(key, None)
            added.clear()
