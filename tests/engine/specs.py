"""Single-layer (and small) specs that exercise every layer and every option that changes values.

LAYER_SPECS: the core list, also gradient-checked by every default run (test_gradcheck.py).
OPTION_SPECS: more options and their combinations; compared with the PyTorch twin by default and
gradient-checked in the slow sweep. PARITY_SPECS is both. Specs whose names contain "dropout" are
compared in eval mode only (no two libraries draw the same dropout mask).
"""

# Kinds the spec language has but neither the engine nor (so far) the twin builds.
NOT_IN_TWIN = frozenset(["rnn", "gru", "lstm", "embedding", "gelu", "elu", "hardswish", "identity"])

LAYER_SPECS = {
    "conv": "3x6x7 | conv 4 k3",
    "conv_stride_pad": "2x7x7 | conv 3 k3 s2 p1",
    "conv_rect_dilation": "2x8x7 | conv 3 k3x2 s2x1 p1 d2",
    "conv_stride_gt_kernel": "2x9x9 | conv 2 k2 s3",
    "conv_groups": "4x6x6 | conv 6 k3 g2 p1",
    "conv_same_even": "2x6x6 | conv 3 k4 padding=same",
    "conv_nobias": "2x5x5 | conv 3 k3 bias=false",
    "dwconv": "3x6x6 | dwconv k3 s2 p1",
    "conv1d": "3x11 | conv 4 k3 s2 d2 p1",
    "convT": "3x4x4 | convT 2 k3 s2 p1 op=1",
    "convT_groups": "4x3x3 | convT 4 k2 s2 g2",
    "convT1d": "2x5 | convT 3 k3 s2",
    "maxpool": "2x6x6 | maxpool 2",
    "maxpool_ceil_pad": "2x7x7 | maxpool 3 s2 p1 ceil=true",
    "maxpool_dilation": "2x9x9 | maxpool 3 s2 dilation=2",
    "maxpool1d": "2x9 | maxpool 3 s2 ceil=true",
    "avgpool": "2x6x6 | avgpool 2",
    "avgpool_ceil_pad": "2x7x7 | avgpool 3 s2 p1 ceil=true",
    "avgpool_exclude_pad": "2x7x7 | avgpool 3 s2 p1 count_include_pad=false",
    "adaptiveavgpool": "2x7x5 | adaptiveavgpool 3",
    "globalavgpool": "3x4x5 | globalavgpool",
    "dense": "7 | dense 5",
    "flatten_dense": "2x3x3 | flatten | dense 4",
    "batchnorm2d": "3x4x4 | batchnorm",
    "batchnorm1d": "5 | batchnorm",
    "layernorm": "6 | layernorm",
    "relu": "2x3x3 | relu",
    "relu6": "2x3x3 | relu6",
    "leakyrelu": "2x3x3 | leakyrelu slope=0.2",
    "sigmoid": "2x3x3 | sigmoid",
    "tanh": "2x3x3 | tanh",
    "softmax": "6 | softmax",
    "upsample": "2x3x4 | upsample 2",
    "residual_identity": "3x5x5 | res[conv 3 k3 p1 | relu | conv 3 k3 p1]",
    "residual_projection": "2x6x6 | res[conv 4 k3 s2 p1 | batchnorm | relu | conv 4 k3 p1 | batchnorm] | relu",
}

OPTION_SPECS = {
    # conv: padding AxB, same (odd, even, dilated, per axis), valid, groups with stride, 1-D variants
    "conv_pad_rect": "2x6x7 | conv 3 k3 p1x2",
    "conv_same_odd": "2x6x6 | conv 3 k3 padding=same",
    "conv_same_dilated": "2x7x7 | conv 2 k3 d2 padding=same",
    "conv_same_even_rect": "2x6x7 | conv 2 k2x4 padding=same",
    "conv_same_even_dilated": "2x9x9 | conv 2 k4 d3 psame",
    "conv_valid": "2x6x6 | conv 3 k3 padding=valid",
    "conv_groups_stride_nobias": "6x7x7 | conv 9 k3 s2 g3 bias=false",
    "conv_groups_dilated_rect": "4x8x7 | conv 4 k2x3 d2x1 g4 p1",
    "conv1d_same_even": "2x9 | conv 3 k4 padding=same",
    "conv1d_groups_nobias": "4x9 | conv 6 k3 g2 bias=false",
    # dwconv: the multiplier, dilation, no bias, 1-D, even 'same'
    "dwconv_mult": "2x6x6 | dwconv 3 k3 p1",
    "dwconv_mult_dilated_nobias": "3x7x7 | dwconv mult=2 k3 d2 bias=false",
    "dwconv1d": "3x9 | dwconv 2 k3 s2",
    "dwconv_same_even": "2x6x6 | dwconv k2 padding=same",
    # convT: dilation, per-axis stride/padding/output_padding, no bias, groups in 1-D
    "convT_dilation": "2x4x4 | convT 3 k3 s2 d2 op=1",
    "convT_rect": "2x3x4 | convT 2 k3x2 s2x1 p1x0 op=1x0",
    "convT_nobias": "3x4x4 | convT 2 k4 s2 p1 bias=false",
    "convT1d_groups_op": "4x5 | convT 2 k3 s3 p1 op=2 g2",
    # maxpool: default stride, a dilation that keeps the shape (values only), ceil alone and combined
    "maxpool_rect_default_stride": "2x6x9 | maxpool 2x3",
    "maxpool_dilation_same_shape": "2x8x8 | maxpool 2 s4 dilation=2",
    "maxpool_ceil": "2x7x7 | maxpool 2 ceil=true",
    "maxpool_ceil_dilation_pad": "2x10x10 | maxpool 3 s2 p1 dilation=2 ceil=true",
    "maxpool1d_pad_dilation": "2x11 | maxpool 3 s1 p1 dilation=2",
    # avgpool: ceil (a window past the edge averages fewer cells), count_include_pad with ceil, 1-D
    "avgpool_ceil": "2x7x7 | avgpool 2 ceil=true",
    "avgpool_ceil_exclude_pad": "2x8x8 | avgpool 3 s2 p1 ceil=true count_include_pad=false",
    "avgpool_rect_stride": "2x7x9 | avgpool 3x2 s2x3 p1x0",
    "avgpool1d_exclude_pad": "2x9 | avgpool 3 s2 p1 count_include_pad=false",
    "avgpool1d_ceil_pad": "2x10 | avgpool 4 s3 p2 ceil=true",
    # adaptive and global average pooling
    "adaptiveavgpool_rect": "2x9x7 | adaptiveavgpool 4x3",
    "adaptiveavgpool1d": "3x10 | adaptiveavgpool 4",
    "adaptiveavgpool_larger": "2x3x3 | adaptiveavgpool 5",
    "globalavgpool1d": "3x7 | globalavgpool",
    "globalavgpool_dense": "3x4x4 | globalavgpool | dense 2",
    # dense: no bias, on a T×F sequence (every step)
    "dense_nobias": "7 | dense 5 bias=false",
    "dense_sequence": "5x4 | dense 3",
    "dense_sequence_nobias": "5x4 | dense 3 nobias",
    # dropout (eval only in the comparison)
    "dropout": "3x4x4 | dropout 0.3",
    "dropout_dense": "8 | dense 6 | dropout | dense 3",
    # batchnorm: 1-D on a signal, no affine, after a conv
    "batchnorm1d_signal": "3x7 | batchnorm",
    "batchnorm2d_noaffine": "3x4x4 | batchnorm affine=false",
    "batchnorm1d_noaffine": "4 | batchnorm affine=false",
    "conv_batchnorm_relu": "3x6x6 | conv 4 k3 p1 bias=false | batchnorm | relu",
    # layernorm: on a sequence, over 2 or 3 trailing dims, no affine
    "layernorm_sequence": "5x4 | layernorm",
    "layernorm_dims2": "3x4x5 | layernorm dims=2",
    "layernorm_dims3_noaffine": "2x3x4 | layernorm dims=3 affine=false",
    "layernorm_signal_noaffine": "3x6 | layernorm affine=false",
    # activations: default and aliased slopes, fused after conv and dense, softmax over channels
    "leakyrelu_default": "2x3x3 | leakyrelu",
    "leakyrelu_alias": "8 | leakyrelu negative_slope=0.3",
    "conv_leakyrelu": "2x5x5 | conv 3 k3 | leakyrelu 0.25",
    "dense_leakyrelu": "6 | dense 5 | leakyrelu slope=0.15",
    "conv_relu6": "2x5x5 | conv 3 k3 | relu6",
    "dense_relu6": "6 | dense 5 | relu6",
    "conv_sigmoid": "2x5x5 | conv 3 k3 | sigmoid",
    "conv_tanh": "2x5x5 | conv 3 k3 | tanh",
    "conv_relu": "2x5x5 | conv 3 k3 p1 | relu",
    "softmax_channels": "4x3x3 | softmax",
    "dense_softmax": "6 | dense 4 | softmax",
    # upsample: per-axis scale, 1-D, mode given
    "upsample_rect": "2x3x4 | upsample 2x3",
    "upsample1d": "2x5 | upsample 3",
    "upsample_mode": "2x3x3 | upsample scale=2 mode=nearest",
    # residual blocks: channel-only and per-axis projections, 1-D, nested, repeated, on a vector
    "residual_channels_only": "2x5x5 | res[conv 4 k3 p1 | batchnorm] | relu",
    "residual_rect_stride": "2x8x6 | res[conv 3 k3 s2x1 p1] | relu",
    "residual1d": "3x8 | res[conv 3 k3 p1 | relu | conv 3 k3 p1]",
    "residual1d_projection": "2x9 | res[conv 4 k3 s2 p1 | batchnorm]",
    "residual_nested": "3x5x5 | res[conv 3 k3 p1 | res[relu | conv 3 k3 p1]]",
    "residual_repeated": "3x4x4 | 2*res[conv 3 k3 p1 | relu]",
    "residual_vector": "6 | res[dense 6 | relu]",
}

PARITY_SPECS = {**LAYER_SPECS, **OPTION_SPECS}

# Input scale per spec (default 1): relu6 must see inputs above 6 for its cap to matter.
INPUT_SCALE = {"relu6": 10.0, "conv_relu6": 10.0, "dense_relu6": 10.0}

# Specs whose PyTorch twin and engine disagree today (see test_torch_parity.py's known mismatches).
KNOWN_MISMATCHES = {
    "softmax_sequence": "5x4 | dense 3 | softmax",
    "batchnorm_sequence": "5x4 | dense 3 | batchnorm",
    "frozen_conv": "2x5x5 | conv 3 k3 trainable=false | flatten | dense 2",
}
