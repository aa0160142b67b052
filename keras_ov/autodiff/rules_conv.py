"""Gradient rules of convolutions (plain, grouped/depthwise, transposed; 1-3D).

A convolution's data gradient is the transposed convolution of the
cotangent with the same weights (and the other way round); its weight
gradient is a convolution of the input with the cotangent as the kernel,
batch and channels swapped, the forward stride becoming the dilation and the
dilation the stride.  Spatial dims must be static (the batch may be
dynamic); pads are the ones OpenVINO resolved for the node.
"""

from keras_ov.autodiff.core import rule
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _attrs(node):
    a = node.get_attributes()
    mode = str(a.get("auto_pad", "explicit")).lower()
    n = len(a["strides"])
    pb, pe = list(a["pads_begin"]), list(a["pads_end"])
    if mode == "valid":
        pb, pe = [0] * n, [0] * n
    return list(a["strides"]), list(a["dilations"]), pb, pe


def _spatial(x, op):
    dims = g.static_shape(x)[2:]
    if None in dims:
        raise NotImplementedError(f"keras-ov: gradient of {op} with dynamic spatial dims {dims}")
    return list(dims)


def _weight_grad(x, ct, groups, kernel, strides, dilations, pb, op):
    """d/dw of conv(x, w) for weights laid out (G, O/G, I/G, *kernel).

    ``out[g, o, i, k] = sum_{n, p} ct[n, g*O/G + o, p] * xpad[n, g*I/G + i, p*s + k*d]``:
    a grouped convolution over the batch, with ``x`` (channels -> batch) as
    data and ``ct`` as the kernel, stride ``d`` and dilation ``s``.
    """
    n = len(kernel)
    xs, cs = _spatial(x, op), _spatial(ct, op)
    ci = g.static_shape(x)[1] // groups
    co = g.static_shape(ct)[1] // groups
    # only the extent the kernel taps reach is needed past the input's end
    pe = [
        max(0, (c - 1) * s + (k - 1) * d + 1 - xi - b)
        for c, s, k, d, xi, b in zip(cs, strides, kernel, dilations, xs, pb)
    ]
    sp = list(range(3, 3 + n))
    data = g.transpose(g.reshape(x, [-1, groups, ci, *xs]), [2, 1, 0, *sp])  # (Ci, G, N, ..)
    data = g.reshape(data, [ci, -1, *xs])  # (Ci, G*N, ..)
    kern = g.transpose(g.reshape(ct, [-1, groups, co, *cs]), [1, 2, 0, *sp])  # (G, Co, N, ..)
    out = g.out(
        ov_ops.group_convolution(
            data, kern, list(dilations), list(pb), pe, list(strides), auto_pad="explicit"
        )
    )  # (Ci, G*Co, ..)
    out = g.reshape(out, [ci, groups, co, *g.static_shape(out)[2:]])
    out = g.transpose(out, [1, 2, 0, *sp])  # (G, Co, Ci, ..)
    if g.static_shape(out)[3:] != list(kernel) and tuple(g.static_shape(out)[3:]) != tuple(kernel):
        out = g.out(
            ov_ops.slice(out, g.i64([0] * n), g.i64(list(kernel)), g.i64([1] * n), g.i64(sp))
        )
    return out


def _backprop(ct, w, strides, dilations, pb, pe, out_spatial, groups):
    """The transposed convolution of ``ct`` sized back to ``out_spatial``."""
    kernel = g.static_shape(w)[-len(strides) :]
    cs = _spatial(ct, "convolution")
    natural = [
        s * (c - 1) + d * (k - 1) + 1 - b - e
        for s, c, d, k, b, e in zip(strides, cs, dilations, kernel, pb, pe)
    ]
    extra = [o - m for o, m in zip(out_spatial, natural)]
    backprop = (
        ov_ops.group_convolution_backprop_data if groups else ov_ops.convolution_backprop_data
    )
    return g.out(
        backprop(
            ct,
            w,
            list(strides),
            pads_begin=pb,
            pads_end=pe,
            dilations=list(dilations),
            auto_pad="explicit",
            output_padding=extra,
        )
    )


@rule("Convolution")
def _(node, ct):
    x, w = node.input_value(0), node.input_value(1)
    strides, dilations, pb, pe = _attrs(node)
    kernel = g.static_shape(w)[2:]
    dx = _backprop(ct[0], w, strides, dilations, pb, pe, _spatial(x, "Convolution"), False)
    dw = _weight_grad(x, ct[0], 1, kernel, strides, dilations, pb, "Convolution")
    return [dx, g.reshape(dw, g.static_shape(w))]


@rule("GroupConvolution")
def _(node, ct):
    x, w = node.input_value(0), node.input_value(1)
    strides, dilations, pb, pe = _attrs(node)
    groups, kernel = g.static_shape(w)[0], g.static_shape(w)[3:]
    dx = _backprop(ct[0], w, strides, dilations, pb, pe, _spatial(x, "GroupConvolution"), True)
    dw = _weight_grad(x, ct[0], groups, kernel, strides, dilations, pb, "GroupConvolution")
    return [dx, dw]


def _transposed(node, ct, groups):
    """ConvolutionBackpropData: y = conv^T(x, w); dx = conv(ct, w), dw by swapping roles."""
    if node.get_input_size() != 2:
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} with an output_shape input"
        )
    x, w = node.input_value(0), node.input_value(1)
    a = node.get_attributes()
    if str(a.get("auto_pad", "explicit")).lower() not in ("explicit", "notset"):
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} with auto_pad={a['auto_pad']}"
        )
    strides, dilations, pb, pe = (
        list(a["strides"]),
        list(a["dilations"]),
        list(a["pads_begin"]),
        list(a["pads_end"]),
    )
    op = node.get_type_name()
    if groups:
        dx = g.out(
            ov_ops.group_convolution(ct[0], w, strides, pb, pe, dilations, auto_pad="explicit")
        )
        G, kernel = g.static_shape(w)[0], g.static_shape(w)[3:]
    else:
        dx = g.out(ov_ops.convolution(ct[0], w, strides, pb, pe, dilations, auto_pad="explicit"))
        G, kernel = 1, g.static_shape(w)[2:]
    # w read as conv weights (G, O=in, I=out): the cotangent plays the input, x the cotangent
    dw = _weight_grad(ct[0], x, G, kernel, strides, dilations, pb, op)
    return [dx, g.reshape(dw, g.static_shape(w))]


@rule("ConvolutionBackpropData")
def _(node, ct):
    return _transposed(node, ct, False)


@rule("GroupConvolutionBackpropData")
def _(node, ct):
    return _transposed(node, ct, True)
