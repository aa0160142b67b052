"""``keras-ov serve``: an exported model over HTTP on Ray Serve (extra ``keras-ov[serve]``).

Each replica compiles the IR once with plain OpenVINO (no Keras in the
replica) and answers ``POST /NAME`` with a JSON body ``{"inputs": X}`` (one
input: a nested list; several: ``{"input name": nested list, ...}``) by
``{"outputs": Y}`` (one output: a nested list; several: a dict by output
name).  A bad request -- a body that is not JSON, no ``inputs``, a ragged
array, a wrong shape or dtype -- gets HTTP 400 and ``{"error": "one line"}``;
the replica keeps serving.  On a Ray cluster, ``--address auto`` deploys the
same application onto the running cluster instead of a local one.
"""

import json
import os
import signal
import tempfile
import time

import numpy as np
import ray
from ray import serve
from starlette.responses import JSONResponse

from keras_ov.cli_util import CLIError, _existing, load_keras_model


class BadRequest(ValueError):
    pass


def _one_line(e):
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def parse_inputs(body, ports):
    """The feeds for ``ports`` (``[(name, partial_shape, dtype)]``) from a JSON body."""
    if not isinstance(body, dict) or "inputs" not in body:
        raise BadRequest('the body must be a JSON object {"inputs": ...}')
    given = body["inputs"]
    if len(ports) == 1 and not isinstance(given, dict):
        given = {ports[0][0]: given}
    if not isinstance(given, dict):
        names = [p[0] for p in ports]
        raise BadRequest(
            f"the model takes {len(ports)} inputs: send {{'inputs': {{name: array}}}} "
            f"with names {names}"
        )
    feeds = {}
    for name, shape, dtype in ports:
        if name not in given:
            raise BadRequest(f"missing input {name!r}")
        try:
            x = np.asarray(given[name])
        except ValueError as e:
            raise BadRequest(f"input {name!r} is not a rectangular array: {_one_line(e)}") from None
        if x.dtype == object or not np.can_cast(x.dtype, dtype, "same_kind"):
            raise BadRequest(f"input {name!r} has dtype {x.dtype}, the model expects {dtype}")
        if x.ndim != len(shape) or any(w is not None and w != d for w, d in zip(shape, x.shape)):
            shown = "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
            raise BadRequest(f"input {name!r} has shape {x.shape}, the model expects {shown}")
        feeds[name] = x.astype(dtype, copy=False)
    return feeds


@serve.deployment
class OpenVINOModel:
    """One OpenVINO compiled model per replica."""

    def __init__(self, xml_path, threads):
        import openvino as ov  # lazy: loads keras/openvino (seconds); `--help` and the other commands should not

        config = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = ov.Core().compile_model(xml_path, "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.ports = [
            (
                p.get_any_name(),
                tuple(d.get_length() if d.is_static else None for d in p.get_partial_shape()),
                np.dtype(p.get_element_type().to_dtype()),
            )
            for p in self.compiled.inputs
        ]
        self.outputs = [o.get_any_name() for o in self.compiled.outputs]

    async def __call__(self, request):
        try:
            body = json.loads(await request.body())
            feeds = parse_inputs(body, self.ports)
        except (BadRequest, ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
            return JSONResponse({"error": _one_line(e)}, status_code=400)
        # One request at a time per replica: the event loop runs this synchronously.
        results = self.request.infer(feeds)
        values = [np.asarray(results[o]).tolist() for o in self.compiled.outputs]
        if len(values) == 1:
            return {"outputs": values[0]}
        return {"outputs": dict(zip(self.outputs, values))}


def _ir_path(model_path, workdir):
    """An IR .xml for ``model_path`` (exported to ``workdir`` when it is a .keras file)."""
    if model_path.endswith(".xml"):
        return os.path.abspath(model_path)
    # lazy: loads keras/openvino (seconds); `--help` and the other commands should not
    from keras_ov.backend.export import export_model

    xml = os.path.join(workdir, "model.xml")
    export_model(load_keras_model(model_path), xml)
    return xml


def run(args):

    _existing(args.model)
    if args.replicas < 1:
        raise CLIError(f"--replicas must be at least 1, got {args.replicas}")
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    workdir = tempfile.mkdtemp(prefix="keras-ov-serve-")
    xml = _ir_path(args.model, workdir)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Without --address, a Ray of our own: address=None would attach to any
    # Ray already running on this machine (another `keras-ov serve`), and go
    # down with it.
    ray.init(
        address=args.address or "local",
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        serve.start(http_options={"host": args.host, "port": args.port})
        app = OpenVINOModel.options(
            num_replicas=args.replicas,
            ray_actor_options={"num_cpus": args.cpus_per_replica},
        ).bind(xml, args.threads)
        serve.run(app, name=name, route_prefix=f"/{name}")
        print(
            f"serving {name} at http://{args.host}:{args.port}/{name} "
            f'with {args.replicas} replica(s); POST {{"inputs": ...}}; Ctrl-C stops',
            flush=True,
        )
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()
        ray.shutdown()
    return 0
