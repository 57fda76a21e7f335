// console.js: the Floe console's pages. Every request is signed here with
// the key pair kept in sessionStorage (see sigv4.js and the Go package's
// documentation); nothing is inserted as HTML, only as text.
"use strict";

(function (Floe) {
  const S = Floe.sigv4;
  const region = document.querySelector('meta[name="floe-region"]').content || "us-east-1";
  const API = "/_floe/console/api/";
  const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  let session = null; // {id, secret, user, admin}
  let stopPage = () => {}; // stops the current page's timers

  // ---- Small helpers ----

  // el builds an element: attrs are properties (on*, className, ...) or,
  // with a "data-"/"aria-" name, attributes; children are nodes or text.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("data-") || k.startsWith("aria-") || k === "for") e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function size(n) {
    if (n < 1024) return n + " B";
    const units = "KMGTPE";
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + " " + units[i] + "iB";
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (d.getTime() <= 0) return "never";
    return d.toLocaleString();
  }

  function ago(iso) {
    if (!iso) return "never";
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (new Date(iso).getTime() <= 0) return "never";
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  let flashTimer = 0;
  function flash(msg, isError) {
    const f = document.getElementById("flash");
    f.textContent = msg;
    f.className = isError ? "error show" : "show";
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { f.className = ""; }, isError ? 8000 : 3000);
  }

  // confirmButton runs action on a second click within 4 s: no modal
  // dialogs, and no deletion from one stray click.
  function confirmButton(label, action, cls) {
    let armed = 0;
    const b = el("button", { type: "button", className: "danger " + (cls || "") }, label);
    b.onclick = async () => {
      if (!armed) {
        b.textContent = "Confirm " + label.toLowerCase();
        b.classList.add("armed");
        armed = setTimeout(() => { armed = 0; b.textContent = label; b.classList.remove("armed"); }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = 0;
      b.disabled = true;
      try { await action(); } catch (e) { flash(String(e.message || e), true); } finally { b.disabled = false; }
    };
    return b;
  }

  // ---- Signed requests ----

  function creds() { return { id: session.id, secret: session.secret }; }

  // FloeError is a refused request: its S3 or API code and message.
  class FloeError extends Error {
    constructor(status, code, message) {
      super((code ? code + ": " : "") + (message || "HTTP " + status));
      this.status = status;
      this.code = code;
    }
  }

  async function errorOf(resp) {
    const text = await resp.text();
    try {
      if (text.startsWith("{")) {
        const j = JSON.parse(text);
        return new FloeError(resp.status, j.code, j.message);
      }
      const x = new DOMParser().parseFromString(text, "application/xml");
      const get = (n) => { const e = x.getElementsByTagName(n)[0]; return e ? e.textContent : ""; };
      return new FloeError(resp.status, get("Code"), get("Message"));
    } catch (e) {
      return new FloeError(resp.status, "", text.slice(0, 200));
    }
  }

  // skew is the gateway's clock less this browser's, in ms: learnt from
  // the Date of a RequestTimeTooSkewed answer, so that a machine whose
  // clock is off by more than SigV4's 15 minutes can still sign.
  let skew = 0;
  const now = () => new Date(Date.now() + skew);

  // signedFetch signs a request (body hashed as hash) and sends it; on a
  // clock-skew refusal it adopts the gateway's clock and tries once more.
  async function signedFetch(method, path, { query = [], headers = {}, bytes = null, c = creds() }) {
    const hash = bytes === null ? EMPTY_SHA256 : S.hex(S.sha256(bytes));
    for (let attempt = 0; ; attempt++) {
      const r = S.sign({ method, path, query, headers, payloadHash: hash, creds: c, region, now: now() });
      const resp = await fetch(r.url, { method, headers: r.headers, body: bytes, cache: "no-store" });
      if (resp.ok) return resp;
      const e = await errorOf(resp);
      const date = Date.parse(resp.headers.get("Date") || "");
      if (attempt === 0 && e.code === "RequestTimeTooSkewed" && !isNaN(date)) {
        skew = date - Date.now();
        continue;
      }
      throw e;
    }
  }

  // s3 makes a signed S3 request to the gateway (same origin, path style).
  function s3(method, path, { query = [], body = null, headers = {} } = {}) {
    const bytes = body === null ? null : typeof body === "string" ? S.utf8(body) : body;
    return signedFetch(method, path, { query, headers, bytes });
  }

  async function s3xml(method, path, opts) {
    const resp = await s3(method, path, opts);
    return new DOMParser().parseFromString(await resp.text(), "application/xml");
  }

  // api calls the console's own JSON API, signed the same way.
  async function api(method, name, body, c) {
    const bytes = body === undefined ? null : S.utf8(JSON.stringify(body));
    const headers = bytes === null ? {} : { "content-type": "application/json" };
    const path = API + name.split("/").map(S.uriEncode).join("/");
    const resp = await signedFetch(method, path, { headers, bytes, c: c || creds() });
    return resp.json();
  }

  // Uploads of files above threshold go as multipart uploads of
  // partSize pieces (S3's single PUT stops at 5 GiB, and a failed part is
  // all that must be sent again). Tests lower both.
  Floe.uploadConfig = { threshold: 64 << 20, partSize: 16 << 20 };

  // xhrSend sends body with XMLHttpRequest, for its upload progress
  // (fetch has none), reporting bytes sent to progress. The body goes
  // unsigned (UNSIGNED-PAYLOAD): hashing a large file in JavaScript first
  // would cost more than the upload; method, path, query, headers and
  // time are signed.
  function xhrSend(method, path, query, headers, body, progress) {
    const r = S.sign({ method, path, query, headers, payloadHash: "UNSIGNED-PAYLOAD", creds: creds(), region, now: now() });
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, r.url);
      for (const [k, v] of Object.entries(r.headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => progress(e.loaded);
      xhr.onload = async () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
        else reject(await errorOf(new Response(xhr.responseText, { status: xhr.status })));
      };
      xhr.onerror = () => reject(new Error("network error"));
      xhr.send(body);
    });
  }

  const xmlEscape = (v) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

  // putMultipart uploads f as a multipart upload, one part at a time,
  // and aborts the upload if any step fails.
  async function putMultipart(bucket, key, f, type, progress) {
    const path = objectPath(bucket, key);
    const created = await s3xml("POST", path, { query: [["uploads", ""]], headers: { "content-type": type } });
    const id = text(created, "UploadId");
    try {
      const parts = [];
      const size = Floe.uploadConfig.partSize;
      for (let n = 1, off = 0; off < f.size; n++, off += size) {
        const xhr = await xhrSend("PUT", path, [["partNumber", String(n)], ["uploadId", id]], {},
          f.slice(off, off + size), (loaded) => progress(off + loaded));
        parts.push("<Part><PartNumber>" + n + "</PartNumber><ETag>" + xmlEscape(xhr.getResponseHeader("ETag") || "") + "</ETag></Part>");
      }
      const done = await s3xml("POST", path, { query: [["uploadId", id]],
        body: "<CompleteMultipartUpload>" + parts.join("") + "</CompleteMultipartUpload>" });
      // A completion can fail after its 200 has begun: S3 then sends
      // an <Error> body.
      if (done.documentElement.nodeName === "Error") throw new FloeError(200, text(done, "Code"), text(done, "Message"));
    } catch (e) {
      await s3("DELETE", path, { query: [["uploadId", id]] }).catch(() => {});
      throw e;
    }
  }

  const bucketPath = (b) => "/" + S.uriEncode(b);
  const objectPath = (b, k) => bucketPath(b) + "/" + S.uriEncode(k);
  const text = (node, name) => { const e = node.getElementsByTagName(name)[0]; return e ? e.textContent : ""; };
  const children = (node, name) => Array.from(node.getElementsByTagName(name));

  // objectURL presigns a GET of an object, as a download (attachment)
  // unless inline.
  function objectURL(bucket, key, expires, inline) {
    const query = [];
    if (!inline) {
      const name = key.split("/").pop() || "download";
      const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
      query.push(["response-content-disposition",
        'attachment; filename="' + ascii + "\"; filename*=UTF-8''" + S.uriEncode(name)]);
    }
    return S.presign({ method: "GET", path: objectPath(bucket, key), query, expires, creds: creds(), region, now: now() });
  }

  // ---- Sign-in ----

  function saveSession(s) {
    session = s;
    if (s) sessionStorage.setItem("floe.session", JSON.stringify(s));
    else sessionStorage.removeItem("floe.session");
  }

  function signInPage(app) {
    const id = el("input", { id: "ak", name: "ak", autocomplete: "username", required: true, spellcheck: false });
    const secret = el("input", { id: "sk", name: "sk", type: "password", autocomplete: "current-password", required: true });
    const err = el("p", { className: "error", id: "signin-error" });
    const btn = el("button", { type: "submit", id: "signin-btn", className: "primary" }, "Sign in");
    const form = el("form", { className: "card signin", id: "signin" },
      el("h1", {}, "Sign in to Floe"),
      el("label", { for: "ak" }, "Access key ID"), id,
      el("label", { for: "sk" }, "Secret access key"), secret,
      btn, err,
      el("p", { className: "hint" }, "The key stays in this tab (sessionStorage) and signs each request in the browser; it is never sent."));
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      err.textContent = "";
      btn.disabled = true;
      const c = { id: id.value.trim(), secret: secret.value };
      try {
        const me = await api("GET", "whoami", undefined, c);
        saveSession({ id: c.id, secret: c.secret, user: me.user, admin: me.admin });
        location.hash = "#/buckets";
        render();
      } catch (e) {
        err.textContent = "Sign-in failed: " + (e.message || e);
      } finally {
        btn.disabled = false;
      }
    };
    app.append(form);
    id.focus();
  }

  // ---- Buckets ----

  async function bucketsPage(app) {
    const name = el("input", { id: "new-bucket", placeholder: "new-bucket-name", spellcheck: false, required: true,
      pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]", title: "3–63 characters: a-z, 0-9, '.' and '-'" });
    const create = el("form", { className: "inline", id: "create-bucket" }, name,
      el("button", { type: "submit", className: "primary" }, "Create bucket"));
    const tbody = el("tbody", { id: "buckets" });
    app.append(el("section", { className: "card" },
      el("div", { className: "head" }, el("h1", {}, "Buckets"), create),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Created"), el("th", {}, ""))), tbody)));
    create.onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        await s3("PUT", bucketPath(name.value.trim()));
        flash("Created bucket " + name.value.trim());
        name.value = "";
        await load();
      } catch (e) { flash(e.message, true); }
    };
    async function load() {
      const x = await s3xml("GET", "/");
      const rows = children(x, "Bucket").map((b) => {
        const n = text(b, "Name");
        return el("tr", { "data-bucket": n },
          el("td", {}, el("a", { href: "#/b/" + encodeURIComponent(n) + "/", className: "open" }, "🗀 " + n)),
          el("td", {}, when(text(b, "CreationDate"))),
          el("td", { className: "actions" }, confirmButton("Delete", async () => {
            await s3("DELETE", bucketPath(n));
            flash("Deleted bucket " + n);
            await load();
          })));
      });
      tbody.replaceChildren(...rows);
      if (!rows.length) tbody.append(el("tr", {}, el("td", { colSpan: 3, className: "empty" }, "No buckets yet.")));
    }
    await load();
  }

  // ---- A bucket's objects ----

  async function browsePage(app, bucket, prefix) {
    const crumbs = el("nav", { className: "crumbs" }, el("a", { href: "#/buckets" }, "Buckets"), " / ",
      el("a", { href: "#/b/" + encodeURIComponent(bucket) + "/" }, bucket));
    let acc = "";
    for (const part of prefix.split("/").slice(0, -1)) {
      acc += part + "/";
      crumbs.append(" / ", el("a", { href: "#/b/" + encodeURIComponent(bucket) + "/" + encodeURIComponent(acc) }, part));
    }
    const file = el("input", { type: "file", id: "upload", multiple: true });
    const uploads = el("div", { id: "uploads" });
    const tbody = el("tbody", { id: "objects" });
    const more = el("button", { type: "button", id: "more", hidden: true }, "Load more");
    const share = el("div", { id: "share", className: "share", hidden: true });
    app.append(el("section", { className: "card" },
      el("div", { className: "head" }, crumbs,
        el("label", { className: "button primary", for: "upload" }, "Upload files…"), file),
      uploads, share,
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", { className: "num" }, "Size"),
        el("th", {}, "Modified"), el("th", {}, ""))), tbody), more));

    file.onchange = () => {
      for (const f of Array.from(file.files)) upload(f);
      file.value = "";
    };
    let active = 0;
    function upload(f) {
      const key = prefix + f.name;
      const bar = el("progress", { max: 1, value: 0 });
      const label = el("span", {}, "0%");
      const row = el("div", { className: "upload", "data-upload": key }, el("span", { className: "name" }, key), bar, label);
      uploads.append(row);
      active++;
      const progress = (sent) => {
        const frac = f.size ? Math.min(1, sent / f.size) : 1;
        bar.value = frac;
        label.textContent = Math.floor(100 * frac) + "%";
      };
      const type = f.type || "application/octet-stream";
      const sent = f.size > Floe.uploadConfig.threshold ? putMultipart(bucket, key, f, type, progress) :
        xhrSend("PUT", objectPath(bucket, key), [], { "content-type": type }, f, progress);
      sent.then(() => {
        row.classList.add("ok");
        label.textContent = "done";
        bar.value = 1;
        setTimeout(() => row.remove(), 4000);
      }, (e) => {
        row.classList.add("failed");
        label.textContent = e.message || String(e);
      }).finally(() => {
        if (--active === 0) load(true).catch((e) => flash(e.message, true));
      });
    }

    let token = "";
    async function load(reset) {
      if (reset) { token = ""; tbody.replaceChildren(); }
      const query = [["list-type", "2"], ["delimiter", "/"], ["prefix", prefix], ["max-keys", "500"]];
      if (token) query.push(["continuation-token", token]);
      const x = await s3xml("GET", bucketPath(bucket), { query });
      for (const p of children(x, "CommonPrefixes")) {
        const pre = text(p, "Prefix");
        tbody.append(el("tr", { "data-prefix": pre, className: "folder" },
          el("td", {}, el("a", { href: "#/b/" + encodeURIComponent(bucket) + "/" + encodeURIComponent(pre) }, "🗀 " + pre.slice(prefix.length))),
          el("td", {}), el("td", {}), el("td", {})));
      }
      for (const c of children(x, "Contents")) {
        const key = text(c, "Key");
        tbody.append(objectRow(key, Number(text(c, "Size")), text(c, "LastModified")));
      }
      if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colSpan: 4, className: "empty" }, "Nothing here yet: upload a file.")));
      token = text(x, "IsTruncated") === "true" ? text(x, "NextContinuationToken") : "";
      more.hidden = !token;
    }
    more.onclick = () => load(false).catch((e) => flash(e.message, true));

    function objectRow(key, n, modified) {
      const dl = el("button", { type: "button", className: "download" }, "Download");
      dl.onclick = () => {
        const a = el("a", { href: objectURL(bucket, key, 300, false), download: key.split("/").pop() });
        document.body.append(a);
        a.click();
        a.remove();
      };
      const sh = el("button", { type: "button", className: "share-btn" }, "Share");
      sh.onclick = () => shareBox(key);
      return el("tr", { "data-key": key },
        el("td", { className: "name" }, key.slice(prefix.length) || key),
        el("td", { className: "num" }, size(n)),
        el("td", {}, when(modified)),
        el("td", { className: "actions" }, dl, sh, confirmButton("Delete", async () => {
          await s3("DELETE", objectPath(bucket, key));
          flash("Deleted " + key);
          await load(true);
        })));
    }

    // shareBox offers a presigned GET of key for a chosen time: anyone
    // with the link may read the object until it expires (7 days at most,
    // as in S3), or until the signing key is deleted.
    function shareBox(key) {
      const expiry = el("select", { id: "share-expiry" },
        [["900", "15 minutes"], ["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"]]
          .map(([v, l]) => el("option", { value: v, selected: v === "3600" }, l)));
      const out = el("input", { id: "share-url", readOnly: true, spellcheck: false });
      const make = () => { out.value = location.origin + objectURL(bucket, key, Number(expiry.value), true); };
      expiry.onchange = make;
      const copy = el("button", { type: "button" }, "Copy");
      copy.onclick = async () => {
        out.select();
        try { await navigator.clipboard.writeText(out.value); } catch (e) { document.execCommand("copy"); }
        flash("Link copied");
      };
      const close = el("button", { type: "button", className: "link" }, "Close");
      close.onclick = () => { share.hidden = true; };
      share.replaceChildren(el("strong", {}, "Share " + key), " for ", expiry, out, copy, close,
        el("p", { className: "hint" }, "Anyone with this link can read the object until it expires or this access key is deleted."));
      make();
      share.hidden = false;
      out.select();
    }
    await load(true);
  }

  // ---- Cluster ----

  async function clusterPage(app) {
    if (!session.admin) {
      app.append(el("section", { className: "card" }, el("h1", {}, "Cluster"),
        el("p", {}, "The cluster view is for the admin user.")));
      return;
    }
    const summary = el("div", { className: "stats", id: "summary" });
    const nodes = el("tbody", { id: "nodes" });
    const repair = el("div", { id: "repair" });
    const scrub = el("tbody", { id: "scrub" });
    const canvas = el("canvas", { id: "chart", width: 900, height: 220 });
    const rates = el("div", { className: "rates", id: "rates" }, "Measuring…");
    app.append(
      el("section", { className: "card" }, el("h1", {}, "Cluster"), summary),
      el("section", { className: "card" }, el("h2", {}, "Throughput of this gateway"), rates, canvas),
      el("section", { className: "card" }, el("h2", {}, "Storage nodes"),
        el("table", {}, el("thead", {}, el("tr", {}, ["Node", "Address", "State", "Last heartbeat", "Shards", "Free", ""]
          .map((h, i) => el("th", { className: i === 4 || i === 5 ? "num" : "" }, h)))), nodes)),
      el("section", { className: "card split" },
        el("div", {}, el("h2", {}, "Repair queue"), repair),
        el("div", {}, el("h2", {}, "Scrub"),
          el("table", {}, el("thead", {}, el("tr", {}, ["Node", "Pass", "Last full pass", "Checked", "Found"].map((h) => el("th", {}, h)))), scrub))));

    async function loadCluster() {
      const c = await api("GET", "cluster");
      const alive = c.nodes.filter((n) => n.state === "alive").length;
      const free = c.nodes.reduce((s, n) => s + n.freeBytes, 0), cap = c.nodes.reduce((s, n) => s + n.capacityBytes, 0);
      const shards = c.nodes.reduce((s, n) => s + n.shards, 0);
      const stat = (label, value, cls) => el("div", { className: "stat " + (cls || "") }, el("span", { className: "v" }, value), el("span", { className: "l" }, label));
      summary.replaceChildren(
        stat("nodes alive", alive + " / " + c.nodes.length, alive < c.nodes.length ? "warn" : "good"),
        stat("free of " + size(cap), size(free)),
        stat("shards", shards.toLocaleString()),
        stat("blobs queued for repair", String(c.repair.queued), c.repair.queued ? "warn" : "good"));
      nodes.replaceChildren(...c.nodes.map((n) => {
        const used = n.capacityBytes ? 1 - n.freeBytes / n.capacityBytes : 0;
        return el("tr", { "data-node": n.id },
          el("td", { className: "mono", title: n.id }, n.id.slice(0, 12)),
          el("td", { className: "mono" }, n.addr),
          el("td", {}, el("span", { className: "state " + n.state }, n.state), " ", el("small", {}, "since " + ago(n.since))),
          el("td", {}, ago(n.lastHeartbeat)),
          el("td", { className: "num" }, n.shards.toLocaleString() + (n.misplacedShards ? " (" + n.misplacedShards + " to move)" : "")),
          el("td", { className: "num" }, size(n.freeBytes) + " / " + size(n.capacityBytes)),
          el("td", {}, el("div", { className: "meter", title: Math.round(100 * used) + "% used" }, el("div"))));
      }));
      // Widths via the style object: CSP forbids inline style attributes
      // but not properties set from script.
      Array.from(nodes.querySelectorAll(".meter > div")).forEach((d, i) => {
        const n = c.nodes[i];
        d.style.width = (n.capacityBytes ? 100 * (1 - n.freeBytes / n.capacityBytes) : 0).toFixed(1) + "%";
      });
      const r = c.repair;
      const byR = Object.entries(r.byReadable).sort((a, b) => Number(a[0]) - Number(b[0]));
      repair.replaceChildren(
        el("p", {}, el("strong", {}, String(r.queued)), " queued, ", String(r.inProgress), " in progress, ", String(r.retrying), " retrying"),
        el("p", {}, "Oldest entry: " + (r.oldest ? ago(r.oldest) : "—")),
        byR.length ? el("ul", {}, byR.map(([k, v]) => el("li", {}, v + " blob" + (v === 1 ? "" : "s") + " with " + k + " readable shards"))) :
          el("p", { className: "hint" }, "Nothing to repair."));
      scrub.replaceChildren(...c.scrub.map((p) => el("tr", {},
        el("td", { className: "mono", title: p.nodeId }, p.nodeId.slice(0, 12)),
        el("td", {}, el("progress", { max: 1, value: p.progress }), " ",
          p.done ? "done" : Math.round(100 * p.progress) + "%" + (p.active ? " ▸" : "")),
        el("td", {}, p.lastPassAt ? ago(p.lastPassAt) : "none yet"),
        el("td", {}, p.checked.toLocaleString()),
        el("td", {}, (p.corrupt + p.missing) ? p.corrupt + " corrupt, " + p.missing + " missing" : "—", p.orphans ? ", " + p.orphans + " orphans deleted" : ""))));
      if (!c.scrub.length) scrub.append(el("tr", {}, el("td", { colSpan: 5, className: "empty" }, "No pass has started yet.")));
    }

    // Throughput: the gateway's cumulative counters, sampled each second;
    // the chart shows the last two minutes of rates.
    const samples = [], rateHist = [];
    async function sample() {
      const t = await api("GET", "traffic");
      samples.push(t);
      if (samples.length > 2) samples.shift();
      if (samples.length === 2) {
        const [a, b] = samples, dt = (b.timeMillis - a.timeMillis) / 1000 || 1;
        rateHist.push({ in: (b.bytesIn - a.bytesIn) / dt, out: (b.bytesOut - a.bytesOut) / dt, req: (b.requests - a.requests) / dt });
        if (rateHist.length > 120) rateHist.shift();
        const last = rateHist[rateHist.length - 1];
        rates.replaceChildren(el("span", { className: "in" }, "▲ in " + size(Math.round(last.in)) + "/s"),
          el("span", { className: "out" }, "▼ out " + size(Math.round(last.out)) + "/s"),
          el("span", {}, last.req.toFixed(1) + " requests/s"),
          el("span", { className: "hint" }, b.requests.toLocaleString() + " requests since start"));
      }
      drawChart(canvas, rateHist);
    }

    let stopped = false;
    const timers = [];
    const every = (ms, f) => {
      const run = () => f().catch((e) => { if (!stopped) flash(e.message, true); });
      run();
      timers.push(setInterval(run, ms));
    };
    stopPage = () => { stopped = true; timers.forEach(clearInterval); };
    every(1000, sample);
    every(5000, loadCluster);
  }

  // drawChart draws bytes in and out per second as two lines, scaled to
  // the largest rate shown.
  function drawChart(canvas, hist) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 900, h = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(canvas);
    const color = (name, dflt) => css.getPropertyValue(name).trim() || dflt;
    const left = 70, right = 10, top = 10, bottom = 20, pw = w - left - right, ph = h - top - bottom;
    const maxRate = Math.max(1024, ...hist.map((r) => Math.max(r.in, r.out)));
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = color("--muted", "#888");
    g.strokeStyle = color("--grid", "#ddd");
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + ph - (ph * i) / 4;
      g.beginPath(); g.moveTo(left, y + 0.5); g.lineTo(left + pw, y + 0.5); g.stroke();
      g.fillText(size(Math.round((maxRate * i) / 4)) + "/s", 4, y + 4);
    }
    g.fillText("2 min ago", left, h - 4);
    g.fillText("now", left + pw - 20, h - 4);
    // Out is dashed, so that equal rates (a PUT read back) show both.
    const line = (key, color, dash) => {
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.setLineDash(dash);
      g.beginPath();
      hist.forEach((r, i) => {
        const x = left + pw - ((hist.length - 1 - i) * pw) / 119, y = top + ph - (r[key] / maxRate) * ph;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    };
    line("in", color("--in", "#2a7ae2"), []);
    line("out", color("--out", "#1a9a6a"), [6, 4]);
    g.setLineDash([]);
    canvas.dataset.samples = String(hist.length);
  }

  // ---- Access keys ----

  async function keysPage(app) {
    const desc = el("input", { id: "key-desc", placeholder: "what it is for (optional)", maxLength: 256 });
    const user = session.admin ? el("input", { id: "key-user", placeholder: "user (default: you)", spellcheck: false }) : null;
    const form = el("form", { className: "inline", id: "create-key" }, desc, user,
      el("button", { type: "submit", className: "primary" }, "Create key"));
    const fresh = el("div", { id: "new-key", className: "newkey", hidden: true });
    const tbody = el("tbody", { id: "keys" });
    app.append(el("section", { className: "card" },
      el("div", { className: "head" }, el("h1", {}, "Access keys"), form), fresh,
      el("table", {}, el("thead", {}, el("tr", {}, ["Access key ID", "User", "Description", "Created", ""].map((h) => el("th", {}, h)))), tbody),
      el("p", { className: "hint" }, session.admin ? "As admin you see and manage every user's keys." : "You see and manage your own keys."),
      el("p", { className: "hint" }, "A deleted key may keep working for a few seconds on gateways that used it (their key cache).")));
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        const body = { description: desc.value };
        if (user && user.value.trim()) body.user = user.value.trim();
        const k = await api("POST", "keys", body);
        fresh.replaceChildren(el("strong", {}, "New key for " + k.user + " — copy the secret now, it is not shown again:"),
          el("dl", {}, el("dt", {}, "Access key ID"), el("dd", { className: "mono", id: "new-key-id" }, k.accessKeyId),
            el("dt", {}, "Secret access key"), el("dd", { className: "mono", id: "new-key-secret" }, k.secretAccessKey)));
        fresh.hidden = false;
        desc.value = "";
        await load();
      } catch (e) { flash(e.message, true); }
    };
    async function load() {
      const keys = await api("GET", "keys");
      tbody.replaceChildren(...keys.map((k) => el("tr", { "data-key-id": k.accessKeyId },
        el("td", { className: "mono" }, k.accessKeyId, k.current ? el("span", { className: "badge" }, "this session") : null),
        el("td", {}, k.user),
        el("td", {}, k.description || "—"),
        el("td", {}, when(k.createdAt)),
        el("td", { className: "actions" }, confirmButton("Delete", async () => {
          await api("DELETE", "keys/" + k.accessKeyId);
          flash("Deleted key " + k.accessKeyId);
          if (k.current) { signOut(); return; }
          await load();
        })))));
    }
    await load();
  }

  // ---- Routing ----

  function signOut() {
    saveSession(null);
    location.hash = "";
    render();
  }

  async function render() {
    stopPage();
    stopPage = () => {};
    const app = document.getElementById("app");
    app.replaceChildren();
    delete app.dataset.ready; // set again once this page has rendered
    const nav = document.getElementById("nav"), who = document.getElementById("who");
    nav.hidden = who.hidden = !session;
    if (!session) { signInPage(app); return; }
    document.getElementById("who-name").textContent = session.user + (session.admin ? " (admin)" : "") + " · " + session.id;
    document.getElementById("nav-cluster").hidden = !session.admin;
    const h = location.hash.slice(1) || "/buckets";
    let page = "buckets";
    try {
      const m = h.match(/^\/b\/([^/]+)\/(.*)$/);
      if (m) { page = "browse"; await browsePage(app, decodeURIComponent(m[1]), decodeURIComponent(m[2])); }
      else if (h === "/cluster") { page = "cluster"; await clusterPage(app); }
      else if (h === "/keys") { page = "keys"; await keysPage(app); }
      else { await bucketsPage(app); }
    } catch (e) {
      app.append(el("p", { className: "error card" }, String(e.message || e)));
      if (e.code === "InvalidAccessKeyId" || e.code === "SignatureDoesNotMatch") signOut();
    }
    const tab = page === "browse" ? "buckets" : page;
    for (const a of nav.querySelectorAll("a")) a.classList.toggle("current", a.dataset.page === tab);
    app.dataset.ready = page;
  }

  document.getElementById("signout").onclick = signOut;
  window.addEventListener("hashchange", render);
  try { session = JSON.parse(sessionStorage.getItem("floe.session") || "null"); } catch (e) { session = null; }

  // For tests and the curious: fetch an object through the same presigned
  // URL a download uses, as base64.
  Floe.fetchObjectBase64 = async (bucket, key) => {
    const resp = await fetch(objectURL(bucket, key, 60, false));
    if (!resp.ok) throw await errorOf(resp);
    let s = "";
    for (const c of new Uint8Array(await resp.arrayBuffer())) s += String.fromCharCode(c);
    return btoa(s);
  };
  Floe.downloadURL = (bucket, key) => objectURL(bucket, key, 300, false);
  render();
})(window.Floe);
