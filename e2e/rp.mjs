// A tiny relying party for the cloud certificate's browser tests: a node HTTP server on its own
// 127.0.0.1 port (so another origin than dojang) whose page embeds dojang's SDK
// (/sdk/v1/dojang.js), and whose "server side" does what a real relying party's server does with
// what the page hands it — a one-time code — over dojang's native HMAC API:
// POST /v1/cloud/exchange, then POST /v1/{kind}/{receiptID}/verify, then `openssl cms -verify`
// of the SignedData against dojang's CA (/pki/ca.pem). It also asks for alternative
// authentication (POST /v1/cloud/alt-auth) and creates requests for Dojang.answer().

import { createHash, createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

/** A native API call signed as docs/api.md says (crates/dojang-proto/src/auth.rs). */
export async function native(dojang, party, method, pathAndQuery, body) {
  const date = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const raw = body === undefined ? "" : JSON.stringify(body);
  const bodyHash = createHash("sha256").update(raw).digest("base64");
  const text = ["DOJANG-HMAC-SHA256", method.toUpperCase(), pathAndQuery, date, bodyHash].join("\n");
  const signature = createHmac("sha256", Buffer.from(party.secret, "base64")).update(text).digest("base64");
  const headers = {
    "x-dojang-date": date,
    authorization: `DOJANG-HMAC-SHA256 ${party.linkId}:${signature}`,
  };
  if (raw) { headers["content-type"] = "application/json"; }
  const res = await fetch(dojang + pathAndQuery, { method, headers, body: raw || undefined });
  const text2 = await res.text();
  let json = null;
  try { json = JSON.parse(text2); } catch { json = { raw: text2 }; }
  return { status: res.status, body: json };
}

/**
 * `openssl cms -verify` of a base64 DER SignedData against the CA: the signed content and the
 * signer certificate's policy OIDs. Throws when openssl refuses it.
 */
export function opensslVerify(signedB64, caPem) {
  const dir = mkdtempSync(path.join(tmpdir(), "dojang-rp-cms-"));
  try {
    writeFileSync(path.join(dir, "s.der"), Buffer.from(signedB64, "base64"));
    writeFileSync(path.join(dir, "ca.pem"), caPem);
    execFileSync("openssl", ["cms", "-verify", "-inform", "DER", "-in", "s.der", "-CAfile", "ca.pem",
      "-out", "content", "-certsout", "signer.pem"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const content = readFileSync(path.join(dir, "content"), "utf8");
    const text = execFileSync("openssl", ["x509", "-in", "signer.pem", "-noout", "-text"], { cwd: dir, encoding: "utf8" });
    const policies = [...text.matchAll(/Policy: ([0-9.]+)/g)].map((m) => m[1]);
    return { content, policies };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The phone app's (or any) SignedData judged like dojang-app's in the compat judges:
 * compat/python/cms_judge.py (asn1crypto, `cryptography`, pyhanko-certvalidator with the
 * verify result's OCSP evidence alone) in the pki judge's locked virtualenv, made by
 * e2e/run.sh. Returns the judge's output; throws with it when a check fails.
 */
export function pyhankoJudge(signedB64, ocspB64, caPem, content) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
  const target = process.env.CARGO_TARGET_DIR || path.join(root, "target");
  const python = path.join(target, "compat-venv-pki", "bin", "python");
  const dir = mkdtempSync(path.join(tmpdir(), "dojang-rp-pyhanko-"));
  try {
    writeFileSync(path.join(dir, "ca.pem"), caPem);
    return execFileSync(python, [path.join(root, "compat", "python", "cms_judge.py"),
      path.join(dir, "ca.pem"), signedB64, ocspB64, content], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const page = (dojang, title) => `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title></head>
<body><main><h1>${title}</h1><p>이용기관 테스트 페이지 (relying-party test page)</p>
<button type="button" id="rp-focus">시작</button></main>
<script src="${dojang}/sdk/v1/dojang.js"></script>
</body></html>`;

// The relying party's stylesheet for dojang's frame (registered with --stylesheet).
export const RP_CSS = ".cloud-frame .top{background:rgb(10, 90, 160)}\n.cloud-frame .brand{color:#fff}\n";

/**
 * Start the relying party on 127.0.0.1:0. `dojang` is dojang's base URL, `party` the native
 * credentials {linkId, secret}. Returns {origin, stop(), log} where `log` lists what its server
 * side did.
 */
export async function startRp(dojang, party, { title = "복지포털 (RP)" } = {}) {
  const log = [];
  const caPem = await (await fetch(`${dojang}/pki/ca.pem`)).text();
  const server = http.createServer(async (req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    try {
      if (req.method === "GET" && (req.url === "/" || req.url.startsWith("/?"))) {
        return send(200, "text/html; charset=utf-8", page(dojang, title));
      }
      if (req.method === "GET" && req.url === "/rp.css") {
        return send(200, "text/css; charset=utf-8", RP_CSS);
      }
      if (req.method === "GET" && req.url === "/favicon.ico") { return send(204, "text/plain", ""); }
      if (req.method !== "POST") { return send(404, "text/plain", "not found"); }
      let raw = "";
      for await (const chunk of req) { raw += chunk; }
      const body = raw ? JSON.parse(raw) : {};
      if (req.url === "/server/exchange") {
        // The page hands its one-time code over; everything else stays server to server.
        const ex = await native(dojang, party, "POST", "/v1/cloud/exchange", { code: body.code });
        log.push({ what: "exchange", status: ex.status, body: ex.body });
        if (ex.status !== 200) { return send(200, "application/json", JSON.stringify({ exchange: ex })); }
        if (ex.body.kind === "issue") {
          return send(200, "application/json", JSON.stringify({ exchange: ex }));
        }
        const v = await native(dojang, party, "POST", `/v1/${ex.body.kind}/${ex.body.receiptID}/verify`);
        log.push({ what: "verify", status: v.status });
        const out = { exchange: ex, verify: { status: v.status, body: v.body } };
        const signed = v.body.signedData || (v.body.multiSignedData || [])[0];
        if (v.status === 200 && signed) {
          try {
            out.openssl = { ok: true, ...opensslVerify(signed, caPem) };
          } catch (e) {
            out.openssl = { ok: false, error: String(e.stderr || e.message) };
          }
        }
        return send(200, "application/json", JSON.stringify(out));
      }
      if (req.url === "/server/alt-auth") {
        const r = await native(dojang, party, "POST", "/v1/cloud/alt-auth", body);
        log.push({ what: "alt-auth", status: r.status });
        return send(200, "application/json", JSON.stringify(r));
      }
      if (req.url === "/server/verify") {
        const v = await native(dojang, party, "POST", `/v1/${body.kind}/${body.receiptID}/verify`);
        log.push({ what: "verify", status: v.status });
        const out = { verify: { status: v.status, body: v.body } };
        const signed = v.body.signedData || (v.body.multiSignedData || [])[0];
        if (v.status === 200 && signed) {
          try {
            out.openssl = { ok: true, ...opensslVerify(signed, caPem) };
          } catch (e) {
            out.openssl = { ok: false, error: String(e.stderr || e.message) };
          }
        }
        return send(200, "application/json", JSON.stringify(out));
      }
      if (req.url === "/server/create") {
        const r = await native(dojang, party, "POST", `/v1/${body.kind || "sign"}`, body.request);
        log.push({ what: "create", status: r.status });
        return send(200, "application/json", JSON.stringify(r));
      }
      return send(404, "text/plain", "not found");
    } catch (e) {
      log.push({ what: "error", error: String(e) });
      return send(500, "text/plain", String(e));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    log,
    caPem,
    stop: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
