"""Photometric augmentations applied to crops (BGR uint8/float images, values 0..255).

* PCA lighting (AlexNet-style): add a random combination of the principal components of
  ImageNet's RGB pixel covariance.  ``strength=1`` gives the amount SiamRPN++ uses (std about
  8 grey levels along the brightness component).
* Grayscale: luminance copied to the three channels.
* Motion blur: a line kernel of random length and direction (``cv2.filter2D``).
"""

from __future__ import annotations

import cv2
import numpy as np

# Principal components of ImageNet RGB pixels (columns; as published with AlexNet-style
# lighting noise) and the per-component std in grey levels for strength 1.
_EIGVEC_RGB = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]], dtype=np.float64
)
_STD_LEVELS = 17.7 * np.sqrt(np.array([0.2175, 0.0188, 0.0045]))


def pca_lighting(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """``image`` (BGR) plus a random lighting offset, as float32 clipped to 0..255."""
    offset_rgb = _EIGVEC_RGB @ (rng.standard_normal(3) * _STD_LEVELS * strength)
    out = image.astype(np.float32) + offset_rgb[::-1].astype(np.float32)
    return np.clip(out, 0, 255, out=out)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Luminance in all three channels (same dtype)."""
    src = image if image.dtype in (np.uint8, np.float32) else image.astype(np.float32)
    g = cv2.cvtColor(src, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)


def motion_kernel(rng: np.random.Generator, max_size: int = 21) -> np.ndarray:
    """Normalised line kernel of odd length in [5, max_size] at a random angle."""
    max_size = max(5, int(max_size) | 1)
    size = int(rng.choice(np.arange(5, max_size + 1, 2)))
    angle = rng.uniform(0, 180)
    kernel = np.zeros((size, size), dtype=np.float32)
    kernel[size // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (size, size), flags=cv2.INTER_LINEAR)
    return kernel / max(float(kernel.sum()), 1e-6)


def motion_blur(image: np.ndarray, rng: np.random.Generator, max_size: int = 21) -> np.ndarray:
    return cv2.filter2D(image, -1, motion_kernel(rng, max_size), borderType=cv2.BORDER_REFLECT)
