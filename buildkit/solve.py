"""One solve, in gateway mode, on either kind of daemon.

Control.Solve is called without a Definition, which makes the daemon wait for us
to act as the frontend (as Go's ``client.Build`` does).  Through LLBBridge we
check the Definition's caps against the daemon's, solve it, and return the
result with the image config as metadata: the only way to configure the image
that works on Docker 20.10 as well as buildkitd.  Status runs alongside.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as _random
import string
import threading
from collections.abc import Callable

import grpc

from buildkit.capabilities import DaemonInfo, check_caps
from buildkit.engine import EngineClient, registry_auth
from buildkit.errors import (
    AuthFailed,
    BuildKitError,
    InvalidDefinition,
    PushFailed,
    SolveCancelled,
    SolveFailed,
    SourceLocation,
    from_rpc_error,
    looks_like_auth_error,
)
from buildkit.options import SolveOptions, SolveResult, plain_http_attrs
from buildkit.pb import control_pb2, control_pb2_grpc, gateway_pb2, gateway_pb2_grpc, rpc_status_pb2
from buildkit.progress import Event, PushProgress, Tracker
from buildkit.session import Session
from buildkit.transport import Connection
from llb.imageref import registry_host

log = logging.getLogger(__name__)
EventCallback = Callable[[Event], None]
DOCKER_MAX_MESSAGE = 4 << 20
#: How long a failed solve's job may take to end by itself before it is cancelled.
FAILED_JOB_GRACE_S = 10.0
_ALPHABET = string.ascii_lowercase + string.digits


def new_ref() -> str:
    """A build reference in BuildKit's style: 25 random base36 characters."""
    return "".join(_random.choice(_ALPHABET) for _ in range(25))


def source_location(definition, digest: str) -> SourceLocation | None:
    """The recipe location of vertex ``digest`` from the Definition's source map."""
    locations = definition.Source.locations.get(digest)
    if not locations or not locations.locations:
        return None
    loc = locations.locations[0]
    if loc.sourceIndex >= len(definition.Source.infos) or not loc.ranges:
        return None
    filename = definition.Source.infos[loc.sourceIndex].filename
    return SourceLocation(filename, loc.ranges[0].start.Line, loc.ranges[-1].end.Line)


class SolveRun:
    """The state of one solve; :meth:`run` does it once."""

    def __init__(self, conn: Connection, info: DaemonInfo, definition, options: SolveOptions,
                 on_event: EventCallback | None, cancel: threading.Event,
                 watch_cancel: bool = True):
        self.conn, self.info, self.definition, self.options = conn, info, definition, options
        self.on_event = on_event or (lambda _e: None)
        self.cancel_event = cancel
        self.ref = new_ref()
        self.tracker = Tracker()
        self._calls: list = []  # grpc futures to cancel
        self._control = control_pb2_grpc.ControlStub(conn.channel)
        self._bridge = gateway_pb2_grpc.LLBBridgeStub(conn.channel)
        self._md = [("buildkit-controlapi-buildid", self.ref)]
        self._done = threading.Event()
        # A caller-owned event can only be watched by a thread; a handle's own cancel
        # (:meth:`cancel`) reaches the calls directly and needs none.
        self._watch = watch_cancel
        self._calls_lock = threading.Lock()

    def run(self) -> SolveResult:
        """Solve, export and push; raises a :class:`BuildKitError` subclass on failure."""
        if self.info.is_docker and self.definition.ByteSize() > DOCKER_MAX_MESSAGE - 4096:
            raise InvalidDefinition(f"Definition is {self.definition.ByteSize()} bytes; "
                                    "Docker 20.10 accepts at most 4 MiB")
        if self._watch:
            threading.Thread(target=self._watch_cancel, daemon=True, name="bk-cancel").start()
        with Session(self.conn, self.options.secrets, self.options.credentials) as session:
            control = self._track(self._control.Solve.future(self._control_request(session.id)))
            status = threading.Thread(target=self._stream_status, args=(control,), daemon=True,
                                      name="bk-status")
            status.start()
            try:
                self._gateway()
                response = control.result()
            except (grpc.RpcError, grpc.FutureCancelledError) as err:
                # Solve's error can arrive before the status stream reports which vertex
                # failed: let the stream end (it does once the job is over) so the error
                # names the step and its recipe line.  A step failure reaches us through
                # the gateway while the daemon is still closing the job; cancelling
                # Control.Solve then would cut the stream before that vertex's update.
                self._finish(control, status, grace=FAILED_JOB_GRACE_S)
                raise self._translate(err, "Solve") from None
            finally:
                self._finish(control, status)
        return self._export(dict(response.ExporterResponse))

    def _control_request(self, session_id: str) -> control_pb2.SolveRequest:
        opts, info = self.options, self.info
        attrs: dict[str, str] = {}
        exporter = ""
        if opts.image_name:
            exporter, attrs["name"] = info.exporter, opts.image_name
            if info.pushes_in_exporter and opts.push:
                attrs["push"] = "true"
            if info.oci_mediatypes and opts.oci_mediatypes:
                attrs["oci-mediatypes"] = "true"
            if info.registry_insecure_attr:
                attrs.update(plain_http_attrs(opts.image_name, opts.insecure_registry))
            attrs.update(self._compression_attrs())
        cache = control_pb2.CacheOptions(Imports=self._cache_imports(control_pb2))
        if opts.cache_export and info.cache_export_type == "inline":
            cache.Exports.add(Type="inline")  # Docker 20.10 has no registry cache exporter
        elif opts.cache_export:
            export = {"ref": opts.cache_export, "mode": "max",
                      "oci-mediatypes": "true" if opts.oci_mediatypes else "false"}
            export.update(plain_http_attrs(opts.cache_export, opts.insecure_registry))
            export.update(self._compression_attrs())
            cache.Exports.add(Type="registry", Attrs=export)
        return control_pb2.SolveRequest(
            Ref=self.ref, Session=session_id, Exporter=exporter, ExporterAttrs=attrs,
            Cache=cache, Entitlements=list(opts.entitlements))

    def _compression_attrs(self) -> dict[str, str]:
        """Exporter attributes for the layers' compression and level, where the daemon has them."""
        kind, level = self.options.compression, self.options.compression_level
        if not self.info.compression_level_attr or (kind == "gzip" and level is None):
            return {}
        # gzip is the default type already; naming it says which compressor the level is for.
        attrs = {"compression": kind}
        if level is not None and kind != "uncompressed":
            attrs["compression-level"] = str(level)
        return attrs

    def _cache_imports(self, pb) -> list:
        """Registry cache imports as ``pb.CacheOptionsEntry`` (control or gateway)."""
        entries = []
        for ref in self.options.cache_imports:
            attrs = {"ref": ref}
            if self.info.registry_insecure_attr:
                attrs.update(plain_http_attrs(ref, self.options.insecure_registry))
            entries.append(pb.CacheOptionsEntry(Type="registry", Attrs=attrs))
        return entries

    def _gateway(self) -> None:
        pong = self._call(self._bridge.Ping, gateway_pb2.PingRequest(), metadata=self._md,
                          timeout=60)
        try:
            check_caps(self.definition, pong.LLBCaps)
        except BuildKitError as err:
            self._return_error(str(err))
            raise
        request = gateway_pb2.SolveRequest(
            Definition=self.definition, allowResultReturn=True, allowResultArrayRef=True,
            CacheImports=self._cache_imports(gateway_pb2))
        try:
            result = self._call(self._bridge.Solve, request, metadata=self._md).result
        except grpc.RpcError as err:
            self._return_error(err.details() or str(err.code()))
            raise
        final = gateway_pb2.ReturnRequest(result=self._final_result(result))
        self._call(self._bridge.Return, final, metadata=self._md, timeout=60)

    def _final_result(self, result) -> gateway_pb2.Result:
        final = gateway_pb2.Result()
        if result.WhichOneof("result") == "refDeprecated":
            final.refDeprecated = result.refDeprecated
        else:
            final.ref.id = result.ref.id
        if self.options.image_config is not None:
            os_name, arch = self.info.platform
            final.metadata["containerimage.config"] = self.options.image_config.to_json(
                os_name, arch)
        return final

    def _return_error(self, message: str) -> None:
        """Tell the daemon the frontend failed, so Control.Solve ends."""
        try:
            error = rpc_status_pb2.Status(code=2, message=message)  # 2 = UNKNOWN
            self._bridge.Return(gateway_pb2.ReturnRequest(error=error), metadata=self._md,
                                timeout=10)
        except grpc.RpcError:
            pass  # the job is already gone (cancelled or failed)

    def _stream_status(self, control) -> None:
        # The daemon gives a Status call a few seconds to find its job, which Solve
        # creates; a daemon slowed down (a prune, a busy disk) can miss that, and a
        # build whose progress was never read has no step records.  Nothing was sent
        # on such a call, so asking again loses and repeats nothing.
        while True:
            call = self._track(self._control.Status(control_pb2.StatusRequest(Ref=self.ref)))
            received = False
            try:
                for response in call:
                    received = True
                    for event in self.tracker.feed(response):
                        self._emit(event)
                return
            except grpc.RpcError as err:
                missing = "no such job" in str(err.details())
                if missing and not received and not control.done() \
                        and not self.cancel_event.is_set():
                    log.info("BuildKit has no job %s yet; asking for its status again",
                             self.ref)
                    self.cancel_event.wait(0.2)
                    continue
                benign = err.code() == grpc.StatusCode.CANCELLED or missing
                if not benign:
                    log.warning("BuildKit status stream ended: %s", err.details())
                return

    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken consumer must not stop the build
            log.exception("progress callback failed")

    def cancel(self) -> None:
        """Cancel now: every call in flight is cancelled, later ones start cancelled."""
        with self._calls_lock:
            self.cancel_event.set()
            calls = list(self._calls)
        for call in calls:
            call.cancel()

    def _track(self, call):
        """Remember a call for :meth:`cancel`; one started after a cancel is cancelled."""
        with self._calls_lock:
            self._calls.append(call)
            cancelled = self.cancel_event.is_set()
        if cancelled:
            call.cancel()
        return call

    def _watch_cancel(self) -> None:
        while not self._done.is_set():
            if self.cancel_event.wait(0.1):
                self.cancel()
                return

    def _call(self, method, request, **kwargs):
        """Run a unary call as a future that a cancel can reach."""
        return self._track(method.future(request, **kwargs)).result()

    def _finish(self, control, status: threading.Thread, grace: float = 0.0) -> None:
        if grace and not control.done() and not self.cancel_event.is_set():
            try:
                control.exception(timeout=grace)
            except (grpc.FutureTimeoutError, grpc.FutureCancelledError):
                pass
        if not control.done():
            control.cancel()
        status.join(timeout=30)  # export vertexes arrive after Solve returns
        self._done.set()

    def _translate(self, err: Exception, what: str) -> BuildKitError:
        if self.cancel_event.is_set() or isinstance(err, grpc.FutureCancelledError):
            return SolveCancelled(f"solve {self.ref} cancelled")
        translated = from_rpc_error(err, what)
        ours = self._op_digests()
        failed = self.tracker.failing_vertex(ours)
        if isinstance(translated, SolveFailed) and failed is not None \
                and failed.digest not in ours and failed.name.startswith("exporting "):
            # No step failed; the exporter's own vertex did (``exporting to image``,
            # ``exporting cache to registry``): storing the result in the registry
            # failed, a registry fault retried like a failed push on Docker.
            cls = AuthFailed if looks_like_auth_error(failed.error) else PushFailed
            return cls(f"{failed.name}: {translated.reason}")
        if isinstance(translated, SolveFailed) and failed is not None:
            cls = type(translated)
            return cls(translated.reason, failed.digest, failed.name,
                       source_location(self.definition, failed.digest))
        return translated

    def _op_digests(self) -> set[str]:
        return {"sha256:" + hashlib.sha256(op).hexdigest()
                for op in getattr(self.definition, "def")}

    def _export(self, response: dict[str, str]) -> SolveResult:
        image_id = response.get("containerimage.digest", "")
        digest = image_id
        opts = self.options
        if opts.image_name and opts.push and self.info.is_docker:
            digest = self._push_through_engine(opts.image_name)
        return SolveResult(image_digest=digest, image_id=image_id,
                           exporter_response=response, ref=self.ref)

    def _push_through_engine(self, image: str) -> str:
        host = registry_host(image)
        creds = self.options.credentials(host)
        if creds is None:
            auth = registry_auth()
        elif creds.username:
            auth = registry_auth(creds.username, creds.secret, host)
        else:
            auth = registry_auth(identity_token=creds.secret, server=host)
        engine = EngineClient(self.conn.docker_socket)
        digest = engine.push(image, auth,
                             lambda line: self._emit(PushProgress.from_engine(image, line)))
        # The registry has it now. Left tagged, every pushed build would stay in the
        # daemon's image store for good, its layers out of reach of `builder prune`;
        # the build cache keeps what later builds reuse.
        try:
            engine.remove_image(image)
        except BuildKitError as err:  # the push succeeded: that is what the build is for
            log.warning("pushed %s but could not untag it: %s", image, err)
        return digest
