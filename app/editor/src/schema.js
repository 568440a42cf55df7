/* Walking llb/recipe.schema.json (as pydantic writes it) along a path from yamlpath.js.
 *
 * A node is seen as a list of alternatives: "$ref"s followed, "anyOf"/"oneOf" flattened and
 * the {"type": "null"} that marks an optional key left out. Steps are a union discriminated
 * on "type"; where the mapping already says its type, only that alternative counts.
 */

export function makeSchema(root) {
  const defs = root.$defs || {};

  function alternatives(node, seen = new Set()) {
    if (!node || typeof node !== "object" || seen.has(node)) return [];
    seen.add(node);
    if (node.$ref) return alternatives(defs[node.$ref.split("/").pop()], seen);
    const union = node.anyOf || node.oneOf;
    if (union) return union.flatMap((n) => alternatives(n, seen));
    return node.type === "null" ? [] : [node];
  }

  /** The object alternatives of `nodes`, narrowed by the mapping's discriminator value. */
  function objects(nodes, values) {
    const objs = nodes.filter((n) => n.properties);
    const type = values && values.type;
    const chosen = objs.filter((n) => n.properties.type && n.properties.type.const === type);
    return chosen.length ? chosen : objs;
  }

  /** The schema alternatives of the mapping reached by `path` from the root. */
  function mappingAt(path, rootValues) {
    let nodes = [root], values = rootValues;
    for (const seg of path) {
      if (seg.item) {
        nodes = nodes.flatMap((n) => alternatives(n.items));
      } else {
        nodes = objects(nodes, values).flatMap((n) => described(n.properties[seg.key]));
      }
      values = seg.values;
      nodes = nodes.flatMap((n) => alternatives(n));
    }
    return objects(nodes, values);
  }

  /** A property's alternatives, each carrying the property's own description. */
  function described(prop) {
    if (!prop) return [];
    return alternatives(prop).map((n) => ({...n, description: prop.description || n.description}));
  }

  /** Every key the mapping may have: name, description, whether required, the schema. */
  function keysOf(mapping) {
    const keys = new Map();
    for (const obj of mapping) {
      for (const [name, prop] of Object.entries(obj.properties)) {
        if (keys.has(name)) continue;
        keys.set(name, {name, description: prop.description || "", prop,
                        required: (obj.required || []).includes(name)});
      }
    }
    return [...keys.values()];
  }

  /** The values a key accepts when they are a closed set (enum, const, boolean). */
  function choicesOf(mapping, key) {
    const out = [];
    for (const obj of mapping) {
      for (const alt of described(obj.properties[key])) {
        const options = alt.enum || (alt.const !== undefined ? [alt.const] : alt.type === "boolean" ? [true, false] : []);
        for (const value of options) {
          if (typeof value === "number" || out.some((o) => o.value === value)) continue;
          out.push({value, description: key === "type" && obj.description ? obj.description : alt.description || ""});
        }
      }
    }
    return out;
  }

  return {mappingAt, keysOf, choicesOf};
}
