// openrfq's web blotter (README, "Web blotter"). Plain JavaScript, no build step, no library.
//
// Two views:
// - the whole venue, with the admin token: the control plane's feed (/openrfq/v1/feed, a WebSocket; the token
//   goes in its first message) pushes every account's RFQs, quotes and trades, the clock, the fault rules and
//   the snapshots; the controls call the control plane's REST API with an Authorization header;
// - one account, with an API key: REST signed here with WebCrypto (HMAC-SHA256, as OKX specifies) for the
//   account's RFQs, quotes and trades, then the business WebSocket (/ws/v5/business: login, subscribe) live.
//
// The token, the key's passphrase and the key itself live in closures of this module only (the secret becomes
// a non-extractable CryptoKey and the string is dropped): nothing is stored, put in a URL or sent elsewhere
// (the page's Content-Security-Policy allows no other destination). Everything the venue sends is shown with
// textContent, never parsed as HTML: a tag or client id chosen by another account is just text.

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();
const ROWS = 200; // newest rows shown per table
const KEEP = 2000; // entities kept per kind (the oldest are forgotten)
const PING_MS = 20000; // both WebSockets close after 30 s without traffic
const LEGS_SEP = "; ";

// --- what the page shows --------------------------------------------------------------------------------------

const book = { rfqs: new Map(), quotes: new Map(), trades: new Map() };
const KEYS = { rfqs: "rfqId", quotes: "quoteId", trades: "blockTdId" };
let session = null; // the open view: AdminView or AccountView
let renderPending = false;

function clearBook() {
  for (const kind of Object.keys(book)) book[kind].clear();
}

function upsert(kind, items) {
  const map = book[kind];
  for (const item of items || []) {
    const id = item[KEYS[kind]];
    const known = map.get(id);
    // A push is never older than what REST answered before it, but REST may answer after a push: keep the newer.
    if (!known || Number(item.uTime || 0) >= Number(known.uTime || 0)) map.set(id, item);
  }
  if (map.size > KEEP) {
    const ids = [...map.keys()].sort((a, b) => Number(a) - Number(b));
    for (const id of ids.slice(0, map.size - KEEP)) map.delete(id);
  }
  scheduleRender();
}

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  queueMicrotask(() => {
    renderPending = false;
    render();
  });
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (name === "class") node.className = value;
    else if (name === "data") for (const [k, v] of Object.entries(value)) node.dataset[k] = v;
    else if (name === "onclick") node.addEventListener("click", value);
    else node[name] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function time(ms, withDate = false) {
  if (!ms || ms === "0") return el("span", {}, "");
  const iso = new Date(Number(ms)).toISOString();
  const text = withDate ? iso.slice(0, 19).replace("T", " ") : iso.slice(11, 23);
  return el("time", { title: iso, dateTime: iso }, text);
}

function legs(list, priced) {
  return (list || [])
    .map((l) => `${l.side} ${l.sz} ${l.instId}` + (priced && l.px ? ` @ ${l.px}` : ""))
    .join(LEGS_SEP);
}

function stateCell(state) {
  return el("td", {}, el("span", { class: `state ${state}` }, state));
}

function newest(kind) {
  return [...book[kind].values()].sort((a, b) => Number(b[KEYS[kind]]) - Number(a[KEYS[kind]])).slice(0, ROWS);
}

function fill(tableId, rows) {
  const table = $(tableId);
  if (!rows.length) {
    const columns = table.tHead.rows[0].cells.length;
    rows = [el("tr", { class: "empty" }, el("td", { colSpan: columns }, session ? "none yet" : ""))];
  }
  table.tBodies[0].replaceChildren(...rows);
  const count = $(`${tableId}-count`);
  if (count) {
    const total = book[tableId].size;
    count.textContent = total > ROWS ? `(newest ${ROWS} of ${total})` : `(${total})`;
  }
}

function render() {
  const view = session;
  fill(
    "rfqs",
    newest("rfqs").map((r) =>
      el(
        "tr",
        { data: { id: r.rfqId } },
        el("td", { class: "id" }, r.rfqId),
        stateCell(r.state),
        el("td", {}, r.traderCode),
        el("td", {}, (r.counterparties || []).join(" ")),
        el("td", { class: "legs" }, legs(r.legs, false)),
        el("td", {}, r.clRfqId),
        el("td", {}, time(r.validUntil)),
        el("td", {}, time(r.uTime)),
        el("td", {}, view && view.canCancelRfq(r) ? cancelButton("cancel-rfq", { rfqId: r.rfqId }) : ""),
      ),
    ),
  );
  fill(
    "quotes",
    newest("quotes").map((q) =>
      el(
        "tr",
        { data: { id: q.quoteId } },
        el("td", { class: "id" }, q.quoteId),
        el("td", { class: "id" }, q.rfqId),
        stateCell(q.state),
        el("td", {}, q.traderCode),
        el("td", {}, q.quoteSide),
        el("td", { class: "legs" }, legs(q.legs, true)),
        el("td", {}, q.clQuoteId),
        el("td", {}, time(q.validUntil)),
        el("td", {}, time(q.uTime)),
        el("td", {}, view && view.canCancelQuote(q) ? cancelButton("cancel-quote", { quoteId: q.quoteId }) : ""),
      ),
    ),
  );
  fill(
    "trades",
    newest("trades").map((t) =>
      el(
        "tr",
        { data: { id: t.blockTdId } },
        el("td", { class: "id" }, t.blockTdId),
        el("td", { class: "id" }, t.rfqId),
        el("td", { class: "id" }, t.quoteId),
        el("td", {}, t.tTraderCode),
        el("td", {}, t.mTraderCode),
        el("td", { class: "legs" }, legs(t.legs, true)),
        el("td", {}, time(t.cTime)),
      ),
    ),
  );
}

function cancelButton(action, ids) {
  const button = el("button", { type: "button", class: "cancel", data: { action } }, "Cancel");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await session.cancel(action, ids);
    } catch (e) {
      button.disabled = false;
      say(`${action} ${Object.values(ids)[0]}: ${e.message}`, true);
    }
  });
  return button;
}

function say(text, error = false) {
  const box = $("message");
  box.textContent = text;
  box.className = error ? "error" : "";
  box.hidden = !text;
}

function status(state, text) {
  const node = $("status");
  node.dataset.state = state;
  node.textContent = text;
}

// --- the venue clock ------------------------------------------------------------------------------------------

const clock = { mode: "", ts: 0, at: 0 };

function setClock(c) {
  if (c.mode) clock.mode = c.mode;
  clock.ts = Number(c.ts);
  clock.at = Date.now();
  showClock();
  const virtual = clock.mode === "virtual";
  $("advance").disabled = !virtual;
  $("clock-mode").textContent = virtual
    ? "Virtual: venue time stands still until advanced; each timer due on the way fires at its own time."
    : "Real: venue time is the machine's (a venue started with --clock virtual can be advanced).";
}

function showClock() {
  if (!clock.ts) {
    $("clock").textContent = "";
    return;
  }
  const now = clock.ts + (clock.mode === "real" ? Date.now() - clock.at : 0);
  const iso = new Date(now).toISOString();
  $("clock").textContent = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC${clock.mode === "virtual" ? " (virtual)" : ""}`;
  $("clock").dataset.ts = String(now);
}

setInterval(showClock, 500);

// --- a WebSocket that reconnects --------------------------------------------------------------------------------

class Live {
  constructor(path, handlers) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.handlers = handlers;
    this.stopped = false;
    this.failures = 0;
    this.connect();
  }

  connect() {
    status("connecting", "connecting…");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => this.handlers.open(ws);
    ws.onmessage = (e) => {
      if (e.data === "pong") return;
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      this.handlers.message(message, ws);
    };
    ws.onclose = (e) => {
      clearInterval(this.pinger);
      if (this.stopped || ws !== this.ws) return;
      const wait = [1, 2, 5, 10][Math.min(this.failures++, 3)];
      status("disconnected", `disconnected (${e.code}): again in ${wait} s`);
      this.retry = setTimeout(() => this.connect(), wait * 1000);
    };
    this.pinger = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), PING_MS);
  }

  live() {
    this.failures = 0;
    status("live", "live");
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.retry);
    if (this.ws) this.ws.close();
  }
}

// --- the whole venue: the admin token -------------------------------------------------------------------------

class AdminView {
  constructor(token) {
    // The token stays in this closure: sent in the feed's first message and in Authorization headers only.
    this.control = async (method, path, body) => {
      const headers = { Authorization: `Bearer ${token}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(`/openrfq/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
      const answer = await response.json();
      if (answer.code !== "0") throw new Error(`${answer.code} ${answer.msg}`);
      return answer.data;
    };
    this.live = new Live("/openrfq/v1/feed", {
      open: (ws) => ws.send(JSON.stringify({ op: "auth", token })),
      message: (m) => this.onMessage(m),
    });
  }

  onMessage(m) {
    if (m.event === "error") {
      signOut(`The venue refused the admin token: ${m.msg}`);
      return;
    }
    if (m.event === "auth") return;
    if (m.channel === "state") {
      clearBook();
      this.live.live();
    }
    if (m.channel === "state" || m.channel === "changes") {
      upsert("rfqs", m.rfqs);
      upsert("quotes", m.quotes);
      upsert("trades", m.trades);
      if (m.ts) setClock({ ts: m.ts });
    }
    if (m.clock) setClock(m.clock);
    if (m.faults) showFaults(m.faults);
    if (m.snapshots) showSnapshots(m.snapshots);
  }

  canCancelRfq() {
    return false;
  }

  canCancelQuote() {
    return false;
  }

  stop() {
    this.live.stop();
  }
}

function showFaults(faults) {
  $("faults").tBodies[0].replaceChildren(
    ...faults.map((f) =>
      el(
        "tr",
        { data: { id: f.faultId } },
        ...[f.faultId, f.path, f.account || "any", f.action, f.code, f.ms === "0" ? "" : f.ms, f.count || "∞"].map(
          (v) => el("td", {}, v),
        ),
        el("td", {}, f.probability),
        el("td", {}, f.seed),
        el("td", {}, el("button", { type: "button", onclick: () => act(() => session.control("DELETE", `/faults/${f.faultId}`)) }, "Remove")),
      ),
    ),
  );
}

function showSnapshots(snapshots) {
  $("snapshots").tBodies[0].replaceChildren(
    ...snapshots.map((s) =>
      el(
        "tr",
        { data: { id: s.name } },
        el("td", {}, s.name),
        el("td", {}, time(s.cTime, true)),
        el("td", {}, s.clockTs ? time(s.clockTs, true) : "real"),
        el("td", {}, s.rfqs),
        el("td", {}, s.quotes),
        el("td", {}, s.trades),
        el(
          "td",
          {},
          el("button", { type: "button", data: { action: "restore" }, onclick: () => act(() => session.control("POST", `/snapshots/${s.name}/restore`), `restored ${s.name}`) }, "Restore"),
          " ",
          el("button", { type: "button", data: { action: "delete" }, onclick: () => act(() => session.control("DELETE", `/snapshots/${s.name}`)) }, "Delete"),
        ),
      ),
    ),
  );
}

async function act(call, done = "") {
  try {
    await call();
    say(done);
  } catch (e) {
    say(e.message, true);
  }
}

function numberField(id) {
  const text = $(id).value.trim();
  return text === "" ? undefined : Number(text);
}

function wireAdminControls() {
  $("advance-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ms = Math.round(Number($("advance-s").value) * 1000);
    act(async () => setClock((await session.control("POST", "/clock/advance", { ms }))[0]));
  });
  $("snapshot-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("snapshot-name").value.trim();
    act(() => session.control("POST", "/snapshots", { name }), `saved ${name}`);
  });
  $("reset").addEventListener("click", () => {
    if (confirm("Reset the venue? Every RFQ, quote and trade goes; accounts, fault rules and time stay.")) {
      act(() => session.control("POST", "/reset"), "the venue was reset");
    }
  });
  $("fault-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const rule = { path: $("fault-path").value.trim(), action: $("fault-action").value };
    const account = $("fault-account").value.trim();
    const code = $("fault-code").value.trim();
    if (account) rule.account = account;
    if (code) rule.code = code;
    for (const name of ["ms", "count", "probability", "seed"]) {
      const value = numberField(`fault-${name}`);
      if (value !== undefined) rule[name] = value;
    }
    act(() => session.control("POST", "/faults", rule));
  });
  $("clear-faults").addEventListener("click", () => act(() => session.control("DELETE", "/faults")));
}

// --- one account: an API key ----------------------------------------------------------------------------------

function base64(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}

class AccountView {
  static async open(apiKey, secret, passphrase, simulated) {
    if (!globalThis.crypto || !crypto.subtle) {
      throw new Error("this browser has no WebCrypto here: open the page on https (openrfq serve --tls) or localhost");
    }
    // The secret becomes a key WebCrypto will not give back; the page keeps no copy of the string.
    const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const sign = async (text) => base64(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
    const rest = async (method, path, body) => {
      const timestamp = new Date().toISOString(); // ISO 8601 with milliseconds, as OKX signs
      const text = body === undefined ? "" : JSON.stringify(body);
      const headers = {
        "OK-ACCESS-KEY": apiKey,
        "OK-ACCESS-SIGN": await sign(timestamp + method + path + text),
        "OK-ACCESS-TIMESTAMP": timestamp,
        "OK-ACCESS-PASSPHRASE": passphrase,
        "Content-Type": "application/json",
      };
      if (simulated) headers["x-simulated-trading"] = "1";
      const response = await fetch(path, { method, headers, body: text || undefined, cache: "no-store", credentials: "omit" });
      return response.json();
    };
    const login = async () => {
      const timestamp = String(Math.floor(Date.now() / 1000)); // seconds, as OKX's WebSocket login signs
      return { apiKey, passphrase, timestamp, sign: await sign(`${timestamp}GET/users/self/verify`) };
    };
    // The counterparties are every account but this one: what names this account is not among them.
    const answer = await rest("GET", "/api/v5/rfq/counterparties");
    if (answer.code !== "0") throw new Error(`${answer.code} ${answer.msg}`);
    return new AccountView(apiKey, rest, login, new Set(answer.data.map((c) => c.traderCode)));
  }

  constructor(apiKey, rest, login, others) {
    this.apiKey = apiKey;
    this.rest = rest;
    this.others = others;
    this.live = new Live("/ws/v5/business", {
      open: async (ws) => ws.send(JSON.stringify({ op: "login", args: [await login()] })),
      message: (m, ws) => this.onMessage(m, ws),
    });
  }

  mine(traderCode) {
    return Boolean(traderCode) && !this.others.has(traderCode);
  }

  canCancelRfq(r) {
    return r.state === "active" && this.mine(r.traderCode);
  }

  canCancelQuote(q) {
    return q.state === "active" && this.mine(q.traderCode);
  }

  onMessage(m, ws) {
    if (m.event === "login" && m.code === "0") {
      this.subscribed = 0;
      const args = ["rfqs", "quotes", "struc-block-trades"].map((channel) => ({ channel }));
      ws.send(JSON.stringify({ op: "subscribe", args }));
    } else if (m.event === "subscribe" && ++this.subscribed === 3) {
      this.load(); // subscribed first, so nothing that changes from now on is missed
    } else if (m.event === "error") {
      if (!this.loaded) signOut(`The venue refused the login: ${m.code} ${m.msg}`);
      else say(`WebSocket: ${m.code} ${m.msg}`, true);
    } else if (m.arg && m.data) {
      const kind = { rfqs: "rfqs", quotes: "quotes", "struc-block-trades": "trades" }[m.arg.channel];
      if (kind) upsert(kind, m.data);
    }
  }

  async load() {
    let answers;
    try {
      answers = await Promise.all(
        ["/api/v5/rfq/rfqs", "/api/v5/rfq/quotes", "/api/v5/rfq/trades"].map((path) => this.rest("GET", path)),
      );
    } catch (e) {
      say(`REST: ${e.message}`, true);
      return;
    }
    const failed = answers.find((a) => a.code !== "0");
    if (failed) {
      say(`REST: ${failed.code} ${failed.msg}`, true);
      return;
    }
    const [rfqs, quotes, trades] = answers;
    clearBook();
    upsert("rfqs", rfqs.data);
    upsert("quotes", quotes.data);
    upsert("trades", trades.data);
    this.loaded = true;
    this.live.live();
  }

  async cancel(action, ids) {
    const answer = await this.rest("POST", `/api/v5/rfq/${action}`, ids);
    const item = (answer.data || [])[0];
    if (answer.code !== "0") throw new Error(item && item.sMsg ? `${item.sCode} ${item.sMsg}` : `${answer.code} ${answer.msg}`);
    say(`${action} ${Object.values(ids)[0]}: done`);
  }

  stop() {
    this.live.stop();
  }
}

// --- signing in and out ---------------------------------------------------------------------------------------

function show(kind, who) {
  $("signin").hidden = kind !== null;
  $("admin").hidden = kind !== "admin";
  $("blotter").hidden = kind === null;
  $("signout").hidden = kind === null;
  $("clock").hidden = kind !== "admin";
  $("who").textContent = who;
}

function openAdmin(token) {
  signOut();
  session = new AdminView(token);
  show("admin", "whole venue");
}

function signOut(why = "") {
  if (session) session.stop();
  session = null;
  clearBook();
  render();
  show(null, "");
  status("signed-out", "signed out");
  say(why, Boolean(why));
}

$("admin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  $("token").value = "";
  openAdmin(token);
});

$("key-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const fields = ["api-key", "secret-key", "passphrase"].map((id) => $(id).value.trim());
  const simulated = $("simulated").checked;
  for (const id of ["secret-key", "passphrase"]) $(id).value = "";
  signOut();
  status("connecting", "signing in…");
  try {
    session = await AccountView.open(...fields, simulated);
    show("account", `account ${fields[0]}`);
  } catch (err) {
    signOut(`Sign-in failed: ${err.message}`);
  }
});

$("signout").addEventListener("click", () => signOut());
wireAdminControls();

// /ui/#token=...: the token is taken from the fragment (never sent to a server) and removed from the address.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.has("token")) {
  history.replaceState(null, "", location.pathname + location.search);
  openAdmin(fragment.get("token"));
}
