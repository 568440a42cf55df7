/* Hover docs from the recipe schema: a key's description (and its allowed values), and
 * for a step's "type: ..." value the description of that kind of step. */

import {contextAt, parseLine} from "./yamlpath.js";

export function schemaHover(schema) {
  return (view, pos) => {
    const line = view.state.doc.lineAt(pos);
    const parsed = parseLine(line.text);
    if (!parsed || parsed.key === null) return null;
    const col = pos - line.from;
    const lines = view.state.doc.toString().split("\n");
    const ctx = contextAt(lines, line.number - 1, parsed.col);
    const mapping = schema.mappingAt(ctx.path, ctx.values);

    let title, text, from, to;
    if (col >= parsed.col && col <= parsed.keyEnd) {
      const key = schema.keysOf(mapping).find((k) => k.name === parsed.key);
      if (!key) return null;
      const choices = schema.choicesOf(mapping, parsed.key).map((c) => String(c.value));
      title = parsed.key;
      text = key.description + (choices.length ? ` One of: ${choices.join(", ")}.` : "");
      [from, to] = [parsed.col, parsed.keyEnd];
    } else if (parsed.valueCol !== null && col >= parsed.valueCol && parsed.key === "type") {
      const choice = schema.choicesOf(mapping, "type").find((c) => c.value === parsed.value);
      if (!choice) return null;
      title = `type: ${parsed.value}`;
      text = choice.description;
      [from, to] = [parsed.valueCol, line.length];
    } else {
      return null;
    }
    if (!text) return null;
    return {
      pos: line.from + from, end: line.from + to, above: true,
      create: () => ({dom: card(title, text)}),
    };
  };
}

function card(title, text) {
  const dom = document.createElement("div");
  dom.className = "rb-hover";
  const head = dom.appendChild(document.createElement("strong"));
  head.textContent = title;
  const body = dom.appendChild(document.createElement("p"));
  body.textContent = text;
  return dom;
}
