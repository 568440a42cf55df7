/* The API's validation problems (line and column, 1-based, in characters) as CodeMirror
 * diagnostics: each underlines the word it points at, or one character. */

export function toDiagnostics(doc, errors, warnings) {
  return [...errors.map((p) => one(doc, p, "error")), ...warnings.map((p) => one(doc, p, "warning"))];
}

function one(doc, problem, severity) {
  const line = doc.line(Math.min(Math.max(problem.line || 1, 1), doc.lines));
  // Columns count characters; CodeMirror counts UTF-16 units.
  const chars = Array.from(line.text);
  const col = Math.min(Math.max((problem.col || 1) - 1, 0), chars.length);
  const from = line.from + chars.slice(0, col).join("").length;
  const word = /^[^\s:,#\]}]+/.exec(line.text.slice(from - line.from));
  const to = word ? from + word[0].length : Math.min(from + 1, line.to);
  return {from, to, severity, message: problem.message, source: problem.path || undefined};
}
