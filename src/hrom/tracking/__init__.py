"""Tracking: the HROM Siamese tracker, OpenCV baselines, and ``create_tracker`` for both.

```python
from hrom.tracking import create_tracker
tracker = create_tracker("model.pt", device="cpu", hp="otb")
tracker.init(frame0, (x, y, w, h))          # BGR numpy (OpenCV), RGB with rgb=True, or PIL
box = tracker.update(frame1); tracker.score
for step in track_stream(tracker, frames, (x, y, w, h)): step.index, step.box, step.score
```
"""

from hrom.tracking.backends import TorchBackend, make_backend, register_backend
from hrom.tracking.base import Tracker
from hrom.tracking.config import HP_PRESETS, TrackerConfig, resolve_tracker_config
from hrom.tracking.factory import create_tracker
from hrom.tracking.opencv_trackers import OPENCV_TRACKERS, OpenCVTracker
from hrom.tracking.siamese import SiameseTracker
from hrom.tracking.stream import TrackedFrame, track_stream

__all__ = [
    "HP_PRESETS", "OPENCV_TRACKERS", "OpenCVTracker", "SiameseTracker", "TorchBackend", "Tracker",
    "TrackedFrame", "TrackerConfig", "create_tracker", "make_backend", "register_backend", "resolve_tracker_config",
    "track_stream",
]
