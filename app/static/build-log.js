/* The build log view: lines grouped by step under foldable headers, a filter to one step,
   and a search.  Built for long logs: lines arrive in batches appended once per batch
   (never a re-render of what is there), and filtering or folding is a class on a group. */
"use strict";
const BuildLog = (() => {
  // ``#5 `` and the optional seconds offset ``#5 0.312 `` of BuildKit's plain output.
  const PREFIX = /^#\d+ (?:\d+\.\d+ )?/;
  const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
  const BATCH_MS = 30;
  // Matching lines rewritten with <mark>s at most: past that the count stays exact but
  // only the first ones light up, so a one-letter query cannot stall the page.
  const MAX_MARKED_LINES = 5000;

  /* Tools like apt redraw one line with carriage returns; show its last state, as a
     terminal would (and as `dz logs` does), behind its #N prefix. */
  function lastState(line) {
    if (!line.includes("\r")) return line;
    const m = PREFIX.exec(line);
    const head = m ? m[0] : "";
    const states = line.slice(head.length).split("\r").filter((s) => s.trim());
    return head + (states.length ? states[states.length - 1] : "");
  }

  function create(root, controls) {
    const groups = [];  // in page order
    const byVertex = new Map();
    let pending = [], timer = null, filter = null;
    const search = {query: "", matches: [], current: -1, marked: [], timer: null, dirty: false, jump: false};

    /* The group of a step's lines, or of lines of no step (pipeline messages): those
       join the last group when it is one of theirs, so the log keeps its order. */
    function group(vertex, title) {
      if (vertex && byVertex.has(vertex)) return byVertex.get(vertex);
      const last = groups[groups.length - 1];
      if (!vertex && last && !last.vertex) return last;
      const el = document.createElement("section");
      el.className = "log-group";
      el.innerHTML = '<button type="button" class="log-head" aria-expanded="true"><span class="log-caret" aria-hidden="true"></span>' +
        '<span class="log-title"></span><span class="log-badge"></span></button><div class="log-lines"></div>';
      const g = {vertex, el, head: el.firstChild, body: el.lastChild, lines: [], ansi: {classes: []},
                 folded: false, titled: Boolean(title)};
      g.head.querySelector(".log-title").textContent = title || (vertex ? vertex : "Build");
      g.head.onclick = () => setFolded(g, !g.folded);
      if (vertex) { el.dataset.vertex = vertex; byVertex.set(vertex, g); }
      groups.push(g);
      root.appendChild(el);
      return g;
    }

    function setFolded(g, folded) {
      g.folded = folded;
      g.el.classList.toggle("folded", folded);
      g.head.setAttribute("aria-expanded", String(!folded));
    }

    /* Queue raw text of a step (vertex "" for none); appended on the next batch. */
    function add(vertex, text) {
      pending.push([vertex, text]);
      if (timer === null) timer = setTimeout(flush, BATCH_MS);
    }

    function flush() {
      clearTimeout(timer);
      timer = null;
      if (!pending.length) return;
      const atBottom = root.scrollHeight - root.scrollTop - root.clientHeight < 40;
      const html = new Map();
      for (const [vertex, text] of pending) {
        const g = group(vertex);
        const parts = text.split("\n");
        if (parts[parts.length - 1] === "") parts.pop();
        let chunk = html.get(g) || "";
        for (const raw of parts) {
          const line = lastState(raw);
          // The first line of a step is BuildKit's "#N name": the group's title until
          // the step's own event names it.
          if (!g.titled && g.vertex && !g.lines.length) {
            g.head.querySelector(".log-title").textContent = line.replace(/^#\d+ /, "");
          }
          chunk += `<div class="ln">${RB.ansiToHtml(g.ansi, line)}</div>`;
          g.lines.push(line.replace(ANSI, ""));
        }
        html.set(g, chunk);
      }
      pending = [];
      for (const [g, chunk] of html) g.body.insertAdjacentHTML("beforeend", chunk);
      if (search.query) scheduleSearch();
      if (atBottom) root.scrollTop = root.scrollHeight;
    }

    /* A step's group, created empty if it printed nothing yet, titled with its name. */
    function ensure(vertex, name) {
      const g = group(vertex, name);
      if (name) { g.titled = true; g.head.querySelector(".log-title").textContent = name; }
      return g;
    }

    function setBadge(vertex, text, status) {
      const g = ensure(vertex);
      const badge = g.head.querySelector(".log-badge");
      badge.textContent = text;
      g.el.dataset.status = status;
    }

    function fold(vertex, folded) { const g = byVertex.get(vertex); if (g) setFolded(g, folded); }
    function foldAll(folded) { for (const g of groups) setFolded(g, folded); }

    /* Show only one step's lines (null: all of them). */
    function setFilter(vertex) {
      if (filter !== null && byVertex.has(filter)) byVertex.get(filter).el.classList.remove("selected");
      filter = vertex;
      root.classList.toggle("filtered", vertex !== null);
      if (vertex !== null) {
        const g = ensure(vertex);
        g.el.classList.add("selected");
        setFolded(g, false);
        root.scrollTop = 0;
      }
      if (search.query) runSearch();
    }

    function reveal(vertex) {
      const g = byVertex.get(vertex);
      if (!g) return;
      setFolded(g, false);
      root.scrollTop += g.el.getBoundingClientRect().top - root.getBoundingClientRect().top;
    }

    // Search ---------------------------------------------------------------------------
    /* Typing jumps to the first match; lines arriving while a search is shown only
       recount, so the view does not move under the reader. */
    function scheduleSearch(jump = false) {
      search.jump = search.jump || jump;
      if (jump) clearTimeout(search.timer);  // typing: search once the typist pauses
      else if (search.dirty) return;  // a stream of lines: one recount per interval, not never
      search.dirty = true;
      search.timer = setTimeout(runSearch, jump ? 150 : 500);
    }

    function unmark() {
      for (const [el, html] of search.marked) el.innerHTML = html;
      search.marked = [];
    }

    function marked(text, q) {
      const lower = text.toLowerCase();
      let out = "", at = 0, i;
      while ((i = lower.indexOf(q, at)) !== -1) {
        out += RB.esc(text.slice(at, i)) + `<mark>${RB.esc(text.slice(i, i + q.length))}</mark>`;
        at = i + q.length;
      }
      return out + RB.esc(text.slice(at));
    }

    /* Every occurrence in the shown lines, in page order; the current one kept by index. */
    function runSearch() {
      clearTimeout(search.timer);
      search.dirty = false;
      unmark();
      const q = search.query.toLowerCase();
      const matches = [];
      if (q) {
        for (const g of groups) {
          if (filter !== null && g.vertex !== filter) continue;
          for (let i = 0; i < g.lines.length; i++) {
            const lower = g.lines[i].toLowerCase();
            let at = lower.indexOf(q), k = 0;
            if (at === -1) continue;
            const el = g.body.children[i];
            if (search.marked.length < MAX_MARKED_LINES) {
              search.marked.push([el, el.innerHTML]);
              el.innerHTML = marked(g.lines[i], q);
            }
            while (at !== -1) { matches.push({g, i, k: k++}); at = lower.indexOf(q, at + q.length); }
          }
        }
      }
      search.matches = matches;
      search.current = matches.length ? Math.min(Math.max(search.current, 0), matches.length - 1) : -1;
      show(search.jump);
      search.jump = false;
    }

    /* Light the current match; with scroll, unfold its step and bring it into view. */
    function show(scroll) {
      const {matches, current} = search;
      for (const old of root.querySelectorAll("mark.current")) old.classList.remove("current");
      if (controls.count) {
        controls.count.textContent = !search.query ? "" : matches.length ? `${current + 1} of ${matches.length}` : "No matches";
      }
      if (current < 0) return;
      const m = matches[current];
      const mark = m.g.body.children[m.i].querySelectorAll("mark")[m.k];
      if (!mark) return;
      mark.classList.add("current");
      if (!scroll) return;
      setFolded(m.g, false);
      const r = mark.getBoundingClientRect(), box = root.getBoundingClientRect();
      root.scrollTop += r.top - box.top - root.clientHeight / 2;
    }

    function step(delta) {
      const n = search.matches.length;
      if (!n) return;
      search.current = (search.current + delta + n) % n;
      show(true);
    }

    if (controls.search) {
      controls.search.addEventListener("input", () => {
        search.query = controls.search.value;
        search.current = 0;
        scheduleSearch(true);
      });
      controls.search.addEventListener("keydown", (ev) => {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        flush();
        if (search.dirty) runSearch();  // typed just now: show the first match
        else step(ev.shiftKey ? -1 : 1);
      });
    }
    if (controls.next) controls.next.onclick = () => step(1);
    if (controls.prev) controls.prev.onclick = () => step(-1);

    return {add, flush, ensure, setBadge, fold, foldAll, setFilter, reveal,
            get filter() { return filter; }};
  }

  return {create, lastState};
})();
