"""The keras-ov command (demo in a fresh process; info and export in this one) and IR export."""

import os
import subprocess
import sys

import numpy as np
import openvino as ov
import pytest

import keras
from keras import layers

from keras_ov import cli


def test_demo_in_a_subprocess():
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, "-m", "keras_ov.cli", "check"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "backend: openvino" in out
    assert f"openvino {ov.get_version()}" in out
    assert "second predict (cached model)" in out and "compiled models:" in out
    assert out.strip().splitlines()[-1] == "OK"


def test_demo_reference_matches_predict():
    model = cli.build_demo_model()
    x = np.random.default_rng(0).random((5, 12, 12, 3), dtype=np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), cli.numpy_reference(model, x), rtol=1e-5, atol=1e-6
    )


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "openvino" in out and "CPU" in out and "backend" in out


def _small_model():
    inp = keras.Input((6,), name="features")
    h = layers.Dense(4, activation="tanh")(inp)
    return keras.Model(inp, layers.Dense(2, activation="softmax")(h))


def test_export_command_writes_ir_that_runs(tmp_path, capsys):
    model = _small_model()
    src = tmp_path / "small.keras"
    model.save(src)
    xml = tmp_path / "small.xml"
    assert cli.main(["export", str(src), str(xml)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert xml.exists() and xml.with_suffix(".bin").exists()

    ir = ov.Core().read_model(str(xml))
    assert ir.inputs[0].get_any_name() == "features"
    assert ir.inputs[0].get_partial_shape()[0].is_dynamic
    x = np.random.default_rng(1).random((3, 6), dtype=np.float32)
    got = ov.Core().compile_model(ir, "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_export_format_openvino(tmp_path):
    model = _small_model()
    path = str(tmp_path / "via_keras.xml")
    model.export(path, format="openvino", verbose=False)
    x = np.random.default_rng(2).random((2, 6), dtype=np.float32)
    got = ov.Core().compile_model(path, "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


# -- commands: predict, bench, export, errors ---------------------------------

COMMANDS = ["demo", "check", "info", "predict", "bench", "export", "quantize", "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: keras-ov {command}" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_commands():
    proc = subprocess.run(
        [sys.executable, "-m", "keras_ov", "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for command in COMMANDS:
        assert command in proc.stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    model = _small_model()
    model.save(d / "small.keras")
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    two = keras.Model([a, b], layers.Dense(2, name="y")(layers.Concatenate()([a, b])))
    two.save(d / "two.keras")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.random((7, 6), dtype=np.float32))
    np.save(d / "x_int.npy", np.arange(12).reshape(2, 6))
    np.save(d / "wrong_shape.npy", rng.random((7, 5), dtype=np.float32))
    np.save(d / "wrong_rank.npy", rng.random((7,), dtype=np.float32))
    np.save(d / "wrong_dtype.npy", np.array([["a"] * 6]))
    np.save(d / "complex.npy", np.ones((2, 6), np.complex64))
    np.savez(
        d / "two.npz",
        a=rng.random((4, 3), dtype=np.float32),
        b=rng.random((4, 2), dtype=np.float32),
    )
    (d / "junk.keras").write_text("not a zip")
    (d / "junk.npy").write_text("not numpy")
    (d / "empty.keras").write_bytes(_empty_zip())
    return d, model, two


def _empty_zip():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    return buf.getvalue()


def test_predict_writes_what_predict_returns(files, capsys):
    d, model, _ = files
    out = d / "y.npy"
    assert (
        cli.main(
            [
                "predict",
                str(d / "small.keras"),
                str(d / "x.npy"),
                "-o",
                str(out),
                "--batch-size",
                "3",
            ]
        )
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    x = np.load(d / "x.npy")
    np.testing.assert_allclose(np.load(out), model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)


def test_predict_prints_without_output_and_casts_ints(files, capsys):
    d, model, _ = files
    assert cli.main(["predict", str(d / "small.keras"), str(d / "x_int.npy")]) == 0
    out = capsys.readouterr().out
    assert "(2, 2)" in out and "first rows" in out


def test_predict_two_inputs_from_npz(files, capsys):
    d, _, two = files
    out = d / "two_out.npy"
    assert cli.main(["predict", str(d / "two.keras"), str(d / "two.npz"), "-o", str(out)]) == 0
    feeds = np.load(d / "two.npz")
    want = two.predict([feeds["a"], feeds["b"]], verbose=0)
    np.testing.assert_allclose(np.load(out), want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("hint", ["LATENCY", "THROUGHPUT"])
def test_bench_reports_percentiles_and_throughput(files, hint, capsys):
    d, _, _ = files
    argv = ["bench", str(d / "small.keras"), "--hint", hint, "-n", "30", "--batch-size", "4"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "cpu features: avx2" in out and "bf16" in out and "amx" in out
    assert "count: 30 iterations" in out
    assert "p50" in out and "p90" in out and "p99" in out
    assert "samples/s" in out and f"hint {hint}" in out


def test_bench_an_exported_ir(files, capsys):
    d, _, _ = files
    xml = d / "bench.xml"
    assert cli.main(["export", str(d / "two.keras"), str(xml)]) == 0
    assert cli.main(["bench", str(xml), "-n", "5"]) == 0
    assert "(IR)" in capsys.readouterr().out


def test_percentiles():
    p = cli.percentiles(list(range(1, 101)))
    assert p["p50"] == pytest.approx(50.5) and p["p99"] == pytest.approx(99.01)


BAD = [
    # (argv with {d} for the files' directory, exit status, words the one line contains)
    (["predict", "{d}/missing.keras", "{d}/x.npy"], 1, "no such file: "),
    (["predict", "{d}/small.keras", "{d}/missing.npy"], 1, "no such file: "),
    (["predict", "{d}/junk.keras", "{d}/x.npy"], 1, "cannot load"),
    (["predict", "{d}/empty.keras", "{d}/x.npy"], 1, "cannot load"),
    (["predict", "{d}/small.keras", "{d}/junk.npy"], 1, "cannot read"),
    (["predict", "{d}/small.keras", "{d}/wrong_shape.npy"], 1, "has shape (7, 5)"),
    (["predict", "{d}/small.keras", "{d}/wrong_rank.npy"], 1, "has shape (7,)"),
    (["predict", "{d}/small.keras", "{d}/wrong_dtype.npy"], 1, "has dtype <U1"),
    (["predict", "{d}/small.keras", "{d}/complex.npy"], 1, "has dtype complex64"),
    (["predict", "{d}/two.keras", "{d}/x.npy"], 1, "takes 2 inputs"),
    (["predict", "{d}/small.keras", "{d}/x.npy", "--device", "TPU"], 1, "unknown device 'TPU'"),
    (["predict", "{d}/small.keras", "{d}/x.npy", "--precision", "f8"], 2, "invalid choice: 'f8'"),
    (["predict", "{d}/small.keras", "{d}/x.npy", "--batch-size", "0"], 1, "--batch-size"),
    (["bench", "{d}/missing.xml"], 1, "no such file: "),
    (["bench", "{d}/junk.keras"], 1, "cannot load"),
    (["bench", "{d}/small.keras", "--device", "NPU7"], 1, "unknown device 'NPU7'"),
    (["bench", "{d}/small.keras", "--hint", "FAST"], 2, "invalid choice: 'FAST'"),
    (["export", "{d}/small.keras", "{d}/out.onnx"], 1, "end with '.xml'"),
    (["export", "{d}/small.keras", "{d}/o.xml", "--precision", "int4"], 2, "invalid choice"),
    (["export", "{d}/small.keras"], 1, "give OUT.xml"),
    (["export", "{d}/missing.keras", "{d}/o.xml"], 1, "no such file: "),
    (["quantize", "{d}/small.keras", "-o", "{d}/q.xml"], 1, "--mode int8 needs --calibration"),
    (
        ["quantize", "{d}/small.keras", "-o", "{d}/q.onnx", "--calibration", "{d}/x.npy"],
        1,
        "end with '.xml'",
    ),
    (["quantize", "{d}/small.keras", "--calibration", "{d}/x.npy"], 1, "give -o OUT.xml"),
    (
        [
            "quantize",
            "{d}/small.keras",
            "-o",
            "{d}/q.xml",
            "--mode",
            "int4",
            "--calibration",
            "{d}/x.npy",
        ],
        1,
        "drop --calibration",
    ),
    (["quantize", "{d}/small.keras", "-o", "{d}/q.xml", "--mode", "fp4"], 2, "invalid choice"),
    (
        ["quantize", "{d}/small.keras", "-o", "{d}/q.xml", "--calibration", "{d}/wrong_shape.npy"],
        1,
        "has shape (7, 5)",
    ),
    (["quantize", "{d}/missing.keras", "-o", "{d}/q.xml", "--mode", "int4"], 1, "no such file: "),
    (["export", "{d}/small.keras", "{d}/o.xml", "--int8"], 1, "needs --calibration"),
    (["export", "{d}/small.keras", "{d}/o.xml", "--calibration", "{d}/x.npy"], 1, "with --int8"),
    (
        ["export", "{d}/small.keras", "{d}/o.xml", "--int8", "--precision", "bf16"],
        1,
        "drop --ovms and --precision",
    ),
    (["nonsense"], 2, "invalid choice: 'nonsense'"),
]


@pytest.mark.parametrize("argv,status,words", BAD, ids=[" ".join(b[0][:3]) for b in BAD])
def test_bad_input_is_one_clear_line(files, argv, status, words, capsys):
    d, _, _ = files
    argv = [a.format(d=d) for a in argv]
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    assert code == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert words in err[0] and "error:" in err[0] and "Traceback" not in err[0]


def test_bad_input_in_a_fresh_process_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "keras_ov", "predict", str(tmp_path / "nope.keras"), "x.npy"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"keras-ov predict: error: no such file: {tmp_path / 'nope.keras'}"
    ]


# -- quantize (NNCF) ----------------------------------------------------------


def _ir_constants(path):
    ir = ov.Core().read_model(str(path))
    kinds = [n.get_type_name() for n in ir.get_ordered_ops()]
    types = {
        n.get_output_element_type(0).get_type_name()
        for n in ir.get_ordered_ops()
        if n.get_type_name() == "Constant"
    }
    return ir, kinds, types


@pytest.mark.parametrize(
    "argv,fake_quantize,weights",
    [
        (["quantize", "{m}", "-o", "{o}", "--calibration", "{x}"], True, "i8"),
        (["export", "{m}", "{o}", "--int8", "--calibration", "{x}"], True, "i8"),
        (["quantize", "{m}", "-o", "{o}", "--mode", "int8_weights"], False, "u8"),
        (["quantize", "{m}", "-o", "{o}", "--mode", "int4"], False, "i4"),
    ],
)
def test_quantize_writes_a_quantized_ir_that_runs(
    files, tmp_path, argv, fake_quantize, weights, capsys
):
    pytest.importorskip("nncf")
    d, model, _ = files
    out = tmp_path / "q.xml"
    argv = [a.format(m=d / "small.keras", o=out, x=d / "x.npy") for a in argv]
    assert cli.main(argv) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    ir, kinds, types = _ir_constants(out)
    assert ("FakeQuantize" in kinds) == fake_quantize
    assert weights in types  # compressed weights stay compressed in the IR
    x = np.load(d / "x.npy")
    got = ov.Core().compile_model(ir, "CPU")(x)[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=0.1)
