"""Japanese word segmentation with exact character offsets, and token/entity alignment checks."""
