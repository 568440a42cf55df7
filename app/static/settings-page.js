/* Team settings, members and API tokens: owners add, promote, demote and remove members,
   create tokens (the secret is shown once, here) and revoke them.  Separate from app.js
   so the settings page's team management stays one small file. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");
  const section = $("members");
  const isOwner = section.dataset.owner === "yes";
  const me = section.dataset.me;
  const report = (e) => { $("settings-status").textContent = e.message || e; };
  let shownTokenId = null;  // the token whose secret is on screen (hidden once revoked)

  async function api(method, path, body) {
    const opts = {method, headers: {"X-CSRF-Token": csrf()}, credentials: "same-origin"};
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const resp = await fetch("/api/v1" + path, opts);
    const data = resp.status === 204 ? null : await resp.json();
    if (!resp.ok) throw new Error(data.error.message);
    return data;
  }

  function roleCell(m) {
    if (!isOwner) return esc(m.role);
    const options = ["member", "owner"].map((r) => `<option${r === m.role ? " selected" : ""}>${r}</option>`).join("");
    return `<select class="role" aria-label="role of ${esc(m.username)}">${options}</select>`;
  }

  async function loadMembers() {
    const {members} = await api("GET", "/team/members");
    const body = document.querySelector("#member-list tbody");
    body.innerHTML = "";
    for (const m of members) {
      const tr = document.createElement("tr");
      tr.dataset.username = m.username;
      const you = m.user_id === me ? ' <span class="muted">(you)</span>' : "";
      tr.innerHTML = `<td>${esc(m.username)}${you}</td><td>${roleCell(m)}</td>` +
        (isOwner ? '<td><button class="link danger remove">Remove</button></td>' : "");
      if (isOwner) {
        const path = `/team/members/${encodeURIComponent(m.user_id)}`;
        tr.querySelector("select.role").onchange = (ev) => api("PATCH", path, {role: ev.target.value})
          .then(() => report(`${m.username} is now ${ev.target.value}`), (e) => { report(e); loadMembers(); });
        tr.querySelector("button.remove").onclick = () => api("DELETE", path)
          .then(() => { report(`${m.username} removed`); loadMembers(); }, report);
      }
      body.appendChild(tr);
    }
  }

  async function loadTokens() {
    const {tokens} = await api("GET", "/team/tokens");
    const body = document.querySelector("#token-list tbody");
    body.innerHTML = tokens.length ? "" : '<tr><td class="muted">No tokens</td></tr>';
    for (const t of tokens) {
      const tr = document.createElement("tr");
      tr.dataset.tokenId = t.id;
      tr.innerHTML = `<td>${esc(t.name || "(unnamed)")}<br><code>${esc(t.prefix)}…</code></td>` +
        `<td>${esc(t.user || "team token")}</td>` +
        `<td class="muted">created ${esc(when(t.created_at))}<br>last used ${esc(when(t.last_used_at))}</td>` +
        '<td><button class="link danger revoke">Revoke</button></td>';
      tr.querySelector("button.revoke").onclick = () => api("DELETE", `/team/tokens/${encodeURIComponent(t.id)}`)
        .then(() => {
          if (t.id === shownTokenId) { $("token-output").hidden = true; $("token-output").textContent = ""; }
          report(`Token ${t.name || t.prefix} revoked`);
          loadTokens();
        }, report);
      body.appendChild(tr);
    }
  }

  if (isOwner) {
    $("member-form").onsubmit = (ev) => {
      ev.preventDefault();
      const f = ev.target;
      const body = {username: f.username.value, role: f.role.value};
      if (f.password.value) body.password = f.password.value;
      api("POST", "/team/members", body).then((m) => { f.reset(); report(`${m.username} added as ${m.role}`); loadMembers(); }, report);
    };
    $("token-form").onsubmit = (ev) => {
      ev.preventDefault();
      const f = ev.target;
      api("POST", "/team/tokens", {name: f.name.value}).then((t) => {
        f.reset();
        const out = $("token-output");
        out.hidden = false;
        shownTokenId = t.id;
        out.textContent = `${t.token}\n(copy it now: it is not shown again)`;
        loadTokens();
      }, report);
    };
    loadTokens().catch(report);
  }
  loadMembers().catch(report);
})();
