"""Facts derived from a loaded proxy, built once on first use: typed, named, owned by the layer that builds them.

A proxy holds its resources; what analysis derives from them (the reference index, the request
graph, the checks' host table ...) is a :class:`Fact`: a module-level constant declared next to the
code that builds it, with a name (for ``repr`` and debugging) and a builder. ``FACT.of(proxy)``
builds the value on first use and keeps it in the proxy's :class:`DerivedFacts`; the value's type is
the fact's type parameter, so ``INDEX.of(proxy)`` is a ``ProxyIndex`` to mypy as to the reader.

Facts are keyed by the :class:`Fact` object itself, never by a string, so two layers cannot collide
and nothing in ``models`` needs to import the layers that declare facts: the models stay at the
bottom of the package. A loader that changes a proxy's resources calls :meth:`DerivedFacts.clear`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, cast

from meshlens._gc import gc_held

T = TypeVar("T")
O_contra = TypeVar("O_contra", contravariant=True)


class HasFacts(Protocol):
    """Anything that carries derived facts (an ``EnvoyProxy``)."""

    @property
    def derived(self) -> DerivedFacts:  # pragma: no cover - protocol
        """The owner's store of derived facts."""
        ...


class DerivedFacts:
    """The facts built so far for one owner (never part of its equality or repr)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Fact[Any, Any], Any] = {}

    def clear(self) -> None:
        """Forget every fact (the owner's resources changed)."""
        self._values.clear()

    def built(self) -> list[str]:
        """The names of the facts built so far."""
        return [fact.name for fact in self._values]

    def __contains__(self, fact: object) -> bool:
        return fact in self._values

    def __repr__(self) -> str:
        return f"DerivedFacts({', '.join(self.built())})"


class Fact(Generic[O_contra, T]):
    """One named fact derived from an owner (a proxy), built by ``build(owner)`` on first use.

    Example::

        INDEX: Fact[EnvoyProxy, ProxyIndex] = Fact("index", ProxyIndex.build)
        INDEX.of(proxy).clusters["outbound|9080||reviews.default.svc.cluster.local"]
    """

    __slots__ = ("build", "name")

    def __init__(self, name: str, build: Callable[[O_contra], T]) -> None:
        self.name = name
        self.build = build

    def of(self, owner: O_contra) -> T:
        """The fact for ``owner``, built now if it was not yet."""
        store = cast(HasFacts, owner).derived._values
        try:
            return cast(T, store[self])
        except KeyError:
            with gc_held():  # a fact is bulk construction of acyclic records: no collector rescans meanwhile
                value = self.build(owner)
            store[self] = value
            return value

    def __repr__(self) -> str:
        return f"Fact({self.name!r})"
