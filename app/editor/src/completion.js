/* Completion from the recipe schema: the keys a mapping may have where a key is being
 * typed, and the closed set of values (enums, step types, booleans) after "key: ". */

import {contextAt} from "./yamlpath.js";

const KEY_BEFORE = /^(\s*(?:-\s+)*)([\w-]*)$/;
const VALUE_BEFORE = /^(\s*(?:-\s+)*)([\w.-]+):\s+(["']?[\w.-]*)$/;
// Plain scalars YAML would read as something other than a string.
const NOT_A_STRING = /^(?:[-+]?[\d.]+|true|false|yes|no|on|off|null|~)$/i;

export function schemaCompletion(schema) {
  return (context) => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    const lines = context.state.doc.toString().split("\n");  // recipes are small
    const row = line.number - 1;

    const value = VALUE_BEFORE.exec(before);
    if (value) {
      const ctx = contextAt(lines, row, value[1].length);
      const choices = schema.choicesOf(schema.mappingAt(ctx.path, ctx.values), value[2]);
      if (!choices.length) return null;
      return {
        from: context.pos - value[3].length,
        options: choices.map((c) => ({label: yamlScalar(c.value), type: "enum", info: c.description})),
        validFor: /^["']?[\w.-]*["']?$/,
      };
    }
    const key = KEY_BEFORE.exec(before);
    if (!key || (!key[2] && !context.explicit)) return null;
    const ctx = contextAt(lines, row, key[1].length);
    const options = schema.keysOf(schema.mappingAt(ctx.path, ctx.values))
      .filter((k) => !ctx.siblings.has(k.name))
      .map((k) => ({label: k.name, type: "property", detail: k.required ? "required" : undefined,
                    info: k.description, apply: `${k.name}: `, boost: k.required ? 1 : 0}));
    if (!options.length) return null;
    return {from: line.from + key[1].length, options, validFor: /^[\w-]*$/};
  };
}

function yamlScalar(value) {
  const text = String(value);
  return typeof value === "string" && NOT_A_STRING.test(text) ? JSON.stringify(text) : text;
}
