"""hrom: the HROM Siamese tracker — models, tracking, training, benchmarks, export."""

__version__ = "0.1.0"


def load_model(path, device="cpu"):
    """Rebuild an HROM network from a checkpoint file: a ``LoadedModel`` (``.model`` the network
    in eval mode, ``.meta``, ``.tracker_hp``, ``.config``; see hrom.models.checkpoint)."""
    from hrom.models.checkpoint import load_model as _load

    return _load(path, device)
