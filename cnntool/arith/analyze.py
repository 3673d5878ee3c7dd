"""Walk a NetSpec layer by layer: shapes, counts, MACs and receptive fields for every layer.

This is the one place where shapes flow through a network. The CLI, the TUI,
the checker and the engine (`build(spec)`) all read its Summary.
"""

from __future__ import annotations

import dataclasses

from cnntool.arith import conv, dense, pool, receptive, recurrent
from cnntool.arith.context import Computed, Ctx, LayerProblem, Tensor, shape_text
from cnntool.arith.formulas import conv_out_len
from cnntool.arith.results import LayerResult, Node, ReceptiveField, ResidualResult, Summary
from cnntool.errors import ShapeError
from cnntool.spec.catalog import ACTIVATION_KINDS, RECURRENT_KINDS
from cnntool.spec.nodes import LayerSpec, NetSpec, ResidualSpec
from cnntool.spec.parser import parse
from cnntool.spec.source import load_spec

_HANDLERS = {
    "conv": conv.conv,
    "dwconv": conv.dwconv,
    "convT": conv.conv_transpose,
    "maxpool": pool.maxpool,
    "avgpool": pool.avgpool,
    "globalavgpool": pool.globalavgpool,
    "adaptiveavgpool": pool.adaptiveavgpool,
    "upsample": pool.upsample,
    "dense": dense.dense,
    "flatten": dense.flatten,
    "embedding": dense.embedding,
    "batchnorm": dense.batchnorm,
    "layernorm": dense.layernorm,
    "dropout": dense.elementwise,
    **{kind: dense.elementwise for kind in ACTIVATION_KINDS},
    **{kind: recurrent.recurrent for kind in RECURRENT_KINDS},
}

CONVENTIONS = ("pytorch", "keras")


class _Walker:
    def __init__(self, spec: NetSpec, ctx: Ctx) -> None:
        self.spec = spec
        self.ctx = ctx
        self.rows: list[LayerResult] = []
        self.input_spatial = spec.input_shape[1:] if spec.layout in ("signal", "image") else ()

    def walk(
        self, nodes: tuple, x: Tensor, rf: ReceptiveField | None, depth: int
    ) -> tuple[tuple[Node, ...], Tensor, ReceptiveField | None]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, ResidualSpec):
                result, x, rf = self.residual(node, x, rf, depth)
            else:
                result, x, rf = self.layer(node, x, rf, depth)
            out.append(result)
        return tuple(out), x, rf

    def layer(
        self, spec: LayerSpec, x: Tensor, rf: ReceptiveField | None, depth: int, role: str = "layer"
    ) -> tuple[LayerResult, Tensor, ReceptiveField | None]:
        index = len(self.rows) + 1
        try:
            computed: Computed = _HANDLERS[spec.kind](spec, x, self.ctx)
        except LayerProblem as problem:
            self.fail(spec.offset, spec.text, index, x, str(problem))
        before, rf = rf, receptive.step(rf, computed.rf, self.input_spatial)
        computed.formulas.extend(receptive.explain(before, computed.rf, rf))
        trainable = spec.get("trainable", True)
        params = computed.params
        result = LayerResult(
            index=index,
            kind=spec.kind,
            text=spec.text,
            input_shape=x.shape,
            output_shape=computed.out.shape,
            params=params,
            trainable_params=params - computed.non_trainable if trainable else 0,
            buffers=computed.buffers,
            params_unshared=params if computed.unshared is None else computed.unshared,
            params_dense=params if computed.dense is None else computed.dense,
            macs=computed.macs,
            receptive_field=rf,
            layout=computed.out.layout,
            input_layout=x.layout,
            role=role,
            depth=depth,
            formulas=tuple(computed.formulas),
            warnings=tuple(f"layer {index} ({spec.text}): {w}" for w in computed.warnings),
            causes=tuple(computed.warnings),
            hyper=computed.hyper,
        )
        self.rows.append(result)
        return result, computed.out, rf

    def residual(
        self, spec: ResidualSpec, x: Tensor, rf: ReceptiveField | None, depth: int
    ) -> tuple[ResidualResult, Tensor, ReceptiveField | None]:
        body, y, body_rf = self.walk(spec.body, x, rf, depth + 1)
        shortcut: list[LayerResult] = []
        short_rf = rf
        if y.shape != x.shape:
            short_x = x
            for layer_spec in self.projection(spec, x, y):
                row, short_x, short_rf = self.layer(layer_spec, short_x, short_rf, depth + 1, role="shortcut")
                shortcut.append(row)
        kind = "projection" if shortcut else "identity"
        add = LayerResult(
            index=len(self.rows) + 1,
            kind="add",
            text=f"add ({kind} shortcut)",
            input_shape=y.shape,
            output_shape=y.shape,
            receptive_field=receptive.merge(body_rf, short_rf),
            layout=y.layout,
            input_layout=y.layout,
            role="add",
            depth=depth,
        )
        self.rows.append(add)
        return ResidualResult(body, tuple(shortcut), add, x.shape, y.shape), y, add.receptive_field

    def projection(self, spec: ResidualSpec, x: Tensor, y: Tensor) -> tuple[LayerSpec, ...]:
        """torchvision's downsample: a 1×1 conv with the block's stride (no bias) + batchnorm."""
        index = len(self.rows) + 1
        if x.layout not in ("signal", "image") or y.layout != x.layout:
            self.fail(
                spec.offset,
                spec.text,
                index,
                x,
                f"the block maps {shape_text(x.shape)} to {shape_text(y.shape)}; "
                "a projection shortcut is only built for images and signals (keep the shape inside res[...])",
            )
        strides = []
        for n, o in zip(x.spatial, y.spatial):
            fit = next((s for s in range(1, n + 1) if conv_out_len(n, 1, s) == o), None)
            if fit is None:
                self.fail(
                    spec.offset,
                    spec.text,
                    index,
                    x,
                    f"the block maps {shape_text(x.shape)} to "
                    f"{shape_text(y.shape)}, which no strided 1×1 conv shortcut can match",
                )
            strides.append(fit)
        stride = "x".join(map(str, strides)) if len(set(strides)) > 1 else str(strides[0])
        parsed = parse(
            f"{'x'.join(map(str, x.shape))} | conv {y.shape[0]} k1 s{stride} bias=false | batchnorm"
        )
        return tuple(
            dataclasses.replace(layer, text=f"shortcut: {layer.text}", offset=spec.offset)
            for layer in parsed.layers
        )

    def fail(self, offset: int, text: str, index: int, x: Tensor, message: str) -> None:
        raise ShapeError(
            f"layer {index} '{text}' cannot take input {shape_text(x.shape)}: {message}",
            self.spec.source if offset >= 0 else "",
            offset,
            len(text),
        )


def summarize(
    spec: str | NetSpec, convention: str = "pytorch", input_shape: str | None = None, hwc: bool = False
) -> Summary:
    """Everything about a network: `summarize("3x32x32 | conv 10 k5 p2").total_params == 760`.

    `spec` is spec text, a zoo name, a file path or a parsed NetSpec; `convention`
    is "pytorch" (default) or "keras" (single-bias RNNs, BN statistics as params,
    'same' padding with strides).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    net = load_spec(spec, input_shape=input_shape, hwc=hwc)
    walker = _Walker(net, Ctx(convention))
    x = Tensor(net.input_shape, net.layout)
    nodes, out, _ = walker.walk(net.layers, x, receptive.initial(walker.input_spatial), 0)
    return Summary(net.input_shape, out.shape, net.layout, tuple(walker.rows), nodes, convention, net.name)


analyze = summarize
