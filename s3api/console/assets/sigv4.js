// sigv4.js: SHA-256, HMAC-SHA256 and AWS Signature Version 4 for the
// console. Written out rather than taken from crypto.subtle, which browsers
// offer only on secure origins: a console opened over plain HTTP on a LAN
// address must sign too. One code path everywhere is also one code path
// the tests check. Bodies hashed here are small (API JSON); uploads go
// UNSIGNED-PAYLOAD.
"use strict";

window.Floe = window.Floe || {};

(function (Floe) {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function ror(x, n) { return (x >>> n) | (x << (32 - n)); }

  // sha256 returns the 32-byte digest of bytes (a Uint8Array).
  function sha256(bytes) {
    const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const n = bytes.length;
    // The message, a 1 bit, zeros, and its length in bits (64-bit
    // big-endian), to a multiple of 64 bytes.
    const buf = new Uint8Array(((n + 9 + 63) >> 6) << 6);
    buf.set(bytes);
    buf[n] = 0x80;
    const dv = new DataView(buf.buffer);
    dv.setUint32(buf.length - 8, Math.floor(n / 0x20000000));
    dv.setUint32(buf.length - 4, (n << 3) >>> 0);
    const W = new Uint32Array(64);
    for (let off = 0; off < buf.length; off += 64) {
      for (let i = 0; i < 16; i++) W[i] = dv.getUint32(off + 4 * i);
      for (let i = 16; i < 64; i++) {
        const a = W[i - 15], b = W[i - 2];
        const s0 = ror(a, 7) ^ ror(a, 18) ^ (a >>> 3);
        const s1 = ror(b, 17) ^ ror(b, 19) ^ (b >>> 10);
        W[i] = W[i - 16] + s0 + W[i - 7] + s1;
      }
      let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (let i = 0; i < 64; i++) {
        const t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d;
      H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    const out = new Uint8Array(32);
    const odv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) odv.setUint32(4 * i, H[i]);
    return out;
  }

  // hmac returns HMAC-SHA256(key, msg), both Uint8Arrays.
  function hmac(key, msg) {
    if (key.length > 64) key = sha256(key);
    const ipad = new Uint8Array(64 + msg.length), opad = new Uint8Array(64 + 32);
    for (let i = 0; i < 64; i++) {
      const k = i < key.length ? key[i] : 0;
      ipad[i] = k ^ 0x36;
      opad[i] = k ^ 0x5c;
    }
    ipad.set(msg, 64);
    opad.set(sha256(ipad), 64);
    return sha256(opad);
  }

  const utf8 = (s) => new TextEncoder().encode(s);
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

  // uriEncode percent-encodes every UTF-8 byte of s outside A-Z a-z 0-9
  // - _ . ~ in upper-case hex, as SigV4 and the gateway canonicalize. A
  // "/" is encoded too: keys travel as one path segment, so the browser
  // can never take one of their pieces for a "." or ".." segment.
  function uriEncode(s) {
    let out = "";
    for (const c of utf8(s)) {
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
          c === 0x2d || c === 0x5f || c === 0x2e || c === 0x7e) {
        out += String.fromCharCode(c);
      } else {
        out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
      }
    }
    return out;
  }

  // canonicalQuery encodes [key, value] pairs, sorted by encoded key then
  // value: the query as sent is then its own canonical form.
  function canonicalQuery(pairs) {
    return pairs.map(([k, v]) => [uriEncode(k), uriEncode(String(v))])
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
      .map(([k, v]) => k + "=" + v).join("&");
  }

  function amzDate(d) { return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, ""); }

  function signingKey(secret, day, region) {
    let k = hmac(utf8("AWS4" + secret), utf8(day));
    for (const part of [region, "s3", "aws4_request"]) k = hmac(k, utf8(part));
    return k;
  }

  // signature signs the canonical request for creds at time t.
  function signature(creds, region, t, canonical) {
    const date = amzDate(t), day = date.slice(0, 8);
    const scope = day + "/" + region + "/s3/aws4_request";
    const sts = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex(sha256(utf8(canonical)));
    return { date, scope, sig: hex(hmac(signingKey(creds.secret, day, region), utf8(sts))) };
  }

  // sign returns the URL and headers of a request signed in its
  // Authorization header. path is already encoded (see uriEncode), query
  // is [key, value] pairs, headers' names are lower case, payloadHash is
  // the body's hex SHA-256 or "UNSIGNED-PAYLOAD".
  function sign({ method, path, query = [], headers = {}, payloadHash, creds, region, now = new Date(), host = location.host }) {
    const t = now;
    const date = amzDate(t);
    const h = Object.assign({}, headers, { "x-amz-date": date, "x-amz-content-sha256": payloadHash });
    const all = Object.assign({ host }, h);
    const names = Object.keys(all).sort();
    const cq = canonicalQuery(query);
    const canonical = [method, path, cq, names.map((n) => n + ":" + String(all[n]).trim() + "\n").join(""),
      names.join(";"), payloadHash].join("\n");
    const s = signature(creds, region, t, canonical);
    h.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.id + "/" + s.scope +
      ", SignedHeaders=" + names.join(";") + ", Signature=" + s.sig;
    return { url: path + (cq ? "?" + cq : ""), headers: h };
  }

  // presign returns a URL (path and query) that lets whoever holds it make
  // the request for expires seconds; only the host header is signed.
  function presign({ method, path, query = [], expires, creds, region, now = new Date(), host = location.host }) {
    const date = amzDate(now);
    const q = query.concat([["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
      ["X-Amz-Credential", creds.id + "/" + date.slice(0, 8) + "/" + region + "/s3/aws4_request"],
      ["X-Amz-Date", date], ["X-Amz-Expires", String(expires)], ["X-Amz-SignedHeaders", "host"]]);
    const cq = canonicalQuery(q);
    const canonical = [method, path, cq, "host:" + host + "\n", "host", "UNSIGNED-PAYLOAD"].join("\n");
    const s = signature(creds, region, now, canonical);
    return path + "?" + cq + "&X-Amz-Signature=" + s.sig;
  }

  Floe.sigv4 = { sha256, hmac, hex, utf8, uriEncode, sign, presign };
})(window.Floe);
