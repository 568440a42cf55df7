/* The recipe editor: CodeMirror 6 in place of the page's textarea.
 *
 * Progressive enhancement: the page works with the plain textarea (app.js validates and
 * saves its value) and this bundle, when it was built and loads, takes over the editing.
 * The textarea stays the value app.js reads: every change is copied into it with an
 * "input" event, so validation and saving are the page's own. app.js tells the editor the
 * problems it shows ("rb:problems") and which line to show ("rb:goto").
 */

import {indentWithTab} from "@codemirror/commands";
import {yaml, yamlLanguage} from "@codemirror/lang-yaml";
import {syntaxHighlighting} from "@codemirror/language";
import {lintGutter, setDiagnostics} from "@codemirror/lint";
import {EditorState} from "@codemirror/state";
import {EditorView, hoverTooltip, keymap} from "@codemirror/view";
import {classHighlighter} from "@lezer/highlight";
import {basicSetup} from "codemirror";
import recipeSchema from "../../../llb/recipe.schema.json";

import {schemaCompletion} from "./completion.js";
import {toDiagnostics} from "./diagnostics.js";
import {schemaHover} from "./hover.js";
import {makeSchema} from "./schema.js";

function mount(textarea) {
  const schema = makeSchema(recipeSchema);
  const copyToTextarea = EditorView.updateListener.of((update) => {
    if (!update.docChanged) return;
    textarea.value = update.state.doc.toString();
    textarea.dispatchEvent(new Event("input"));
  });
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        yaml(),
        yamlLanguage.data.of({autocomplete: schemaCompletion(schema)}),
        syntaxHighlighting(classHighlighter),  // stable tok-* classes beside the default colours
        hoverTooltip(schemaHover(schema)),
        lintGutter(),
        copyToTextarea,
        EditorView.contentAttributes.of({"aria-label": textarea.getAttribute("aria-label") || "Recipe YAML"}),
      ],
    }),
  });
  const box = textarea.parentElement;
  box.appendChild(view.dom);
  textarea.hidden = true;
  for (const el of box.querySelectorAll(".gutter")) el.hidden = true;
  box.classList.add("code-editor");

  textarea.addEventListener("rb:problems", (ev) => {
    const {errors, warnings} = ev.detail;
    view.dispatch(setDiagnostics(view.state, toDiagnostics(view.state.doc, errors, warnings)));
  });
  textarea.addEventListener("rb:goto", (ev) => {
    ev.preventDefault();
    const line = view.state.doc.line(Math.min(Math.max(ev.detail.line, 1), view.state.doc.lines));
    view.dispatch({selection: {anchor: line.from, head: line.to},
                   effects: EditorView.scrollIntoView(line.from, {y: "center"})});
    view.focus();
  });
  return view;
}

const textarea = document.getElementById("yaml");
if (textarea) {
  try {
    mount(textarea);
  } catch (err) {
    // The textarea was left in place: editing and saving go on without the enhancement.
    console.warn("code editor unavailable:", err);
  }
}
