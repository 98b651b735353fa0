"""Which search-crop pixel a response-map cell looks at, measured on the real network.

The anchor grid that training labels with and the tracker decodes with (``HeadGeometry``)
claims cell ``(i, j)`` sits at crop pixel ``(search - 1) / 2 + 8 * (j - 12, i - 12)``.  Derived
from the architecture: three 3x3 stride-2 convs (padding 1) put stride-8 feature ``u`` on pixel
``8u``; the RPN's 3x3 search conv and the 6x6 template kernel make cell ``p`` cover features
``p+1 .. p+6`` (centre pixel ``8p + 28``), while the kernel's centre is template pixel 60, 3.5 px
before the template's centre 63.5: a target matches cell ``p`` when it sits at ``8p + 31.5``,
i.e. on the anchor of that cell (pixel 127 for cell 12, in edge units 127.5).  Here the trained
bundled network is shown a target at known offsets and must answer with exactly that cell.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hrom.models import ModelConfig, build_model, create_model
from hrom.models.checkpoint import bundled_checkpoint


def _scene(size: int, centre: tuple[float, float], seed: int) -> torch.Tensor:
    """Dark noise with a two-colour 63 px square whose centre (edge units, x.5) is ``centre``."""
    img = np.random.default_rng(seed).uniform(0, 70, (size, size, 3)).astype(np.float32)
    x0, y0 = (int(c - 31.5) for c in centre)
    img[y0:y0 + 63, x0:x0 + 63] = (230, 180, 40)
    img[y0 + 16:y0 + 47, x0 + 16:x0 + 47] = (40, 90, 230)
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)[None]))


@pytest.mark.skipif(bundled_checkpoint() is None, reason="needs the bundled trained weights")
def test_the_cell_that_fires_is_the_anchor_over_the_target():
    loaded = create_model("hrom-tiny.bundled")
    model, geometry = loaded.model, loaded.geometry
    s, a, mid = geometry.score_size, geometry.anchor_num, geometry.score_size // 2
    anchors = geometry.anchor_grid(center=geometry.search_size // 2).reshape(a, s, s, 4)
    centre_z = geometry.template_size / 2
    with torch.no_grad():
        state = model.template_state(_scene(geometry.template_size, (centre_z, centre_z), seed=1))
        for dx, dy in [(0, 0), (8, 0), (-24, 0), (0, 16), (32, -24), (-40, 40), (48, 8), (-8, -48)]:
            centre = (geometry.search_size / 2 + dx, geometry.search_size / 2 + dy)
            cls, _ = model.search(_scene(geometry.search_size, centre, seed=2), *state)
            fg = torch.softmax(cls.view(2, a, s, s), dim=0)[1].amax(0)
            row, col = divmod(int(fg.argmax()), s)
            assert (row, col) == (mid + dy // geometry.stride, mid + dx // geometry.stride), (dx, dy, row, col)
            assert fg.max() > 0.9
            # the anchors of that cell (pixel-centre units) sit on the target's centre pixel
            cx, cy = anchors[:, row, col, 0], anchors[:, row, col, 1]
            assert np.allclose(cx, centre[0] - 0.5, atol=0.5) and np.allclose(cy, centre[1] - 0.5, atol=0.5)


@pytest.mark.parametrize("template_size,search_size,template_crop", [(127, 255, 8), (127, 287, 8), (143, 255, 8),
                                                                     (127, 255, 6), (95, 191, 16)])
def test_score_size_is_what_the_network_outputs(template_size, search_size, template_crop):
    """``ModelConfig.score_size`` (used by targets, tracker and sidecar) against a forward pass."""
    cfg = ModelConfig(name="probe", width=4, stem_channels=8, stage1_blocks=1, blocks_per_branch=1, stage3_modules=1,
                      r4_blocks=1, feature_channels=16, mask_reduction=4, template_size=template_size,
                      search_size=search_size, template_crop=template_crop)
    model = build_model(cfg).eval()
    with torch.no_grad():
        cls, loc = model(torch.zeros(1, 3, template_size, template_size), torch.zeros(1, 3, search_size, search_size))
    s, a = cfg.geometry.score_size, cfg.geometry.anchor_num
    assert tuple(cls.shape) == (1, 2 * a, s, s) and tuple(loc.shape) == (1, 4 * a, s, s)


def test_anchor_count_follows_the_configured_anchors():
    cfg = build_model("hrom-tiny").config.replace(anchor_ratios=(0.5, 1.0, 2.0), anchor_scales=(6.0, 10.0))
    model = build_model(cfg).eval()
    with torch.no_grad():
        cls, loc = model(torch.zeros(1, 3, 127, 127), torch.zeros(1, 3, 255, 255))
    assert cfg.anchor_num == 6 and cls.shape[1] == 12 and loc.shape[1] == 24
    assert cfg.geometry.anchor_grid(center=0.0).shape == (6 * 25 * 25, 4)
