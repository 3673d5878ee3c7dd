"""The spec language: text → NetSpec, and the zoo of named nets."""

from cnntool.spec.nodes import LayerSpec, NetSpec, Node, ResidualSpec
from cnntool.spec.parser import parse
from cnntool.spec.source import load_spec, parse_shape
from cnntool.spec.zoo import ZOO

__all__ = ["LayerSpec", "NetSpec", "Node", "ResidualSpec", "ZOO", "load_spec", "parse", "parse_shape"]
