"""Secret values for one solve: fetched from the store at solve time, memory only.

The compile recorded which secret ids the session must serve and the version of
each team secret it used; here the values are read (exactly those versions),
derived secrets are composed from their templates, and a lookup for the BuildKit
session is returned.  Values never leave this process: they are not logged, not
stored and not put in any message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.secretstore import SecretStore
from core.teamsecrets import store_version
from llb.recipe import parse_template


class SecretUnavailable(RuntimeError):
    """A referenced secret cannot be served at build time (the message has no value)."""


def used_names(secret_ids: Iterable[str], derived: Mapping[str, str]) -> set[str]:
    """The ``namespace.NAME`` references a solve needs, derived ones expanded."""
    refs: set[str] = set()
    for secret_id in secret_ids:
        if secret_id in derived:
            refs.update(r.key for r in parse_template(derived[secret_id]).references)
        else:
            refs.add(secret_id)
    return refs


@dataclass(frozen=True)
class BuildSecrets:
    """The values one solve serves, by secret id."""

    values: Mapping[str, bytes]

    def __repr__(self) -> str:
        return f"BuildSecrets(ids={sorted(self.values)})"

    def lookup(self, secret_id: str) -> bytes | None:
        """A :data:`buildkit.session.SecretLookup`: unknown ids are refused."""
        return self.values.get(secret_id)

    def redactions(self) -> list[bytes]:
        """Every value worth masking in output (long enough not to mask noise)."""
        return sorted({v for v in self.values.values() if len(v) >= 4}, key=len, reverse=True)

    def __len__(self) -> int:
        return len(self.values)


def fetch(store: SecretStore, team_id: str, secret_ids: Iterable[str],
          derived: Mapping[str, str], versions: Mapping[str, str]) -> BuildSecrets:
    """Read every value the solve needs.

    Args:
        store: the team secret store.
        team_id: the owning team (the store's namespace).
        secret_ids: ids the Definition mounts (``team.NAME`` or derived ids).
        derived: derived id → template of references.
        versions: ``NAME`` → version label pinned at compile time
            (:func:`core.teamsecrets.version_label`).

    Raises:
        SecretUnavailable: a ``user.`` reference, or a team secret that has no pinned
            version.  ``devzero.`` references get no value (the session answers
            NOT_FOUND and, for git sources, the clone is anonymous).
    """
    plain: dict[str, bytes] = {}
    for ref in sorted(used_names(secret_ids, derived)):
        namespace, _, name = ref.partition(".")
        if namespace == "devzero":
            continue  # platform credentials: none here, the session answers NOT_FOUND
        if namespace != "team":
            raise SecretUnavailable(f"secret {ref} is not available while building; "
                                    "only team secrets can be used in build steps")
        if name not in versions:
            raise SecretUnavailable(f"secret {ref} has no version recorded for this build")
        plain[ref] = store.get(team_id, name, store_version(versions[name]))
    values: dict[str, bytes] = {}
    for secret_id in secret_ids:
        if secret_id in derived:
            template = parse_template(derived[secret_id])
            if any(r.key not in plain for r in template.references):
                continue
            text = template.substitute({k: v.decode("utf-8", "replace")
                                        for k, v in plain.items()}).render()
            values[secret_id] = text.encode("utf-8")
        elif secret_id in plain:
            values[secret_id] = plain[secret_id]
    return BuildSecrets(values)


def redact(data: bytes, secrets: Iterable[bytes]) -> bytes:
    """Mask secret values in output (dzlaunch masks too; this is the second line)."""
    for value in secrets:
        if value in data:
            data = data.replace(value, b"***")
    return data
