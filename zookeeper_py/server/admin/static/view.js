// The live view of zookeeper_py's threads and queues: polls the AdminServer's JSON commands
// every second and draws the current role's threads as boxes in lanes (client I/O, request
// processors, quorum, election, the rest), the processor chain with arrows, each queue with
// its depth against its bound, and the last trace. Plain DOM, no library, no build step.
"use strict";

const COMMANDS = document.body.dataset.commands;
const LANES = [
  ["io", "Client I/O (NIOServerCnxnFactory)", /^(NIOServerCxnFactory|ConnnectionExpirer|NIOWorker|NIOServerCnxn)/],
  ["chain", "Request processors", /^(CommitProcWorkThread|ZooKeeperServer)/],
  ["quorum", "Quorum (Zab)", /^(LearnerHandler|Sender-|LearnerCnxAcceptor|QuorumPeer|Leader|Follower|Observer|Learner)/],
  ["election", "Leader election", /^(QuorumPeerListener|ListenerThread|Listener|SendWorker|RecvWorker|WorkerSender|WorkerReceiver|QuorumConnectionThread|QuorumCnxManager|FastLeaderElection)/],
  ["admin", "AdminServer", /^qtpAdminServer/],
  ["other", "Sessions, housekeeping and the rest", /./],
];
const maxSeen = {};

function esc(s) {
  return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
    c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"})[c]);
}

async function command(name, query) {
  const r = await fetch(COMMANDS + "/" + name + (query ? "?" + query : ""), {cache: "no-store"});
  if (!r.ok) throw new Error(name + ": HTTP " + r.status);
  return r.json();
}

function laneOf(name, pythonClass) {
  // By the Java thread name, else by the class (QuorumCnxManager's Listener is named after its address).
  for (const [key, , re] of LANES) if (key !== "other" && re.test(name)) return key;
  for (const [key, , re] of LANES) if (key !== "other" && pythonClass && re.test(pythonClass)) return key;
  return "other";
}

function links(item) {
  let out = "";
  if (item.python_file) {
    out += '<a class="py" href="/view/src/' + esc(item.python_file) + '" title="' + esc(item.python_module) + '">' +
      esc(item.python_file) + "</a>";
  } else if (item.python_class) {
    out += "<code>" + esc(item.python_class) + "</code>";
  }
  if (item.java_url) {
    out += ' <a class="java" href="' + esc(item.java_url) + '" title="' + esc(item.java_class) + '">' +
      esc(item.java_class.split(".").slice(-2).join(".")) + ".java</a>";
  }
  return '<div class="links">' + out + "</div>";
}

function stateBadge(t) {
  if (!t) return "";
  return '<span class="state ' + esc(t.state) + '">' + esc(t.state) + "</span>" +
    (t.waiting_on ? ' <span class="muted">' + esc(t.waiting_on) + "</span>" : "");
}

function queueLine(q) {
  const key = q.owner + "/" + q.queue;
  maxSeen[key] = Math.max(maxSeen[key] || 0, q.depth);
  const pct = q.bound ? Math.min(100, 100 * q.depth / q.bound) : 0;
  const rate = q.puts_per_sec === null ? "" : " · " + q.puts_per_sec + " puts/s";
  const age = q.oldest_age_ms ? " · oldest " + q.oldest_age_ms + " ms" : "";
  return '<div class="q' + (q.depth > 0 ? " nonzero" : "") + '" data-queue="' + esc(key) + '">' +
    "<code>" + esc(q.queue) + '</code> depth <span class="depth">' + q.depth + "</span>/" + esc(q.bound) +
    ' <span class="muted">(max <span class="max">' + maxSeen[key] + "</span>)</span>" +
    '<span class="rate">' + esc(rate + age) + "</span>" +
    '<div class="bar"><div style="width:' + pct.toFixed(1) + '%"></div></div></div>';
}

function connectionList(t) {
  if (!t || !t.connections) return "";
  const shown = t.connections.slice(0, 6).map(c =>
    "<li><code>" + esc(c.remote) + "</code> session <code>" + esc(c.session_id) + "</code></li>").join("");
  return '<div class="conns">' + t.connections.length + " connection" + (t.connections.length === 1 ? "" : "s") +
    "<ul>" + shown + (t.connections.length > 6 ? "<li>…</li>" : "") + "</ul></div>";
}

function box(title, thread, item, queues, extra, inline) {
  return '<div class="box' + (inline ? " inline" : "") + '" data-name="' + esc(thread ? thread.name : title) + '">' +
    '<div class="title">' + esc(title) + "</div>" +
    (thread ? '<div class="thread">' + esc(thread.name) + "</div>" + stateBadge(thread) : "") +
    (extra || "") + links(item || {}) + queues.map(queueLine).join("") + connectionList(thread) + "</div>";
}

function render(chain, queues, threads) {
  document.getElementById("role").textContent = "— " + chain.role + " (" + chain.server_class + ")";
  const byName = {};
  threads.forEach(t => { byName[t.name] = t; });
  // Queues go in their owner's box: a thread of that name (or starting with it), else a box of their own.
  const queuesOf = {};
  const owners = [];
  for (const q of queues) {
    let owner = q.owner;
    if (!byName[owner]) {
      const t = threads.find(t => t.name.startsWith(owner));
      if (t) owner = t.name;
    }
    if (!queuesOf[owner]) { queuesOf[owner] = []; owners.push(owner); }
    queuesOf[owner].push(q);
  }
  const lanes = {};
  LANES.forEach(([key]) => { lanes[key] = []; });
  // The chain: stages in order, an arrow where a stage feeds the next, a new row where it branches.
  const used = new Set();
  let rows = [], row = null, prev = null;
  for (const s of chain.stages) {
    const t = s.thread ? byName[s.thread] : null;
    if (t) used.add(t.name);
    const qs = s.thread ? (queuesOf[s.thread] || []) : [];
    const extra = '<div class="rate">' + (s.requests_per_sec === null ? "" : s.requests_per_sec + " req/s") +
      (s.wait_ms_est ? " · wait ≈ " + s.wait_ms_est + " ms" : "") + (s.inline ? " · inline (caller's thread)" : "") +
      "</div>";
    const html = box(s.stage, t, s, qs, extra, s.inline);
    if (prev && prev.next.includes(s.stage)) {
      row.push('<span class="arrow">→</span>', html);
    } else {
      const feeder = chain.stages.find(p => p.next.includes(s.stage));
      row = [feeder ? '<span class="from">from ' + esc(feeder.stage) + ' →</span>' :
        (!rows.length ? '<span class="from">client requests →</span>' :
          /follower|observer/.test(chain.role) ? '<span class="from">the leader\'s proposals →</span>' :
            '<span class="from">separate entry →</span>'), html];
      rows.push(row);
    }
    prev = s;
  }
  if (rows.length) lanes.chain.push(rows.map(r => '<div class="row">' + r.join("") + "</div>").join(""));
  // Every other thread, with the queues it owns.
  const laneRows = {};
  for (const t of threads) {
    if (used.has(t.name)) continue;
    const lane = laneOf(t.name, t.python_class);
    (laneRows[lane] = laneRows[lane] || []).push(box(t.python_class, t, t, queuesOf[t.name] || []));
    used.add(t.name);
  }
  for (const owner of owners) {
    if (used.has(owner)) continue;
    const lane = laneOf(owner);
    (laneRows[lane] = laneRows[lane] || []).push(box(owner, null, null, queuesOf[owner]));
  }
  for (const key in laneRows) lanes[key].push('<div class="row">' + laneRows[key].join("") + "</div>");
  document.getElementById("lanes").innerHTML = LANES.filter(([key]) => lanes[key].length).map(([key, title]) =>
    '<div class="lane" id="lane-' + key + '"><h3>' + esc(title) + "</h3>" + lanes[key].join("") + "</div>").join("");
  document.querySelector("#queue-table tbody").innerHTML = queues.map(q =>
    "<tr><td>" + esc(q.owner) + "</td><td><code>" + esc(q.queue) + '</code></td><td class="num">' + q.depth +
    '</td><td class="num">' + (maxSeen[q.owner + "/" + q.queue] || 0) + '</td><td class="num">' + esc(q.bound) +
    '</td><td class="num">' + esc(q.puts_per_sec) + '</td><td class="num">' + esc(q.oldest_age_ms) + "</td><td>" +
    esc(q.bound_by) + "</td></tr>").join("");
}

function renderTrace(tr) {
  const el = document.getElementById("trace-body");
  if (!tr || !tr.hops || !tr.hops.length) return;
  const last = tr.hops[tr.hops.length - 1].t_us || 1;
  el.innerHTML = "<p>session <code>" + esc(tr.session_id) + "</code> cxid " + esc(tr.cxid) + " " + esc(tr.op || tr.type) +
    (tr.complete ? "" : " (incomplete)") + "</p><table><thead><tr><th>thread</th><th>stage</th><th>event</th>" +
    "<th>t (µs)</th><th></th></tr></thead><tbody>" + tr.hops.map(h =>
      "<tr><td>" + esc(h.thread) + "</td><td>" + esc(h.stage) + "</td><td>" + esc(h.event) + '</td><td class="num">' +
      h.t_us + '</td><td style="width:200px"><div class="hopbar" style="width:' +
      (100 * h.t_us / last).toFixed(1) + '%"></div></td></tr>').join("") + "</tbody></table>";
}

async function refresh() {
  try {
    let [chain, queues, threads, trace] = await Promise.all([command("chain"), command("queues"),
      command("threads"), command("trace", "last=true")]);
    // Not serving (a quorum member looking for a leader): threads still answers, so draw those.
    if (chain.error) chain = {role: "not serving", server_class: chain.error, stages: []};
    render(chain, queues.error ? [] : queues.queues, threads.threads);
    if (!trace.error) renderTrace(trace.trace);
    document.getElementById("status").textContent = "Updated " + new Date().toLocaleTimeString() + ".";
  } catch (e) {
    document.getElementById("status").textContent = "Not updated: " + e.message;
  }
}

document.getElementById("trace-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const session = document.getElementById("trace-session").value.trim();
  document.getElementById("trace-body").innerHTML = '<p class="muted">Waiting for a request…</p>';
  try {
    const r = await command("trace", "wait=10000" + (session ? "&session=" + encodeURIComponent(session) : ""));
    if (r.trace && r.trace.hops.length) renderTrace(r.trace);
    else document.getElementById("trace-body").innerHTML = '<p class="muted">No request came within 10 s.</p>';
  } catch (e) {
    document.getElementById("trace-body").innerHTML = "<p>" + esc(e.message) + "</p>";
  }
});

refresh();
setInterval(refresh, 1000);
