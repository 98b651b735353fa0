"""Run an hrom tracker through the GOT-10k toolkit's own tracking loop (PyPI ``got10k``).

hrom trackers already have ``name``, ``init``, ``update`` and a ``track(img_files, box)`` with the
toolkit's signature, so ``ExperimentOTB(root).run(tracker)`` works on them directly.  This
adapter instead subclasses ``got10k.trackers.Tracker`` so the toolkit's ``track`` loop (PIL RGB
frames, its own timing) drives the hrom tracker — the reference way to run a third-party tracker.
"""

from __future__ import annotations

from hrom.errors import HromError


def got10k_tracker(tracker):
    """Wrap ``tracker`` (an hrom Tracker) as a ``got10k.trackers.Tracker``."""
    try:
        from got10k.trackers import Tracker as Got10kTracker
    except ImportError:
        raise HromError("the got10k toolkit is not installed (pip install got10k)") from None

    class _Adapter(Got10kTracker):
        def __init__(self, inner):
            super().__init__(name=inner.name, is_deterministic=getattr(inner, "is_deterministic", True))
            self.inner = inner

        def init(self, image, box):
            self.inner.init(image, box)

        def update(self, image):
            return self.inner.update(image)

    return _Adapter(tracker)
