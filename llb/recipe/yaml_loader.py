"""Safe, position-tracking YAML loading with bounded memory.

The document is built from PyYAML's event stream (libyaml when available) rather
than its constructor so that every value keeps its position, duplicate keys are
caught (PyYAML keeps the last one silently), and hostile input stops early:
anchors and aliases (billion-laughs), nesting deeper than a recipe needs and
oversized documents are rejected before any large structure is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from llb.recipe import limits
from llb.recipe.characters import as_text, first_unreadable
from llb.recipe.diagnostics import Diagnostic, RecipeError
from llb.recipe.source import Path, SourceMap
from llb.recipe.yaml_hints import break_hint, quote_hint

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_STR_TAGS = {None, "!", "tag:yaml.org,2002:str"}


@dataclass
class _Frame:
    container: dict | list
    path: Path
    key: str | None = None  # mappings: the key waiting for its value
    key_ok: bool = True


def plain_scalar(text: str) -> object:
    """Resolve an untagged plain scalar the way YAML 1.1 safe loading does.

    Dates and other exotic types stay text; only null, booleans, ints and floats
    become non-strings.
    """
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag.endswith((":null", ":bool", ":int", ":float")):
        return _CONSTRUCTOR.construct_object(ScalarNode(tag, text))
    return text


class _Builder:
    def __init__(self, source: SourceMap):
        self.source = source
        self.errors: list[Diagnostic] = []
        self.stack: list[_Frame] = []
        self.root: object = None
        self.nodes = 0

    def _child_path(self) -> Path | None:
        """Path of the next value, or None when it is a mapping key."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return frame.path + (len(frame.container),)
        if frame.key is None:
            return None
        return frame.path + (frame.key,)

    def _attach(self, value: object) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            if frame.key_ok:
                frame.container[frame.key] = value
            frame.key = None

    def _fail(self, event: yaml.Event, path: Path, message: str) -> RecipeError:
        pos = self.source.at_mark(event.start_mark)
        return RecipeError([*self.errors, self.source.diag(path, message, position=pos)])

    def handle(self, event: yaml.Event) -> None:
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent)):
            return
        if isinstance(event, yaml.DocumentStartEvent):
            if self.nodes:
                raise self._fail(event, (), "a recipe is a single YAML document; remove '---'")
            return
        if isinstance(event, yaml.DocumentEndEvent):
            return
        path = self._child_path()
        where = path if path is not None else self.stack[-1].path
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self._fail(event, where, "YAML anchors and aliases are not supported in recipes")
        self.nodes += 1
        if self.nodes > limits.MAX_YAML_NODES:
            raise self._fail(
                event, where, f"the recipe has more than {limits.MAX_YAML_NODES} values"
            )
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.stack.pop()
            self.source.ends[frame.path] = self.source.at_mark(event.end_mark)
            return
        pos = self.source.at_mark(event.start_mark)
        if path is None:
            self._key(event, pos)
            return
        if getattr(event, "tag", None) not in _STR_TAGS and not (
            isinstance(event, yaml.ScalarEvent) and event.tag == "tag:yaml.org,2002:str"
        ):
            raise self._fail(event, path, f"YAML tag {event.tag!r} is not supported in recipes")
        self.source.values[path] = pos
        if isinstance(event, yaml.ScalarEvent):
            self.source.ends[path] = self.source.at_mark(event.end_mark)
            self._attach(self._scalar(event, path))
            return
        if len(self.stack) >= limits.MAX_YAML_DEPTH:
            raise self._fail(
                event, path, f"the recipe nests deeper than {limits.MAX_YAML_DEPTH} levels"
            )
        container: dict | list = {} if isinstance(event, yaml.MappingStartEvent) else []
        self._attach(container)
        self.stack.append(_Frame(container, path))

    def _scalar(self, event: yaml.ScalarEvent, path: Path) -> object:
        if event.tag is None and event.implicit[0] and not event.style:
            self.source.plain_text[path] = event.value
            return plain_scalar(event.value)
        return event.value

    def _key(self, event: yaml.Event, pos: tuple[int, int]) -> None:
        frame = self.stack[-1]
        if not isinstance(event, yaml.ScalarEvent):
            hint = quote_hint(self.source.line_text(pos[0]))
            raise self._fail(event, frame.path, "mapping keys must be plain names" + hint)
        key = event.value
        path = frame.path + (key,)
        frame.key, frame.key_ok = key, key not in frame.container
        if not frame.key_ok:
            first = self.source.keys[path]
            self.errors.append(
                self.source.diag(
                    path, f"duplicate key '{key}' (first written at line {first[0]})", position=pos
                )
            )
            return
        self.source.keys[path] = pos


def load_yaml(data: str | bytes, filename: str) -> tuple[object, SourceMap]:
    """Parse ``data`` (text, or bytes meant as UTF-8) into plain values plus the source map.

    Raises:
        RecipeError: on syntax errors, duplicate keys, anchors/aliases, tags,
            characters YAML cannot read (or bytes that are not UTF-8), or when the
            document exceeds the size, depth or node limits.
    """
    text = as_text(data)
    source = SourceMap.for_text(filename, text)
    size = len(data) if isinstance(data, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_RECIPE_BYTES:
        raise RecipeError(
            [
                source.diag(
                    (),
                    f"the recipe is {size} bytes; at most {limits.MAX_RECIPE_BYTES} are accepted",
                )
            ]
        )
    unreadable = first_unreadable(text)
    if unreadable is not None:
        index, reason = unreadable
        raise RecipeError([source.diag((), reason, position=source.at_index(index))])
    builder = _Builder(source)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.handle(event)
    except yaml.MarkedYAMLError as exc:
        raise RecipeError([*builder.errors, _syntax_diag(source, exc)]) from None
    except (yaml.YAMLError, ValueError) as exc:
        # not expected after the character check; still a located error, never a crash
        raise RecipeError([*builder.errors, source.diag((), f"YAML error: {exc}")]) from None
    if builder.errors:
        raise RecipeError(builder.errors)
    return builder.root, source


def _syntax_diag(source: SourceMap, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = source.at_mark(mark) if mark else (1, 1)
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "YAML syntax error: " + ", ".join(parts)
    for near in (line, line - 1):
        if "{" in source.line_text(near):
            message += quote_hint(source.line_text(near))
            break
    for near in (line, line - 1):
        hint = break_hint(near, source.line_text(near))
        if hint:
            message += hint
            break
    return Diagnostic(
        file=source.file,
        line=line,
        col=col,
        path="yaml",
        message=message,
        source_line=source.snippet(line),
    )
