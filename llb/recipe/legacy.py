"""``migrate``: a legacy DevZero recipe (v2 "dev/commands") -> an equivalent version "3".

The old file is loaded with the project's position-tracking loader, translated key by
key into the v3 shape, and written out again by :mod:`llb.recipe.legacy_emit`, which
carries every comment to the value it was written next to. Each translation is
reported as a change at the old line; what has no v3 equivalent is reported as
untranslated, with the reason, and stays in the output as commented-out lines under
a ``TODO(dz migrate)`` note: nothing is dropped silently.

Mappings (recipe-spec.md §1 describes the v2 shape):

* ``dev.commands`` -> ``build.steps`` (``type: command``); a command named
  ``run_at_startup_*`` -> ``launch.steps``; ``dir`` -> ``directory``, and a relative
  directory, which v2 resolved against ``codeCloneRoot``, made absolute when that
  root is not the home directory v3 resolves against.
* ``dev.repos`` -> ``git-clone`` steps (before the commands, which run in them).
* ``dev.codeCloneRoot`` -> ``config.code_clone_root``.
* ``dev.packages``: ``nixpkgs.X`` -> one ``apt-get`` step where Debian has a package
  of the same name, else a TODO with a suggestion; ``dz.docker`` / ``nixpkgs.docker``
  -> the Docker Engine steps of :mod:`llb.recipe.legacy_docker`.
* ``env: [{key, value}]`` -> ``runtime.environment: [{name, value}]``.
* ``compute.resources.volumes`` -> ``config.volumes`` (``subPath`` -> ``sub_path``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from llb.recipe.diagnostics import RecipeError
from llb.recipe.legacy_comments import Comments, scan_comments
from llb.recipe.legacy_docker import docker_steps
from llb.recipe.legacy_emit import Writer
from llb.recipe.legacy_packages import debian_name, suggestion
from llb.recipe.source import Path, SourceMap, dotted
from llb.recipe.yaml_loader import load_yaml

HOME = "/home/devzero"
STARTUP_PREFIX = "run_at_startup_"
TODO = "TODO(dz migrate):"
COMMAND_STEP = "install it with a command step"
V1_KEYS = ("softwarepolicy", "repopolicy", "scriptpolicy")
# Top-level keys of v2 files besides ``dev`` (recipe-spec.md §1).
V2_KEYS = ("dev", "env", "compute", "network", "description", "display_name", "tags")
_COMMAND_KEYS = ("command", "name", "directory", "dir", "user", "shell", "env", "environment")
_NO_EQUIVALENT = {
    "name": "a v3 recipe has no name field: the name is given when the recipe is saved",
    "description": "a v3 recipe has no description field",
    "display_name": "a v3 recipe has no display name: the name is given when it is saved",
    "tags": "a v3 recipe has no tags",
    "network": "v3 recipes do not choose the workspace network",
    "compute": "v3 recipes do not choose region, OS or hardware: the base image is "
    "Debian 12 (devbox), and a workspace's size is chosen when it is launched",
}


@dataclass(frozen=True)
class Note:
    """One line of the migration report, at a line of the *old* file."""

    line: int
    message: str


@dataclass
class Migration:
    """The new recipe text and what was done to get it."""

    yaml: str
    changes: list[Note] = field(default_factory=list)
    untranslated: list[Note] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "yaml": self.yaml,
            "changes": [{"line": n.line, "message": n.message} for n in self.changes],
            "untranslated": [{"line": n.line, "reason": n.message} for n in self.untranslated],
        }


@dataclass
class _Step:
    fields: dict
    lines: dict = field(default_factory=dict)  # field -> old line (its comments follow it)
    anchor: int | None = None  # old line of the list item (comments above it)
    todo: list[str] = field(default_factory=list)  # comment lines written above the step


def migrate(text: str, filename: str = "recipe.yaml") -> Migration:
    """Translate a legacy recipe to version "3".

    A file that already is version "3" comes back unchanged (with a note). A v1
    file ("environment templates", whose schema is undocumented) cannot be
    translated: every block is reported and kept as comments.

    Raises:
        RecipeError: the text is not YAML the loader accepts, or not a mapping.
    """
    data, source = load_yaml(text, filename)
    if not isinstance(data, dict):
        raise RecipeError([source.diag((), "the recipe is not a mapping; nothing to migrate")])
    if "dev" not in data and "version" in data:
        return _already_v3(text, data, source)
    if not any(key in data for key in V2_KEYS + V1_KEYS):
        raise RecipeError([source.diag((), "not a legacy DevZero recipe: no 'dev:' key")])
    return _Migrator(data, source, scan_comments(text, source)).run()


def _already_v3(text: str, data: dict, source: SourceMap) -> Migration:
    result = Migration(yaml=text)
    if "packs" in data:
        result.untranslated.append(
            Note(
                _line(source, ("packs",)),
                "'packs' has no v3 equivalent; see the error 'dz compile' gives for it",
            )
        )
    return result


def _line(source: SourceMap, path: Path) -> int:
    return source.position(path, at_key=True)[0]


class _Migrator:
    def __init__(self, data: dict, source: SourceMap, comments: Comments):
        self.data, self.source, self.comments = data, source, comments
        self.changes: list[Note] = []
        self.untranslated: list[Note] = []
        self.config: dict[str, tuple[object, int | None]] = {}
        self.packages: list[_Step] = []
        self.clones: list[_Step] = []
        self.build: list[_Step] = []
        self.launch: list[_Step] = []
        self.runtime_env: list[_Step] = []
        self.blocks: list[tuple[str, int, int]] = []  # (reason, first, last) kept as comments
        dev = data.get("dev")
        root = dev.get("codeCloneRoot") if isinstance(dev, dict) else None
        self.clone_root = root if isinstance(root, str) and root.startswith("/") else HOME

    # -- reporting -------------------------------------------------------------

    def line(self, path: Path) -> int:
        return _line(self.source, path)

    def changed(self, path: Path, message: str) -> None:
        self.changes.append(Note(self.line(path), f"{dotted(path)}: {message}"))

    def skipped(self, path: Path, reason: str, keep: bool = True) -> None:
        """Report ``path`` as untranslated; ``keep`` copies its lines out as comments."""
        self.untranslated.append(Note(self.line(path), f"{dotted(path)}: {reason}"))
        if keep:
            first, last = self.span(path)
            self.blocks.append((f"{dotted(path)}: {reason}", first, last))

    def span(self, path: Path) -> tuple[int, int]:
        """First and last old line of ``path``'s key and value."""
        first = self.line(path)
        last = first
        for table in (self.source.keys, self.source.values):
            for other, (line, _) in table.items():
                if other[: len(path)] == path:
                    last = max(last, line)
        for other, (line, col) in self.source.ends.items():
            if other[: len(path)] == path and self._is_scalar(other):
                blank_before = not self.source.line_text(line)[: col - 1].strip()
                last = max(last, line - 1 if blank_before and line > first else line)
        return first, last

    def _is_scalar(self, path: Path) -> bool:
        return not isinstance(self.source_value(path), (dict, list))

    # -- translation -----------------------------------------------------------

    def run(self) -> Migration:
        for key in self.data:
            path = (key,)
            if key in V1_KEYS:
                self.skipped(
                    path,
                    'a v1 "environment templates" block: its schema is '
                    "undocumented, so it cannot be translated; write v3 steps",
                )
            elif key == "dev":
                self.dev(self.data["dev"])
            elif key == "env":
                self.env(path)
            elif key == "compute":
                self.compute()
            elif key == "version":
                self.changed(path, 'replaced by version: "3"')
                self.comments.take_trailing(self.line(path))
            elif key in _NO_EQUIVALENT:
                self.no_equivalent(path, self.data[key])
            else:
                self.skipped(path, "not a key of legacy recipes; left for you to translate")
        text = self.write()
        return Migration(
            text,
            sorted(self.changes, key=lambda n: n.line),
            sorted(self.untranslated, key=lambda n: n.line),
        )

    def dev(self, dev: object) -> None:
        if not isinstance(dev, dict):
            self.skipped(("dev",), "expected a mapping")
            return
        handlers = {
            "codeCloneRoot": self.clone_root_key,
            "commands": self.commands,
            "repos": self.repos,
            "packages": self.packages_key,
        }
        for key in dev:
            path = ("dev", key)
            if key in handlers:
                handlers[key](path, dev[key])
            elif key == "env":
                self.env(path)
            elif key in _NO_EQUIVALENT:
                self.no_equivalent(path, dev[key])
            else:
                self.skipped(path, "not a key of legacy recipes; left for you to translate")

    def no_equivalent(self, path: Path, value: object) -> None:
        if value in (None, ""):
            self.changed(path, "empty, dropped")
            self.comments.take_range(*self.span(path))
        else:
            self.skipped(path, _NO_EQUIVALENT[str(path[-1])])

    def clone_root_key(self, path: Path, value: object) -> None:
        if isinstance(value, str) and value.startswith("/"):
            self.config["code_clone_root"] = (value, self.line(path))
            self.changed(path, f"-> config.code_clone_root {value}")
        elif value not in (None, ""):
            self.skipped(path, "code_clone_root must be an absolute path")

    def commands(self, path: Path, items: object) -> None:
        if not isinstance(items, list):
            self.skipped(path, "expected a list of commands")
            return
        for index, item in enumerate(items):
            self.command(path + (index,), item)

    def command(self, path: Path, item: object) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            self.skipped(path, "a command entry needs a 'command' text")
            return
        name = item.get("name")
        launch = isinstance(name, str) and name.startswith(STARTUP_PREFIX)
        phase = self.launch if launch else self.build
        step = _Step({"type": "command"}, anchor=self.source.values[path][0])
        if isinstance(name, str) and name:
            step.fields["name"] = name
            step.lines["name"] = self.line(path + ("name",))
        step.fields["command"] = item["command"]
        step.lines["command"] = self.line(path + ("command",))
        where = "launch.steps (its name starts with run_at_startup_)" if launch else "build.steps"
        self.changed(path, f"-> {where}, type: command")
        self.directory(path, item, step)
        for key in ("user", "shell"):
            if isinstance(item.get(key), str):
                step.fields[key] = item[key]
                step.lines[key] = self.line(path + (key,))
        for key in ("env", "environment"):
            if isinstance(item.get(key), list):
                step.fields["environment"] = self.env_items(path + (key,), item[key])
        for key in item:
            if key not in _COMMAND_KEYS:
                self.skipped(path + (key,), "not a key of legacy commands", keep=False)
                step.todo.append(f"{TODO} {key}: {item[key]!r} was not translated")
        phase.append(step)

    def directory(self, path: Path, item: dict, step: _Step) -> None:
        key = "dir" if "dir" in item else "directory"
        value = item.get(key)
        at = path + (key,)
        if key == "dir":
            self.changed(at, "dir -> directory")
        if value is None or value == "":
            if key in item:
                self.changed(at, "empty directory dropped (the default is /home/devzero)")
            return
        if not isinstance(value, str):
            self.skipped(at, "expected a path", keep=False)
            return
        target = self.resolve(value)
        if target is None:
            self.skipped(at, f"{value!r} needs expansion, which v3 does not do", keep=False)
            step.todo.append(f"{TODO} directory {value!r} was not translated")
            return
        if target == HOME:
            self.changed(at, f"{value!r} is /home/devzero, the v3 default: dropped")
            return
        if value.startswith("~"):
            self.changed(at, f"{value!r} -> {target!r} (v3 does not expand ~)")
        elif target != value:
            self.changed(
                at,
                f"{value!r} -> {target!r} (v2 resolved it against codeCloneRoot "
                f"{self.clone_root}, v3 against /home/devzero)",
            )
        step.fields["directory"] = target
        step.lines["directory"] = self.line(at)

    def resolve(self, value: str) -> str | None:
        """A v2 directory as v3 reads it (relative ones are relative to /home/devzero)."""
        if "$" in value or value.startswith("~") and not (value == "~" or value[1] == "/"):
            return None  # variables, or another user's home: nothing to resolve them with
        if value == "~" or value.startswith("~/"):
            value = HOME + value[1:]
        if not value.startswith("/") and self.clone_root == HOME:
            normal = posixpath.normpath(value)
            return HOME if normal == "." else value
        return posixpath.normpath(posixpath.join(self.clone_root, value))

    def repos(self, path: Path, items: object) -> None:
        if not isinstance(items, list):
            self.skipped(path, "expected a list of repository URLs")
            return
        for index, item in enumerate(items):
            at = path + (index,)
            url = item.get("url") if isinstance(item, dict) else item
            if not isinstance(url, str) or not url:
                self.skipped(at, "expected a repository URL")
                continue
            step = _Step(
                {"type": "git-clone", "url": url.rstrip("/") or url},
                lines={"url": self.line(at)},
                anchor=self.source.values[at][0],
            )
            if isinstance(item, dict):
                for key in ("branch", "directory"):
                    if isinstance(item.get(key), str) and item[key]:
                        step.fields[key] = item[key]
            self.changed(at, "-> build.steps, type: git-clone (before the commands)")
            if step.fields["url"] != url:
                self.changed(
                    at,
                    "trailing '/' removed from the URL (git-clone names the "
                    "directory after the last part of the URL)",
                )
            self.clones.append(step)

    def packages_key(self, path: Path, items: object) -> None:
        if not isinstance(items, list):
            self.skipped(path, "expected a list of packages")
            return
        apt = _Step({"type": "apt-get", "packages": []}, anchor=self.line(path))
        docker = False
        for index, item in enumerate(items):
            at = path + (index,)
            source, _, name = item.partition(".") if isinstance(item, str) else ("", "", "")
            if name == "docker" and source in ("dz", "nixpkgs"):
                docker = True
                self.changed(
                    at,
                    f"{item} -> the Docker Engine steps (apt-get from Docker's "
                    "repository for Debian, devzero in the docker group)",
                )
            elif source == "nixpkgs" and debian_name(name):
                apt.fields["packages"].append(debian_name(name))
                self.changed(
                    at, f"{item} -> apt-get install {debian_name(name)} (the same name in Debian)"
                )
            else:
                hint = suggestion(name) if source == "nixpkgs" else COMMAND_STEP
                reason = f"{item}: no Debian package of the same name; {hint}"
                self.skipped(at, reason, keep=False)
                apt.todo.append(f"{TODO} {reason}")
        if not apt.fields["packages"]:
            apt.fields = {}  # only the TODO comments remain: no empty apt-get step
        if apt.fields or apt.todo:
            self.packages.append(apt)
        if docker:
            self.packages.extend(_Step(step) for step in docker_steps())

    def env(self, path: Path) -> None:
        items = self.source_value(path)
        if not isinstance(items, list):
            self.skipped(path, "expected a list of {key, value}")
            return
        self.runtime_env.extend(self.env_items(path, items, runtime=True))

    def env_items(self, path: Path, items: list, runtime: bool = False) -> list:
        out = []
        for index, item in enumerate(items):
            at = path + (index,)
            name = item.get("key", item.get("name")) if isinstance(item, dict) else None
            if not isinstance(name, str) or item.get("value") is None:
                self.skipped(at, "an env entry needs a key and a value")
                continue
            value = self.source.plain_text.get(at + ("value",), item["value"])
            where = (
                "runtime.environment (sessions only; copy it to build.environment if "
                "build steps need it)"
                if runtime
                else "the step's environment"
            )
            self.changed(at, f"{{key: {name}}} -> {{name: {name}}} in {where}")
            entry = {"name": name, "value": value}
            out.append(
                _Step(
                    entry,
                    lines={"value": self.line(at + ("value",))},
                    anchor=self.source.values[at][0],
                )
                if runtime
                else entry
            )
        return out

    def compute(self) -> None:
        compute = self.data["compute"]
        resources = compute.get("resources") if isinstance(compute, dict) else None
        volumes = resources.get("volumes") if isinstance(resources, dict) else None
        path = ("compute", "resources", "volumes")
        if isinstance(volumes, list):
            out = []
            for index, item in enumerate(volumes):
                if isinstance(item, dict) and {"path", "subPath"} <= item.keys():
                    out.append({"path": item["path"], "sub_path": item["subPath"]})
                    self.changed(path + (index,), "-> config.volumes (subPath -> sub_path)")
                else:
                    self.skipped(path + (index,), "expected {path, subPath}", keep=False)
            if out:
                self.config["volumes"] = (out, self.line(path))
        self.skipped(
            ("compute",),
            _NO_EQUIVALENT["compute"]
            + ("; its volumes moved to config.volumes" if volumes else ""),
        )

    def source_value(self, path: Path) -> object:
        value: object = self.data
        for part in path:
            value = value[part]  # type: ignore[index]
        return value

    # -- output ----------------------------------------------------------------

    def write(self) -> str:
        w = Writer(self.comments)
        first = min((self.line((k,)) for k in self.data), default=0)
        w.leading(0, first)  # the file's header comments stay at the top
        if w.lines:
            w.lines.append("")
        w.lines.append('version: "3"')
        if self.config:
            w.key(0, "config")
            for key, (value, line) in self.config.items():
                w.entry(2, key, value, line)
        build = self.packages + self.clones + self.build
        for phase, steps in (("build", build), ("launch", self.launch)):
            if steps:
                w.leading(0, self.line(("dev",)) if "dev" in self.data else None)
                w.key(0, phase)
                w.key(2, "steps")
                for step in steps:
                    self.write_step(w, 4, step)
        if self.runtime_env:
            w.leading(0, self.line(("env",)) if "env" in self.data else None)
            w.key(0, "runtime")
            w.key(2, "environment")
            for step in self.runtime_env:
                self.write_step(w, 4, step)
        for reason, first_line, last in self.blocks:
            w.lines.append("")
            w.leading(0, first_line)
            w.comment(0, f"{TODO} {reason}")
            for number in range(first_line, last + 1):
                w.comment(0, ("# " + self.source.line_text(number)).rstrip())
            self.comments.take_range(first_line, last)
        left = self.comments.left()
        if left:
            w.lines.append("")
            w.comment(0, "dz migrate: comments of the legacy file that had no place here:")
            for number, text in left:
                w.comment(0, f"(line {number}) {text}")
        return w.text()

    def write_step(self, w: Writer, indent: int, step: _Step) -> None:
        w.leading(indent, step.anchor)
        for text in step.todo:
            w.comment(indent, text)
        for index, (key, value) in enumerate(step.fields.items()):
            w.entry(indent + (2 if index else 0), key, value, step.lines.get(key), dash=index == 0)
