"""Loaded xDS resources: name, dynamic state, raw dict, source location, and a typed model.

Loading a 50 MB dump must stay close to the cost of parsing its JSON, so a resource is a light
record built during the walk of the dump; its typed pydantic model (:attr:`Resource.config`) is
validated on first use and cached. :meth:`Resource.validate` checks it eagerly (``inspect`` and
checks call it) and turns a malformed resource into a located :class:`LoadError` instead of a
pydantic traceback.

Validation is done in bulk: the first ``.config`` asked of a resource that knows its proxy (the
config-dump loader tells it, through a weak reference, so no reference cycle is made) validates
every resource of that kind of that proxy at once (all its clusters, say) with the cyclic GC held
(:func:`validate_all`). Validating them
one by one with the collector running re-traversed the whole capture on every full collection the
growing heap triggered (a "GC storm": 80% of the time of typing an n5000 dump); in bulk there is one
settling pass at the end, and later work (10,000 traces) finds the typed models already old.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from meshlens._gc import gc_held
from meshlens.errors import LoadError
from meshlens.models.base import MAX_DEPTH, Location, MeshModel, too_deep
from meshlens.models.certs import Certificate, CertificateError, parse_time
from meshlens.models.envoy.cluster import Cluster, ClusterLoadAssignment
from meshlens.models.envoy.core import TypedExtensionConfig
from meshlens.models.envoy.listener import Listener
from meshlens.models.envoy.route import RouteConfiguration
from meshlens.models.envoy.secret import Secret

M = TypeVar("M", bound=MeshModel)

STATES = ("static", "active", "warming", "draining", "rejected")


class ErrorState(BaseModel):
    """Envoy's ``UpdateFailureState``: the last update of this resource was rejected (NACK)."""

    model_config = ConfigDict(frozen=True)

    details: str = ""
    last_update_attempt: str | None = None
    failed_configuration: dict[str, Any] | None = None

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> ErrorState:
        return cls(details=str(raw.get("details", "")), last_update_attempt=raw.get("last_update_attempt"),
                   failed_configuration=raw.get("failed_configuration"))


def format_validation_error(exc: ValidationError, base_path: str) -> tuple[str, str]:
    """(JSON path, message) of a pydantic error's first problem, in the dump's terms."""
    err = exc.errors()[0]
    path = base_path
    for part in err.get("loc", ()):
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "tagged-union")) and part not in (
            "hcm", "tcp_proxy", "unknown"
        ):
            path += f".{part}"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    return path, f"{err.get('msg', 'invalid value')} (got {shown[:60]})"


class Resource(Generic[M]):
    """One loaded resource (listener, cluster, route config, endpoint assignment, secret, ECDS).

    Attributes:
        name: the resource name; ``""`` for unnamed entries (static listeners in some dumps).
        state: ``static``, ``active``, ``warming``, ``draining`` or ``rejected``.
        raw: the resource's own dict, as in the dump (snake_case), for diff and query.
        version_info / last_updated: as Envoy reported them (absent under delta xDS or for statics).
        error: the rejected update, when Envoy holds an ``error_state`` for this name.
    """

    KIND: ClassVar[str] = "resource"
    BUCKET: ClassVar[str] = ""  # the proxy's list of this kind (``clusters``): validated together
    XDS: ClassVar[str] = ""
    MODEL: ClassVar[type[MeshModel]]

    __slots__ = ("_doc", "_failure", "_model", "_owner", "_path", "client_status", "error", "last_updated", "name",
                 "raw", "state", "version_info", "other_states")

    def __init__(
        self,
        name: str,
        state: str,
        raw: dict[str, Any],
        doc: Location,
        path: str,
        version_info: str | None = None,
        last_updated: str | None = None,
        error: ErrorState | None = None,
        client_status: str | None = None,
    ) -> None:
        self.name = name
        self.state = state
        self.raw = raw
        self._doc = doc
        self._path = path
        self.version_info = version_info
        self.last_updated = last_updated
        self.error = error
        self.client_status = client_status
        self._model: M | None = None
        self._failure: tuple[str, str] | None = None  # (JSON path, message) of a refused validation
        self._owner: weakref.ref[Any] | None = None  # the proxy, for bulk validation (see the module doc)
        self.other_states: dict[str, dict[str, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ())
                 if hasattr(self, name)}
        state["_owner"] = None  # a weak reference does not travel; the proxy re-attaches on unpickling
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    # --- where -----------------------------------------------------------------------------
    @property
    def location(self) -> Location:
        return Location(file=self._doc.file, member=self._doc.member, json_path=self._path)

    @property
    def json_path(self) -> str:
        return self._path

    @property
    def last_updated_at(self) -> datetime | None:
        return parse_time(self.last_updated)

    # --- typed model -----------------------------------------------------------------------
    @property
    def config(self) -> M:
        """The typed model of :attr:`raw` (validated on first use, with its proxy's others, then cached)."""
        if self._model is None:
            if self._failure is None:
                owner = self._owner() if self._owner is not None else None
                if owner is not None:
                    validate_all(getattr(owner, self.BUCKET, None) or (self,))
                else:
                    with gc_held(settle=False):
                        self._validate_now()
            if self._failure is not None:
                path, message = self._failure
                raise LoadError(f"malformed {self.KIND} {self.name!r}: {message}", file=self._doc.file,
                                member=self._doc.member, json_path=path)
        return self._model  # type: ignore[return-value]

    def _validate_now(self) -> None:
        deep = too_deep(self.raw)  # before any recursive walk: pydantic's, or a validator's
        if deep is not None:
            self._failure = (self._path + deep, f"nested deeper than {MAX_DEPTH} levels")
            return
        try:
            self._model = self.MODEL.model_validate(self.raw)  # type: ignore[assignment]
        except ValidationError as exc:
            self._failure = format_validation_error(exc, self._path)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as exc:
            # a validator that met a shape it did not expect: still the model refusing the resource
            self._failure = (self._path, f"{type(exc).__name__}: {str(exc)[:120]}")

    def attach(self, owner: weakref.ref[Any]) -> None:
        """Tell this resource its proxy (a weak reference), so its ``.config`` validates in bulk."""
        self._owner = owner

    def validate(self) -> LoadError | None:
        """Validate the typed model now; the error (located) if the resource is malformed."""
        try:
            self.config  # noqa: B018 - validation side effect
        except LoadError as exc:
            return exc
        return None

    @property
    def valid(self) -> bool:
        """True when the typed model accepts the resource (validating it now if it was not yet)."""
        return self.validate() is None

    # --- state -----------------------------------------------------------------------------
    @property
    def is_dynamic(self) -> bool:
        return self.state != "static"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.KIND, "name": self.name, "state": self.state,
                               "json_path": self._path}
        if self.version_info is not None:
            out["version_info"] = self.version_info
        if self.last_updated is not None:
            out["last_updated"] = self.last_updated
        if self.error is not None:
            out["error"] = {"details": self.error.details, "last_update_attempt": self.error.last_update_attempt}
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, state={self.state!r})"


# The proxy's resource lists, in the order a bulk validation walks them.
BUCKETS = ("listeners", "clusters", "route_configs", "endpoints", "secrets", "ecds")


def owner_resources(owner: Any) -> Iterable[Resource[Any]]:
    """Every resource of a proxy (anything with the :data:`BUCKETS` lists)."""
    for bucket in BUCKETS:
        yield from getattr(owner, bucket, ())


def validate_all(resources: Iterable[Resource[Any]]) -> None:
    """Validate the typed model of every resource not validated yet, with the cyclic GC held.

    A resource the model refuses keeps its (JSON path, message) and raises a located
    :class:`LoadError` from ``.config``, as one validated alone would.
    """
    with gc_held():
        for resource in resources:
            if resource._model is None and resource._failure is None:
                resource._validate_now()


class ListenerResource(Resource[Listener]):
    """A listener of the capture (static, active, warming, draining or rejected) with its typed config."""

    KIND = "listener"
    BUCKET = "listeners"
    XDS = "LDS"
    MODEL = Listener
    __slots__ = ()

    @property
    def listener(self) -> Listener:
        return self.config

    @property
    def parsed_name(self) -> Any:
        from meshlens.models.names import ListenerName

        return ListenerName.parse(self.name)


class ClusterResource(Resource[Cluster]):
    """A cluster of the capture (static, active, warming or rejected) with its typed config."""

    KIND = "cluster"
    BUCKET = "clusters"
    XDS = "CDS"
    MODEL = Cluster
    __slots__ = ()

    @property
    def cluster(self) -> Cluster:
        return self.config

    @property
    def parsed_name(self) -> Any:
        from meshlens.models.names import ClusterName

        return ClusterName.parse(self.name)

    @property
    def discovery_type(self) -> str:
        return self.config.discovery_type

    @property
    def eds_service_name(self) -> str | None:
        return self.config.eds_service_name


class RouteConfigResource(Resource[RouteConfiguration]):
    """A route configuration of the capture (static or dynamic) with its typed config."""

    KIND = "route_config"
    BUCKET = "route_configs"
    XDS = "RDS"
    MODEL = RouteConfiguration
    __slots__ = ()

    @property
    def route_config(self) -> RouteConfiguration:
        return self.config

    @property
    def virtual_host_count(self) -> int:
        vhosts = self.raw.get("virtual_hosts")
        return len(vhosts) if isinstance(vhosts, list) else 0


class EndpointResource(Resource[ClusterLoadAssignment]):
    """One ClusterLoadAssignment (``cluster_name`` and its localities' ``lb_endpoints``)."""

    KIND = "endpoint"
    BUCKET = "endpoints"
    XDS = "EDS"
    MODEL = ClusterLoadAssignment
    __slots__ = ()

    @property
    def assignment(self) -> ClusterLoadAssignment:
        return self.config

    @property
    def lb_endpoint_count(self) -> int:
        total = 0  # the inventory counts raw JSON: any shape, never an exception
        localities = self.raw.get("endpoints")
        for locality in localities if isinstance(localities, list) else ():
            if isinstance(locality, dict) and isinstance(locality.get("lb_endpoints"), list):
                total += len(locality["lb_endpoints"])
        return total


class SecretResource(Resource[Secret]):
    """An SDS secret of the capture with its typed config and parsed certificates."""

    KIND = "secret"
    BUCKET = "secrets"
    XDS = "SDS"
    MODEL = Secret
    __slots__ = ("_certs", "_cert_error")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._certs: list[Certificate] | None = None
        self._cert_error: str | None = None

    @property
    def secret(self) -> Secret:
        return self.config

    def _decode(self) -> None:
        if self._certs is not None or self._cert_error is not None:
            return
        try:
            self._certs = self.config.certificates()
        except CertificateError as exc:
            self._certs = []
            self._cert_error = str(exc)

    @property
    def certificates(self) -> list[Certificate]:
        """Decoded certificates (leaf first, then trusted CAs); empty when none or undecodable."""
        self._decode()
        return self._certs or []

    @property
    def certificate_error(self) -> str | None:
        """Why the inline certificate data could not be decoded, if it could not."""
        self._decode()
        return self._cert_error


class EcdsResource(Resource[TypedExtensionConfig]):
    """An extension config delivered by ECDS (typed config by ``@type``)."""

    KIND = "ecds"
    BUCKET = "ecds"
    XDS = "ECDS"
    MODEL = TypedExtensionConfig
    __slots__ = ()

    @property
    def type_url(self) -> str | None:
        tc = self.raw.get("typed_config")
        return tc.get("@type") if isinstance(tc, dict) else None
