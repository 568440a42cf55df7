/* Where a position sits in a YAML document, read from indentation alone.
 *
 * The editor asks this while the user types, so the text is often not valid YAML (a key
 * half written, a value missing); a parse tree would be broken exactly there. Block YAML as
 * recipes are written (keys, "- " items, scalars, block scalars) is nested by column, which
 * survives half-typed lines. Flow collections ({...}, [...]) are treated as plain values.
 */

const ENTRY = /^(\s*)((?:-(?:\s+|$))*)(.*)$/;
const KEY = /^("[^"]*"|'[^']*'|[^\s#'"{[\]][^:#]*?)\s*:(?:\s+(.*))?$/;

/** One line's structure: its indentation, the columns of its "- " markers, where its key
 * starts (col) and ends (keyEnd), its value and where that starts; null for blank lines. */
export function parseLine(text) {
  const [, indent, dashText, rest] = ENTRY.exec(text);
  if (!rest.trim() && !dashText) return null;  // blank
  if (!dashText && rest.trimStart().startsWith("#")) return null;  // comment
  const dashes = [];
  let col = indent.length;
  for (const m of dashText.matchAll(/-\s*/g)) { dashes.push(col); col += m[0].length; }
  const keyMatch = KEY.exec(rest.replace(/\s+#.*$/, ""));
  if (!keyMatch) return {indent: indent.length, dashes, col, key: null, value: null};
  const rawKey = keyMatch[1].trim();
  const value = keyMatch[2] !== undefined ? unquote(keyMatch[2].trim()) : null;
  const valueCol = keyMatch[2] !== undefined ? col + rest.indexOf(keyMatch[2], rawKey.length) : null;
  return {indent: indent.length, dashes, col, key: unquote(rawKey), keyEnd: col + rawKey.length,
          value, valueCol};
}

function unquote(s) {
  return /^(".*"|'.*')$/.test(s) ? s.slice(1, -1) : s;
}

/**
 * The path from the document's root to the mapping whose entries start at column `col`
 * on line `row` (0-based), with the plain values written in each mapping on the way.
 *
 * Returns {path, values, siblings}: path is a list of segments, {key} for a mapping entry
 * and {item: true} for a sequence item, each carrying `values` (key -> scalar) of the
 * mapping it leads to; `values` are the root mapping's; `siblings` are the keys of the
 * innermost mapping (above and below the line), for completion to leave out.
 */
export function contextAt(lines, row, col) {
  const reversed = [];
  let level = {values: {}};  // the mapping we are in; its segment is pushed once left
  const innermost = level;
  let target = col, inSeq = false;

  const enterDashes = (line, before) => {
    for (const dash of line.dashes.filter((d) => d < before).reverse()) {
      reversed.push({item: true, values: level.values});
      level = {values: {}};
      target = dash; inSeq = true;
    }
  };
  const own = parseLine(lines[row]) || {dashes: [], key: null};
  if (own.key !== null && own.col === col) recordValue(level, own);
  enterDashes(own, col);

  for (let r = row - 1; r >= 0; r--) {
    const line = parseLine(lines[r]);
    if (!line || line.indent > target) continue;
    if (inSeq) {
      if (line.dashes.includes(target)) continue;  // an earlier item of the same sequence
      if (line.key === null || line.col > target) continue;
      reversed.push({key: line.key, values: level.values});
      level = {values: {}};
      target = line.col; inSeq = false;
    } else if (line.key !== null && line.col <= target) {
      if (line.col < target) {  // the key whose value is our mapping
        reversed.push({key: line.key, values: level.values});
        level = {values: {}};
        target = line.col;
      }
    } else if (line.key === null && line.dashes.length && Math.max(...line.dashes) < target) {
      enterDashes(line, target);  // a "-" alone on its line opens the item we are in
      continue;
    } else {
      continue;
    }
    recordValue(level, line);
    enterDashes(line, line.col);
  }
  for (const line of keysBelow(lines, row, col)) recordValue(innermost, line);
  const siblings = new Set(Object.keys(innermost.values));
  if (own.key !== null) siblings.delete(own.key);
  return {path: reversed.reverse(), values: level.values, siblings};
}

function recordValue(level, line) {
  if (!(line.key in level.values)) level.values[line.key] = line.value;
}

/** The entries written after `row` in the mapping whose keys start at `col`. */
function keysBelow(lines, row, col) {
  const found = [];
  for (let r = row + 1; r < lines.length; r++) {
    const line = parseLine(lines[r]);
    if (!line) continue;
    if (line.indent < col) break;
    if (line.indent === col && !line.dashes.length && line.key !== null) found.push(line);
  }
  return found;
}
