/* Build page: status pill with elapsed time, a steps panel kept live from the log's
   vertex events, the log by step (build-log.js), cancel, and the image box.
   Uses the helpers of app.js (RB). */
"use strict";
const BuildPage = (() => {
  const $ = (id) => document.getElementById(id);

  function seconds(s) {
    // Clocks (browser, server, build daemon) disagree a little: never show "-1s".
    s = Math.max(0, s);
    if (s < 60) return `${Math.floor(s)}s`;
    return RB.duration(s);
  }

  /* What a step shows at its right: its state, or how long it ran. */
  function stateText(s, nowMs) {
    if (s.status === "cached") return "CACHED";
    if (s.status === "running") return s.startedMs ? seconds((nowMs - s.startedMs) / 1000) : "running…";
    if (s.status === "done" && s.moved) return `${s.moved} · ${s.seconds != null ? s.seconds.toFixed(1) : "?"}s`;
    if (s.status === "done") return s.seconds != null ? `${s.seconds.toFixed(1)}s` : "done";
    if (s.status === "running" && s.moved) return s.moved;
    if (s.status === "failed") return s.seconds != null ? `failed ${s.seconds.toFixed(1)}s` : "failed";
    if (s.status === "cancelled") return "cancelled";
    return "waiting";
  }

  function start(buildId, recipeId) {
    const pill = $("pill");
    const log = BuildLog.create($("log"), {search: $("log-search"), count: $("search-count"),
                                           next: $("search-next"), prev: $("search-prev")});
    const steps = new Map();  // vertex digest → step, in order of first appearance
    let build = null, lastSeq = 0, ended = false, fetchedAt = Date.now(), folded = false;
    // The server's clock minus this browser's: a running step's start time is the server's.
    let clockOffset = 0;

    function step(vertex, name) {
      let s = steps.get(vertex);
      if (!s) {
        const li = document.createElement("li");
        li.dataset.vertex = vertex;
        li.tabIndex = 0;
        li.setAttribute("role", "button");
        li.title = "Show only this step's log";
        li.innerHTML = '<span class="step-name"></span><span class="step-state"></span>';
        li.onclick = () => choose(vertex);
        li.onkeydown = (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(vertex); } };
        s = {vertex, name: name || vertex, status: "waiting", startedMs: null, seconds: null, error: null, li};
        steps.set(vertex, s);
        $("steps").appendChild(li);
      }
      if (name) s.name = name;
      return s;
    }

    function render(s) {
      const text = stateText(s, Date.now() + clockOffset);
      s.li.className = `step ${s.status}${log.filter === s.vertex ? " selected" : ""}`;
      s.li.querySelector(".step-name").textContent = s.name;
      s.li.querySelector(".step-state").innerHTML =
        (s.status === "running" ? '<span class="spinner" aria-hidden="true"></span>' : "") + RB.esc(text);
      if (s.error) s.li.title = s.error;
      log.ensure(s.vertex, s.name);
      log.setBadge(s.vertex, text, s.status);
    }

    /* Click a step: its lines only; click it again (or "All steps") for the whole log. */
    function choose(vertex) {
      const next = log.filter === vertex ? null : vertex;
      log.setFilter(next);
      for (const s of steps.values()) s.li.classList.toggle("selected", s.vertex === next);
      $("log-filter").hidden = next === null;
      if (next !== null) $("log-filter-name").textContent = steps.get(next).name;
    }

    /* One structured vertex event (vertex.started, .cached, .completed, .progress, .error). */
    function onVertex(vertex, record, time) {
      const s = step(vertex, record.name);
      if (record.type === "vertex.started") {
        if (s.status === "waiting") {
          s.status = "running";
          s.startedMs = record.started ? Date.parse(record.started) : time * 1000;
        }
      } else if (record.type === "vertex.cached") {
        s.status = "cached";
      } else if (record.type === "vertex.completed") {
        s.status = record.cached ? "cached" : "done";
        s.seconds = record.seconds;
      } else if (record.type === "vertex.progress") {
        // Bytes a step moved (the image push): "12.3 / 41.2 MB, 9.5 MB/s".
        const mb = (n) => (n / 1e6).toFixed(1);
        s.moved = `${mb(record.current)}${record.total ? ` / ${mb(record.total)}` : ""} MB, ${mb(record.rate_bps)} MB/s`;
      } else if (record.type === "vertex.error") {
        // A step stopped by the build's cancel ends as cancelled, not as a failure.
        s.status = /context canceled/.test(record.error || "") ? "cancelled" : "failed";
        s.error = record.error;
        if (record.started && record.completed) s.seconds = (Date.parse(record.completed) - Date.parse(record.started)) / 1000;
      }
      render(s);
    }

    /* The build record's steps are written when the build ends: they settle each step
       (a step still running when the build was cancelled ends as cancelled). */
    function settle(b) {
      for (const row of b.steps || []) {
        if (!row.vertex) continue;
        const s = step(row.vertex, row.name);
        s.status = row.status === "waiting" ? s.status : row.status;
        if (row.duration_s != null) s.seconds = row.duration_s;
        if (row.error) s.error = row.error;
      }
      for (const s of steps.values()) {
        if (s.status === "running") s.status = b.state === "cancelled" ? "cancelled" : "failed";
        render(s);
      }
    }

    /* A failed build opens on its failure: finished steps folded, the failed one open. */
    function foldForFailure() {
      if (folded) return;
      folded = true;
      log.flush();
      let failed = null;
      for (const s of steps.values()) {
        if (s.status === "done" || s.status === "cached") log.fold(s.vertex, true);
        if (s.status === "failed" && !failed) failed = s;
      }
      if (failed) log.reveal(failed.vertex);
    }

    function showBuild(b) {
      build = b; fetchedAt = Date.now();
      if (!b.terminal) clockOffset = Date.parse(b.queued_at) + b.elapsed_s * 1000 - fetchedAt;
      pill.className = `pill ${b.state}`;
      pill.textContent = RB.pillText(b);
      $("cancel").hidden = b.terminal;
      if (b.image_ref) { $("image").hidden = false; $("image-ref").textContent = b.image_ref; }
      if (b.error) {
        const where = b.error.line && !b.error.message.includes("recipe line") ? ` (recipe line ${b.error.line})` : "";
        $("error").hidden = false; $("error").textContent = b.error.message + where;
      }
      if (b.terminal) {
        settle(b);
        if (ended && (b.state === "failed" || b.state === "timed_out")) foldForFailure();
      }
    }

    function tick() {
      if (build && !build.terminal) pill.textContent = RB.pillText({...build, elapsed_s: build.elapsed_s + (Date.now() - fetchedAt) / 1000});
      for (const s of steps.values()) if (s.status === "running") render(s);
    }

    async function poll() {
      try { showBuild(await RB.api("GET", `/builds/${buildId}`)); } catch (e) { /* keep the last view */ }
      if (!build || !build.terminal) setTimeout(poll, 1000);
      else if (recipeId && $("previous-builds")) RB.api("GET", `/builds?recipe_id=${recipeId}&limit=10`).then((r) => RB.buildList($("previous-builds"), r.builds));
    }

    function connect() {
      const proto = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${proto}://${location.host}/ws/builds/${buildId}/logs?from=${lastSeq + 1}`);
      socket.onmessage = (msg) => {
        const frame = JSON.parse(msg.data);
        if (frame.type === "event") {
          lastSeq = frame.seq;
          if (frame.kind === "log") log.add(frame.vertex, frame.data);
          else if (frame.kind === "header" || frame.kind === "marker") log.add("", frame.data.endsWith("\n") ? frame.data : frame.data + "\n");
          else if (frame.kind === "vertex") {
            try { onVertex(frame.vertex, JSON.parse(frame.data), frame.time); } catch (e) { /* not a record we know */ }
          }
        } else if (frame.type === "status") {
          ended = true;  // every event is in: the failure can be opened once the record says so
          log.flush();
          if (build && build.terminal) showBuild(build);
          poll();
        }
      };
      socket.onclose = () => { if (!ended) setTimeout(connect, 1000); };  // resume after a drop
    }

    $("all-steps").onclick = () => { if (log.filter !== null) choose(log.filter); };
    $("fold-all").onclick = () => log.foldAll(true);
    $("unfold-all").onclick = () => log.foldAll(false);
    $("cancel").onclick = async () => {
      $("cancel").disabled = true;
      try { showBuild(await RB.api("POST", `/builds/${buildId}/cancel`)); } catch (e) { $("error").hidden = false; $("error").textContent = e.message; }
    };
    $("copy").onclick = async () => {
      const ref = $("image-ref").textContent;
      try { await navigator.clipboard.writeText(ref); } catch (e) {
        const r = document.createRange(); r.selectNodeContents($("image-ref"));
        getSelection().removeAllRanges(); getSelection().addRange(r); document.execCommand("copy");
      }
      $("copy").textContent = "Copied";
      setTimeout(() => { $("copy").textContent = "Copy"; }, 1500);
    };
    poll();
    connect();
    setInterval(tick, 1000);
  }

  return {start, stateText};
})();
