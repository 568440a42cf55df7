"""The pipeline's own log lines (recipe-spec.md §10.2), worded in one place."""

from __future__ import annotations

from datetime import datetime


def started(build_id: str, when: datetime) -> str:
    return f"Build {build_id} started at {when.replace(tzinfo=None).isoformat()}."


def creating(image: str) -> str:
    return f"Creating a new docker build tagged {image}..."


PROCESSING = "Processing build!"


def importing_cache(ref: str) -> str:
    return f"importing cache manifest from {ref}"


FETCHING_SECRETS = "Fetching secrets for this build..."


def secrets_fetched(count: int) -> str:
    return f"{count} secrets fetched."


FETCHING_REPOSITORY = "Fetching repository configuration..."
DELEGATED = "The build process was successfully delegated to buildqd service."
TASK_DELEGATED = "TASK_DELEGATED"
COMPLETED = "Build completed"
SUCCEEDED = "The image was successfully built."


def failed(code: int) -> str:
    return f"Build failed with code {code}"


def cancelled() -> str:
    return "Build cancelled."


def timed_out(seconds: int) -> str:
    return f"Build timed out after {seconds} seconds."


def joined(leader: str) -> str:
    return f"An identical build ({leader}) is already in flight; this build joins it."


def resumed(worker: str, attempt: int) -> str:
    return f"Resuming the build on {worker} (attempt {attempt}); finished steps come from cache."


def waiting(position: int) -> str:
    return f"Waiting for a free build slot of the team (position {position} in queue)..."


def transient(message: str, delay: float, attempt: int, limit: int) -> str:
    return f"Transient failure: {message}; retrying in {delay:.0f}s (retry {attempt}/{limit})"
