"""Pair sampling: determinism per seed/rank/epoch, negative pairs, frame range, config, DataLoader."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hrom.config import load_config
from hrom.data import DataConfig, SourceConfig, TrackingPairDataset, build_dataloader
from hrom.data.synthetic import SyntheticSpec, synthetic_source
from hrom.errors import HromError

SYN = [SourceConfig(type="synthetic", num_sequences=6, num_frames=30)]


def _ds(**kw) -> TrackingPairDataset:
    kw.setdefault("samples_per_epoch", 8)
    kw.setdefault("sources", list(SYN))
    return TrackingPairDataset(DataConfig(**kw))


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_item_contract_shapes_and_dtypes():
    item = _ds()[0]
    expect = {
        "template": ((3, 127, 127), torch.float32),
        "search": ((3, 255, 255), torch.float32),
        "label_cls": ((5, 25, 25), torch.int64),
        "label_loc": ((4, 5, 25, 25), torch.float32),
        "label_loc_weight": ((5, 25, 25), torch.float32),
        "bbox": ((4,), torch.float32),
        "neg": ((), torch.float32),
    }
    assert set(item) == set(expect)
    for k, (shape, dtype) in expect.items():
        assert tuple(item[k].shape) == shape and item[k].dtype == dtype, k
    assert 0 <= item["search"].min() and item["search"].max() <= 255
    assert set(item["label_cls"].unique().tolist()) <= {-1, 0, 1}


def test_determinism_per_seed_epoch():
    a, b = _ds(), _ds()
    assert _same(a[3], b[3])
    assert not _same(a[3], a[4])
    c = _ds(seed=7)
    assert not _same(a[3], c[3])
    b.set_epoch(1)
    assert not _same(a[3], b[3]) and _same(b[3], a[(1, 3)])


def test_negative_pairs_use_another_track_and_are_all_negative():
    ds = _ds(neg=1.0)
    for i in range(8):
        s = ds.sample(0, i)
        assert s["neg"] and s["template_path"].split("/")[0] != s["search_path"].split("/")[0]
        assert (s["label_cls"] == 1).sum() == 0 and 0 < (s["label_cls"] == 0).sum() <= 16
        assert s["label_loc_weight"].sum() == 0
        assert ds[i]["neg"].item() == 1.0
    pos = _ds(neg=0.0)
    assert all(not pos.sample(0, i)["neg"] for i in range(8))


def test_neg_probability_is_respected():
    ds = _ds(samples_per_epoch=400, neg=0.2, template=dict_aug(), search=dict_aug())
    rate = np.mean([ds.sample(0, i)["neg"] for i in range(400)])
    assert 0.14 < rate < 0.26


def dict_aug():
    from hrom.data.config import AugmentConfig

    return AugmentConfig(color=0.0)


def test_frame_range_limits_the_gap():
    same = _ds(neg=0.0, sources=[SourceConfig(type="synthetic", num_sequences=6, num_frames=30, frame_range=0)])
    for i in range(6):
        s = same.sample(0, i)
        assert s["template_path"] == s["search_path"]
    near = _ds(neg=0.0, sources=[SourceConfig(type="synthetic", num_sequences=6, num_frames=30, frame_range=3)])
    gaps = [abs(int(s["template_path"].rsplit("/", 1)[1]) - int(s["search_path"].rsplit("/", 1)[1]))
            for s in (near.sample(0, i) for i in range(30))]
    assert max(gaps) <= 3 and max(gaps) > 0


def test_source_weights():
    cfg = DataConfig(
        sources=[SourceConfig(type="synthetic", name="a", weight=3.0), SourceConfig(type="synthetic", name="b", weight=1.0)],
        samples_per_epoch=10,
        neg=0.0,
    )
    srcs = [synthetic_source(SyntheticSpec(num_sequences=2, seed=1), "a"), synthetic_source(SyntheticSpec(num_sequences=2, seed=2), "b")]
    ds = TrackingPairDataset(cfg, sources=srcs)
    picks = [ds.pick_frames(np.random.default_rng(i), False)[0][0] for i in range(2000)]
    assert 0.72 < np.mean(np.asarray(picks) == 0) < 0.78


def test_config_from_yaml_and_overrides(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text(
        "sources:\n"
        "  - {type: vid, root: /data/ILSVRC2015, frame_range: 100}\n"
        "  - {type: pysot, root: /data/yt_bb, name: ytb, frame_range: 3, weight: 2}\n"
        "search: {blur: 0.0}\n"
        "neg: 0.1\n"
    )
    cfg = load_config(DataConfig, path, ["gray=0.25", "template.shift=8"])
    assert [s.frame_range for s in cfg.sources] == [100, 3] and cfg.sources[1].weight == 2.0
    assert (cfg.search.blur, cfg.search.shift, cfg.neg, cfg.gray, cfg.template.shift) == (0.0, 64.0, 0.1, 0.25, 8.0)
    with pytest.raises(HromError, match="unknown config key"):
        load_config(DataConfig, None, ["search.blurr=0.1"])
    with pytest.raises(HromError, match="unknown source type"):
        DataConfig(sources=[SourceConfig(type="imagenet", root="x")]).validate()
    with pytest.raises(HromError, match="no training source"):
        TrackingPairDataset(DataConfig())
    with pytest.raises(HromError, match="/nowhere"):
        TrackingPairDataset(DataConfig(sources=[SourceConfig(type="lasot", root="/nowhere")]))


def test_dataloader_two_workers_shapes_and_epochs():
    ds = _ds(samples_per_epoch=8)
    loader = build_dataloader(ds, batch_size=4, workers=2, seed=0)
    assert loader.persistent_workers and loader.num_workers == 2
    batches = list(loader)
    assert len(batches) == 2
    b = batches[0]
    assert b["template"].shape == (4, 3, 127, 127) and b["search"].shape == (4, 3, 255, 255)
    assert b["label_cls"].shape == (4, 5, 25, 25) and b["label_cls"].dtype == torch.int64
    assert b["label_loc"].shape == (4, 4, 5, 25, 25) and b["label_loc_weight"].shape == (4, 5, 25, 25)
    assert b["bbox"].shape == (4, 4) and b["neg"].shape == (4,) and b["neg"].dtype == torch.float32
    order0 = loader.sampler.batch_indices(0)
    assert torch.equal(b["search"][1], ds[(0, order0[1])]["search"])
    loader.sampler.set_epoch(1)  # honoured by the persistent workers
    b1 = next(iter(loader))
    i = loader.sampler.batch_indices(0)[2]
    assert torch.equal(b1["search"][2], ds[(1, i)]["search"]) and not torch.equal(b1["search"][2], b["search"][2])
    with pytest.raises(HromError, match="rank 2 is outside world size 2"):
        build_dataloader(ds, 4, 0, rank=2, world_size=2)


def test_ranks_read_disjoint_indices_that_cover_the_epoch():
    ds = _ds(samples_per_epoch=16)
    shards = [build_dataloader(ds, batch_size=2, workers=0, rank=r, world_size=2, seed=5).sampler for r in (0, 1)]
    assert [len(s) for s in shards] == [8, 8]
    seen = [[i for _, i in s] for s in shards]
    assert not set(seen[0]) & set(seen[1]) and sorted(seen[0] + seen[1]) == list(range(16))
    resumed = build_dataloader(ds, batch_size=2, workers=0, rank=1, world_size=2, seed=5).sampler
    resumed.set_position(0, 3)  # mid-epoch: exactly the rest of what rank 1 reads
    assert [i for _, i in resumed] == seen[1][6:]


def test_gray_pairs_are_gray_in_both_crops():
    ds = _ds(gray=1.0, neg=0.0)
    item = ds[0]
    for key in ("template", "search"):
        img = item[key]
        assert torch.allclose(img[0], img[1], atol=1e-3) and torch.allclose(img[1], img[2], atol=1e-3)
    colour = _ds(gray=0.0, neg=0.0)[0]["search"]
    assert not torch.allclose(colour[0], colour[1], atol=1.0)


def _scene_source():
    """Video 'street': three objects (frames 0-9, 4-9 and every other of 0-8); video 'solo': one."""
    from hrom.data.tracks import TrackSetBuilder

    b = TrackSetBuilder("scenes")
    b.begin_video("street")
    for ids in ([*range(10)], [*range(4, 10)], [0, 2, 4, 6, 8]):
        b.add_track("street/{:04d}.jpg", ids, [[1, 1, 5, 5]] * len(ids))
    b.begin_video("solo")
    b.add_track("solo/{:04d}.jpg", [*range(10)], [[1, 1, 5, 5]] * 10)
    return b.build("scenes")


def test_same_video_negatives_take_another_object_of_the_scene_at_the_nearest_frame():
    src = _scene_source()
    cfg = DataConfig(sources=[SourceConfig(name="scenes")], samples_per_epoch=4, neg=1.0, neg_same_video=1.0)
    ds = TrackingPairDataset(cfg, sources=[src])
    seen = set()
    for i in range(400):
        (si, t, tj), (sk, u, sj) = ds.pick_frames(np.random.default_rng(i), True)
        frame_t = src.track_frame_ids(t)[tj]
        if t == 3:  # the one-object video: a random other track, as before
            assert u != 3
            continue
        assert u in (0, 1, 2) and u != t
        gaps = np.abs(src.track_frame_ids(u) - frame_t)
        assert gaps[sj] == gaps.min()  # the frame nearest the template's
        seen.add((t, u))
    assert seen == {(a, b) for a in range(3) for b in range(3) if a != b}
    # off (the default), negatives ignore the scene: videos are drawn uniformly, so 0.5 / (1 - 1/6)
    # = 60% of street negatives come from the other video (a redraw of the template track excluded)
    ds.cfg = DataConfig(sources=[SourceConfig(name="scenes")], samples_per_epoch=4, neg=1.0)
    picks = [ds.pick_frames(np.random.default_rng(i), True) for i in range(600)]
    away = [u == 3 for (_, t, _), (_, u, _) in picks if t < 3]
    assert 0.52 < np.mean(away) < 0.68
    with pytest.raises(HromError, match="neg_same_video"):
        DataConfig(sources=[SourceConfig(type="synthetic")], neg_same_video=1.5).validate()
