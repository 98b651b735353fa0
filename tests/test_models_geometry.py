"""One geometry: crop maps shared by training and tracking, and the head's geometry defined by the
ModelConfig and read by training targets, the tracker and old files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hrom.data import DataConfig, SourceConfig, TrackingPairDataset
from hrom.data.synthetic import SyntheticSpec, synthetic_source
from hrom.errors import HromError
from hrom.geometry import context_side, crop_matrix, crop_transform, mean_color, warp_crop
from hrom.models import ModelConfig, build_model
from hrom.models.config import PRESETS, model_config_from_dict, model_config_to_dict
from hrom.tracking import SiameseTracker, TrackerConfig, create_tracker, make_backend, resolve_tracker_config

# the model_config keys hrom 0.1 wrote (and reads: it refuses unknown keys)
HROM_01_KEYS = ["name", "width", "representations", "channel_mask", "spatial_mask", "deformable", "stem_channels",
                "stage1_blocks", "blocks_per_branch", "stage3_modules", "r4_blocks", "feature_channels", "anchor_num",
                "template_size", "search_size", "template_crop", "mask_reduction"]


def _wide_search() -> ModelConfig:
    return PRESETS["hrom-tiny"].replace(name="tiny-287", search_size=287)


@pytest.mark.parametrize("box", [(100, 60, 40, 40), (13.3, 200.7, 91.2, 17.9)])
def test_tracker_and_training_crops_are_one_map(box):
    """The tracker's crop (crop -> frame, WARP_INVERSE_MAP) inverts training's unaugmented one."""
    x, y, w, h = box
    s_z = context_side(w, h, 0.5)
    for out in (127, 255):
        fwd, _ = crop_transform(np.array(box), out, 127, 0.5)
        inv = crop_matrix(x + w / 2, y + h / 2, s_z * out / 127, out)
        np.testing.assert_allclose(np.vstack([fwd, [0, 0, 1]]) @ np.vstack([inv, [0, 0, 1]]), np.eye(3), atol=1e-9)
    img = (np.random.default_rng(0).random((300, 400, 3)) * 255).astype(np.uint8)
    import cv2

    fwd, _ = crop_transform(np.array(box), 255, 127, 0.5)
    train = warp_crop(img, fwd, 255, mean_color(img))
    track = cv2.warpAffine(img, crop_matrix(x + w / 2, y + h / 2, s_z * 255 / 127, 255), (255, 255),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=mean_color(img))
    assert np.abs(train.astype(int) - track.astype(int)).max() <= 1


def test_stored_model_config_keeps_hrom_01_keys_for_default_anchors():
    for cfg in PRESETS.values():
        data = model_config_to_dict(cfg)
        assert list(data) == HROM_01_KEYS and data["anchor_num"] == 5
        assert model_config_from_dict(data) == cfg
    custom = PRESETS["hrom-tiny"].replace(anchor_ratios=(0.5, 1.0, 2.0))
    data = model_config_to_dict(custom)
    assert data["anchor_ratios"] == [0.5, 1.0, 2.0] and data["anchor_num"] == 3
    assert model_config_from_dict(data) == custom


def test_stored_anchor_num_must_agree():
    data = model_config_to_dict(PRESETS["hrom-tiny"]) | {"anchor_num": 3}
    with pytest.raises(HromError, match="anchor_num=3 but anchor_ratios x anchor_scales give 5 anchors"):
        model_config_from_dict(data)
    with pytest.raises(HromError, match="give no response map"):
        ModelConfig(template_size=127, search_size=100)


def test_geometry_is_derived_from_the_model_config():
    g = _wide_search().geometry
    assert (g.template_size, g.search_size, g.stride, g.score_size, g.anchor_num, g.base_size) == (127, 287, 8, 29, 5, 8)
    assert g.legacy_tracker_keys() == {"exemplar_size": 127, "instance_size": 287, "base_size": 8, "stride": 8,
                                       "ratios": [0.33, 0.5, 1.0, 2.0, 3.0], "scales": [8.0]}


def test_hrom_01_tracker_hp_with_geometry_keys_loads_when_it_agrees(tmp_path):
    old = {"penalty_k": 0.1, "window_influence": 0.44, "lr": 0.4, "exemplar_size": 127, "instance_size": 255,
           "context_amount": 0.5, "base_size": 8, "stride": 8, "ratios": [0.33, 0.5, 1.0, 2.0, 3.0], "scales": [8.0],
           "min_size": 10.0, "keep_box_inside": True}
    assert resolve_tracker_config(None, old) == TrackerConfig(penalty_k=0.1)
    hp = tmp_path / "hp.yaml"
    hp.write_text("penalty_k: 0.2\ninstance_size: 255\n")
    assert resolve_tracker_config(str(hp)).penalty_k == 0.2
    with pytest.raises(HromError, match=r"hp.yaml: instance_size=255 conflicts with the network's instance_size=287"):
        resolve_tracker_config(str(hp), geometry=_wide_search().geometry)
    with pytest.raises(HromError, match="ratios=.* conflicts"):
        resolve_tracker_config({"ratios": [1.0]})
    with pytest.raises(TypeError):
        TrackerConfig(instance_size=255)  # not a tracker setting any more


def test_old_checkpoint_tracker_hp_conflicting_with_the_network_is_refused(tmp_path):
    from hrom.models.checkpoint import save_checkpoint

    torch.manual_seed(0)
    path = save_checkpoint(build_model(_wide_search()).eval(), tmp_path / "wide.pt",
                           tracker_hp={"penalty_k": 0.1, "instance_size": 255})
    with pytest.raises(HromError, match="checkpoint tracker_hp: instance_size=255 conflicts"):
        create_tracker(str(path))
    assert create_tracker(str(path), hp="otb").config.penalty_k == 0.24  # an explicit --hp replaces it


def test_tracker_crops_follow_the_networks_geometry():
    """A 287-px search network: the tracker feeds 287-px crops and decodes a 29x29 map."""
    torch.manual_seed(0)
    backend = make_backend("torch", build_model(_wide_search()), "cpu")
    seen = []
    real = backend.search
    backend.search = lambda x: seen.append(x.shape) or real(x)
    trk = SiameseTracker(backend, TrackerConfig())
    img = (np.random.default_rng(1).random((240, 320, 3)) * 255).astype(np.uint8)
    trk.init(img, (100, 80, 40, 30))
    trk.update(img)
    assert seen == [(1, 3, 287, 287)] and trk.post.score_size == 29 and trk.last_step.index < 5 * 29 * 29


def test_training_pairs_follow_the_networks_geometry():
    cfg = DataConfig(sources=[SourceConfig(type="synthetic")], samples_per_epoch=4, neg=0.0)
    src = [synthetic_source(SyntheticSpec(num_sequences=2, num_frames=10))]
    ds = TrackingPairDataset(cfg, sources=src, geometry=_wide_search().geometry)
    item = ds[0]
    assert item["template"].shape == (3, 127, 127) and item["search"].shape == (3, 287, 287)
    assert item["label_cls"].shape == (5, 29, 29) and item["label_loc"].shape == (4, 5, 29, 29)
    # hrom 0.1 training configs named the crop sizes: accepted when they agree, one line when not
    TrackingPairDataset(DataConfig(**{**cfg.__dict__, "template_size": 127, "search_size": 255}), sources=src)
    with pytest.raises(HromError, match="data.search_size: 255 conflicts with the model's search_size 287"):
        TrackingPairDataset(DataConfig(**{**cfg.__dict__, "search_size": 255}), sources=src,
                            geometry=_wide_search().geometry)


def test_with_search_size_follows_the_network_arithmetic():
    """Larger search crops give the map a real network outputs (checked against hrom-tiny)."""
    model = build_model("hrom-tiny").eval()
    g = model.config.geometry
    with torch.no_grad():
        state = model.template_state(torch.zeros(1, 3, 127, 127))
        for side, expected in ((255, 25), (415, 45), (831, 97)):
            cls, _ = model.search(torch.zeros(1, 3, side, side), *state)
            assert g.with_search_size(side).score_size == cls.shape[-1] == expected
    assert g.with_search_size(831).search_size == 831 and g.with_search_size(831).anchor_num == g.anchor_num
    with pytest.raises(HromError, match="larger than the 127-pixel template"):
        g.with_search_size(100)
