/* Recipe Builder pages: a little vanilla JavaScript over /api/v1 and the log websocket. */
"use strict";
const RB = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  async function api(method, path, body) {
    const opts = {method, headers: {"X-CSRF-Token": csrf()}, credentials: "same-origin"};
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const resp = await fetch("/api/v1" + path, opts);
    const data = resp.status === 204 ? null : await resp.json();
    if (!resp.ok) { const err = new Error(data.error.message); err.details = data.error.details; err.status = resp.status; throw err; }
    return data;
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}m ${s % 60}s`;
  }

  const PILL = {queued: "Queued", compiling: "Building…", building: "Building…", pushing: "Building…",
                succeeded: "Build successful", failed: "Build failed", cancelled: "Build cancelled",
                timed_out: "Build timed out"};
  function pillText(build) { return `${PILL[build.state] || build.state} (${duration(build.elapsed_s)})`; }

  function buildList(el, builds) {
    el.innerHTML = builds.length ? "" : '<li class="muted">No builds yet</li>';
    for (const b of builds) {
      const li = document.createElement("li");
      li.innerHTML = `<a href="/builds/${esc(b.id)}"><span class="pill small ${esc(b.state)}">${esc(b.state)}</span> ${esc(new Date(b.queued_at).toLocaleString())}</a>`;
      el.appendChild(li);
    }
  }

  async function recipeList() {
    const body = document.querySelector("#recipe-list tbody");
    const {recipes} = await api("GET", "/recipes");
    body.innerHTML = recipes.length ? "" : '<tr><td colspan="4" class="muted">No recipes yet.</td></tr>';
    for (const r of recipes) {
      const v = r.latest_version;
      body.insertAdjacentHTML("beforeend", `<tr data-recipe="${esc(r.id)}"><td><a href="/recipes/${esc(r.id)}">${esc(r.name)}</a></td><td>v${v ? v.number : "–"}</td><td>${v ? esc(new Date(v.created_at).toLocaleString()) : ""}</td><td class="last-build">${lastBuild(r.last_build)}</td></tr>`);
    }
  }

  /* A recipe's last build in the list: its state, when it ended (or was asked for), its image. */
  function lastBuild(b) {
    if (!b) return '<span class="muted">never built</span>';
    const when = new Date(b.finished_at || b.queued_at).toLocaleString();
    const image = b.image_ref ? ` <code class="image-ref">${esc(b.image_ref)}</code>` : "";
    return `<a href="/builds/${esc(b.id)}"><span class="pill small ${esc(b.state)}">${esc(b.state)}</span> ${esc(when)}</a>${image}`;
  }

  /* Editor: line-numbered textarea, validation markers at their lines, Save / Save and Build. */
  function editor(recipeId) {
    const text = $("yaml"), gutter = $("gutter"), problems = $("problems"), status = $("save-status");
    let errorLines = new Map(), timer = null, id = recipeId;

    function renderGutter() {
      const count = text.value.split("\n").length;
      let html = "";
      for (let i = 1; i <= count; i++) {
        const msg = errorLines.get(i);
        html += msg ? `<span class="err" title="${esc(msg)}" data-line="${i}">${i}</span>\n` : `<span>${i}</span>\n`;
      }
      gutter.innerHTML = html;
      gutter.scrollTop = text.scrollTop;
    }
    function showProblems(errors, warnings) {
      errorLines = new Map();
      for (const e of errors) errorLines.set(e.line, (errorLines.get(e.line) ? errorLines.get(e.line) + "; " : "") + e.message);
      problems.innerHTML = "";
      if (!errors.length && !warnings.length) problems.innerHTML = '<li class="ok">No problems</li>';
      for (const [kind, list] of [["error", errors], ["warning", warnings]]) {
        for (const e of list) {
          const li = document.createElement("li");
          li.className = kind;
          li.dataset.line = e.line;
          li.innerHTML = `<button class="link goto">Line ${e.line}:${e.col}</button> <code>${esc(e.path)}</code> ${esc(e.message)}`;
          li.querySelector("button").onclick = () => gotoLine(e.line);
          problems.appendChild(li);
        }
      }
      renderGutter();
      text.dispatchEvent(new CustomEvent("rb:problems", {detail: {errors, warnings}}));  // the code editor's diagnostics
    }
    function gotoLine(line) {
      if (!text.dispatchEvent(new CustomEvent("rb:goto", {detail: {line}, cancelable: true}))) return;  // the code editor took it
      const lines = text.value.split("\n");
      const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
      text.focus();
      text.setSelectionRange(start, start + (lines[line - 1] || "").length);
      text.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(text).lineHeight));
    }
    async function validate() {
      try {
        const r = await api("POST", "/recipes/validate", {yaml: text.value});
        showProblems(r.errors, r.warnings);
        return r.valid;
      } catch (e) { status.textContent = e.message; return false; }
    }
    async function save() {
      status.textContent = "Saving…";
      try {
        const r = id ? await api("PUT", `/recipes/${id}`, {yaml: text.value})
                     : await api("POST", "/recipes", {name: $("recipe-name").value, yaml: text.value});
        id = r.id;
        $("recipe-name").readOnly = true;
        history.replaceState(null, "", `/recipes/${id}`);
        status.textContent = `Saved version ${r.version.number}`;
        return r;
      } catch (e) {
        if (e.details && e.details.errors && e.details.errors[0] && e.details.errors[0].line) showProblems(e.details.errors, e.details.warnings || []);
        status.textContent = e.message;
        return null;
      }
    }
    text.addEventListener("input", () => { renderGutter(); clearTimeout(timer); timer = setTimeout(validate, 400); });
    text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
    text.addEventListener("keydown", (ev) => {
      if (ev.key === "Tab") { ev.preventDefault(); document.execCommand("insertText", false, "  "); }
    });
    $("save").onclick = save;
    $("save-build").onclick = async () => {
      const saved = await save();
      if (!saved) return;
      try {
        const b = await api("POST", "/builds", {recipe_version_id: saved.version.id});
        location.href = `/builds/${b.id}`;
      } catch (e) { status.textContent = e.message; }
    };
    renderGutter();
    validate();
    if (id && $("previous-builds")) api("GET", `/builds?recipe_id=${id}&limit=10`).then((r) => buildList($("previous-builds"), r.builds));
  }

  /* ANSI SGR colours → spans (other escape sequences are dropped). */
  const ANSI_COLORS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
  function ansiToHtml(state, chunk) {
    let out = "";
    const re = /\x1b\[([0-9;]*)([A-Za-z])/g;
    let last = 0, m;
    const open = () => state.classes.length ? `<span class="${state.classes.join(" ")}">` : "";
    const close = () => state.classes.length ? "</span>" : "";
    out += open();
    while ((m = re.exec(chunk)) !== null) {
      out += esc(chunk.slice(last, m.index));
      last = re.lastIndex;
      if (m[2] !== "m") continue;
      out += close();
      const codes = m[1] === "" ? [0] : m[1].split(";").map(Number);
      for (const c of codes) {
        if (c === 0) state.classes = [];
        else if (c === 1) state.classes.push("ansi-bold");
        else if (c >= 30 && c <= 37) state.classes = state.classes.filter((k) => !k.startsWith("ansi-fg")).concat(`ansi-fg-${ANSI_COLORS[c - 30]}`);
        else if (c >= 90 && c <= 97) state.classes = state.classes.filter((k) => !k.startsWith("ansi-fg")).concat(`ansi-fg-bright-${ANSI_COLORS[c - 90]}`);
        else if (c === 39) state.classes = state.classes.filter((k) => !k.startsWith("ansi-fg"));
      }
      out += open();
    }
    out += esc(chunk.slice(last)) + close();
    return out;
  }

  /* The build page is in build-page.js and build-log.js; they use the helpers below. */

  /* Team settings: env vars, write-only secrets, registry credentials, limits. */
  function settings() {
    const status = $("settings-status");
    const report = (e) => { status.textContent = e.message || e; };
    async function loadEnv() {
      const {env} = await api("GET", "/team/env");
      const body = document.querySelector("#env-list tbody");
      body.innerHTML = env.length ? "" : '<tr><td class="muted">No variables</td></tr>';
      for (const v of env) {
        const tr = document.createElement("tr");
        tr.innerHTML = `<td><code>${esc(v.name)}</code></td><td>${esc(v.value)}</td><td><button class="link danger">Delete</button></td>`;
        tr.querySelector("button").onclick = () => api("DELETE", `/team/env/${encodeURIComponent(v.name)}`).then(loadEnv, report);
        body.appendChild(tr);
      }
    }
    async function loadSecrets() {
      const {secrets} = await api("GET", "/team/secrets");
      const body = document.querySelector("#secret-list tbody");
      body.innerHTML = secrets.length ? "" : '<tr><td class="muted">No secrets</td></tr>';
      for (const s of secrets) {
        const tr = document.createElement("tr");
        tr.innerHTML = `<td><code>${esc(s.name)}</code></td><td>version ${s.version}</td><td><button class="link danger">Delete</button></td>`;
        tr.querySelector("button").onclick = () => api("DELETE", `/team/secrets/${encodeURIComponent(s.name)}`).then(loadSecrets, report);
        body.appendChild(tr);
      }
    }
    $("env-form").onsubmit = (ev) => {
      ev.preventDefault();
      const f = ev.target;
      api("PUT", `/team/env/${encodeURIComponent(f.name.value)}`, {value: f.value.value}).then(() => { f.reset(); loadEnv(); report("Variable saved"); }, report);
    };
    $("secret-form").onsubmit = (ev) => {
      ev.preventDefault();
      const f = ev.target;
      api("PUT", `/team/secrets/${encodeURIComponent(f.name.value)}`, {value: f.value.value}).then((s) => { f.reset(); loadSecrets(); report(`Secret ${s.name} is at version ${s.version}`); }, report);
    };
    const showCred = (c) => { $("cred-output").hidden = false; $("cred-output").textContent = `registry: ${c.registry}\nusername: ${c.username}\npassword: ${c.password}\n(${c.note})`; };
    $("cred-create").onclick = () => api("POST", "/team/registry-credentials").then(showCred, report);
    $("cred-rotate").onclick = () => api("POST", "/team/registry-credentials/rotate").then(showCred, report);
    $("limits-form").onsubmit = (ev) => {
      ev.preventDefault();
      const f = ev.target;
      api("PATCH", "/team", {build_timeout_s: Number(f.build_timeout_s.value), concurrency_limit: Number(f.concurrency_limit.value)}).then(() => report("Limits saved"), report);
    };
    loadEnv(); loadSecrets();
  }

  return {recipeList, editor, settings, ansiToHtml, duration, api, esc, pillText, buildList};
})();
