"""``create_model``: presets, pretrained tags and aliases, checkpoint files, and what it returns."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

import hrom
from hrom.cli.main import main
from hrom.errors import HromError
from hrom.models import (LoadedModel, build_model, checkpoint_file, create_model, is_model_name, list_models,
                         register_pretrained)
from hrom.models import pretrained as tags
from hrom.models.checkpoint import bundled_checkpoint, save_checkpoint

needs_bundled = pytest.mark.skipif(bundled_checkpoint() is None, reason="needs the bundled weights")


def test_a_preset_is_a_fresh_network_with_no_metadata():
    loaded = create_model("hrom-tiny")
    assert isinstance(loaded, LoadedModel) and not loaded.model.training
    assert (loaded.name, loaded.source, loaded.checkpoint, loaded.meta, loaded.tracker_hp) == (
        "hrom-tiny", "hrom-tiny", None, {}, {})
    assert build_model("hrom-tiny").training  # the architecture shortcut, ready to train
    assert checkpoint_file("hrom-tiny") is None


@needs_bundled
@pytest.mark.parametrize("name", ["hrom", "hrom-tiny.bundled"])
def test_pretrained_tag_and_alias_load_the_bundled_weights(name):
    loaded = create_model(name)
    assert loaded.name == name and loaded.checkpoint == bundled_checkpoint() == checkpoint_file(name)
    stored = torch.load(bundled_checkpoint(), weights_only=True)
    assert loaded.config.name == "hrom-tiny" and loaded.tracker_hp == stored["tracker_hp"]
    ref = stored["state_dict"]
    assert all(torch.equal(v, ref[k]) for k, v in loaded.model.state_dict().items())


@needs_bundled
def test_pretrained_flag_like_timm():
    bundled = create_model("hrom-tiny", pretrained=True)
    assert bundled.checkpoint == bundled_checkpoint() and bundled.name == "hrom-tiny.bundled"
    fresh = create_model("hrom-tiny.bundled", pretrained=False)
    assert fresh.checkpoint is None and fresh.config.name == "hrom-tiny"
    with pytest.raises(HromError, match="no pretrained weights are shipped for this preset"):
        create_model("hrom-w48", pretrained=True)


def test_checkpoint_files_by_name_or_checkpoint_path(tmp_path, tiny_model):
    path = save_checkpoint(tiny_model, tmp_path / "mine.pt", tracker_hp={"lr": 0.3})
    for loaded in (create_model(path), create_model(checkpoint_path=path), create_model("hrom-tiny", checkpoint_path=path),
                   hrom.load_model(path)):
        assert (loaded.name, loaded.checkpoint, loaded.tracker_hp) == ("mine", path, {"lr": 0.3})
    with pytest.raises(HromError, match="holds a hrom-tiny network, not hrom-w18"):
        create_model("hrom-w18", checkpoint_path=path)
    assert is_model_name(path) and checkpoint_file(str(path)) == path


def test_unknown_names_are_one_line_errors(tmp_path):
    for spec in ("hrom-w19", str(tmp_path / "none.pt"), "hrom-tiny.nope"):
        assert not is_model_name(spec)
        with pytest.raises(HromError, match="neither a model preset .* pretrained weights .* existing checkpoint"):
            create_model(spec)
    with pytest.raises(HromError, match="give a model name"):
        create_model()


def test_a_tag_this_install_lacks_says_so(monkeypatch):
    import hrom.models.checkpoint as ck

    monkeypatch.setattr(ck, "bundled_checkpoint", lambda: None)
    for name in ("hrom", "hrom-tiny.bundled"):
        with pytest.raises(HromError, match="no bundled HROM weights"):
            create_model(name)


def test_registering_weights_and_listing(monkeypatch, tmp_path, tiny_model):
    path = save_checkpoint(tiny_model, tmp_path / "shipped.pt")
    monkeypatch.setattr(tags, "PRETRAINED", dict(tags.PRETRAINED))
    monkeypatch.setattr(tags, "ALIASES", dict(tags.ALIASES))
    register_pretrained("hrom-tiny.mine", lambda: path, aliases=("mine",))
    assert {"hrom-tiny.bundled", "hrom", "hrom-tiny.mine", "mine"} <= set(list_models(pretrained=True))
    assert "hrom-tiny" in list_models() and create_model("mine").checkpoint == path
    with pytest.raises(ValueError, match="registered preset"):
        register_pretrained("hrom-w99.x", lambda: path)


def test_loaded_model_still_answers_like_the_old_bare_network(tmp_path, tiny_model):
    """hrom 0.1 returned the module with ``checkpoint_meta`` attached: that keeps working, with a warning."""
    loaded = hrom.load_model(save_checkpoint(tiny_model, tmp_path / "m.pt", tracker_hp={"lr": 0.3}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert loaded.checkpoint_meta["tracker_hp"] == {"lr": 0.3}
        assert not loaded.training and loaded.state_dict().keys() == tiny_model.state_dict().keys()
        with torch.no_grad():
            cls, _ = loaded(torch.zeros(1, 3, 127, 127), torch.zeros(1, 3, 255, 255))
    assert cls.shape == (1, 10, 25, 25)
    assert len(caught) == 4 and all(issubclass(w.category, DeprecationWarning) for w in caught)
    assert not hasattr(tiny_model, "checkpoint_meta")  # nothing is stuck onto the network any more


@needs_bundled
@pytest.mark.parametrize("name", ["hrom", "hrom-tiny.bundled"])
def test_info_accepts_tags_and_aliases(name, capsys):
    assert main(["info", name, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model"] == name and info["name"] == "hrom-tiny" and info["hrom_version"] == "0.1.0"
    assert info["config"]["anchor_num"] == 5 and info["cls_shape"] == [1, 10, 25, 25]


def test_info_list_shows_presets_and_pretrained_tags(capsys):
    assert main(["info", "--list"]) == 0
    out = capsys.readouterr().out
    assert "hrom-w18 " in out and "hrom-tiny.bundled" in out and "alias hrom" in out
