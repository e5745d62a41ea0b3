// dojang app: the little ASN.1 DER the phone app writes — a PKCS#10 certification request
// (RFC 2986) for its P-256 key and an attached CMS SignedData (RFC 5652) over a request's text,
// byte for byte the structure dojang-app's Rust signer makes (docs/app.md, docs/pki.md). Also
// a reader just deep enough to take a certificate's issuer and serial number.
//
// Written here rather than vendored (PKI.js, asn1js, node-forge): those are 100–400 KB, need a
// bundler or bring their own crypto, and the app needs only a dozen fixed structures — the
// whole encoder and reader is smaller than their licence headers, has no build step, and its
// output is checked by the server's verifier and by `openssl cms -verify` in e2e/app.test.mjs.
//
// Signing is done by a callback (`sign(bytes) → Promise<raw r‖s>`) so this file never sees a
// key: the app hands it WebCrypto's ECDSA over a non-extractable CryptoKey.
"use strict";
(function (global) {
  function concat(parts) {
    var n = 0;
    parts.forEach(function (p) { n += p.length; });
    var out = new Uint8Array(n);
    var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function length(n) {
    if (n < 0x80) { return new Uint8Array([n]); }
    var bytes = [];
    while (n > 0) { bytes.unshift(n & 0xff); n = Math.floor(n / 256); }
    return new Uint8Array([0x80 | bytes.length].concat(bytes));
  }
  function tlv(tag, content) {
    content = content instanceof Uint8Array ? content : new Uint8Array(content);
    return concat([new Uint8Array([tag]), length(content.length), content]);
  }
  function seq() { return tlv(0x30, concat(Array.prototype.slice.call(arguments))); }
  // A DER SET OF: its elements sorted by their encodings (X.690 §11.6).
  function setOf(items) {
    var sorted = items.slice().sort(function (a, b) {
      for (var i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i] !== b[i]) { return a[i] - b[i]; }
      }
      return a.length - b.length;
    });
    return tlv(0x31, concat(sorted));
  }
  // A context-specific tag: [n], constructed (EXPLICIT or an IMPLICIT SET/SEQUENCE).
  function ctx(n, content) { return tlv(0xa0 | n, content); }
  function octets(bytes) { return tlv(0x04, bytes); }
  function utf8(text) { return tlv(0x0c, new TextEncoder().encode(text)); }
  // An unsigned big-endian integer as a DER INTEGER (no extra leading zeros, a 00 before a
  // high bit).
  function uint(bytes) {
    var i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) { i++; }
    var b = bytes.slice(i);
    if (b[0] & 0x80) { b = concat([new Uint8Array([0]), b]); }
    return tlv(0x02, b);
  }
  function small(n) { return tlv(0x02, new Uint8Array([n])); }
  function oid(dotted) {
    var parts = dotted.split(".").map(Number);
    var out = [parts[0] * 40 + parts[1]];
    for (var i = 2; i < parts.length; i++) {
      var v = parts[i];
      var chunk = [v & 0x7f];
      v = Math.floor(v / 128);
      while (v > 0) { chunk.unshift((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
      out = out.concat(chunk);
    }
    return tlv(0x06, out);
  }
  // UTCTime (RFC 5280: years 1950–2049), else GeneralizedTime; whole seconds, Z.
  function time(date) {
    var d = new Date(Math.floor(date.getTime() / 1000) * 1000);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    var y = d.getUTCFullYear();
    var rest = p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) +
      p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z";
    if (y >= 1950 && y < 2050) { return tlv(0x17, new TextEncoder().encode(p(y % 100) + rest)); }
    return tlv(0x18, new TextEncoder().encode(String(y) + rest));
  }

  var OID = {
    data: "1.2.840.113549.1.7.1",
    signedData: "1.2.840.113549.1.7.2",
    contentType: "1.2.840.113549.1.9.3",
    messageDigest: "1.2.840.113549.1.9.4",
    signingTime: "1.2.840.113549.1.9.5",
    sha256: "2.16.840.1.101.3.4.2.1",
    ecdsaSha256: "1.2.840.10045.4.3.2",
    commonName: "2.5.4.3",
  };

  // ---------------------------------------------------------------- reading

  // One TLV at `at`: {tag, start, header, length, end, value}. Throws on anything malformed.
  function read(bytes, at) {
    if (at + 2 > bytes.length) { throw new Error("DER: truncated"); }
    var tag = bytes[at];
    if ((tag & 0x1f) === 0x1f) { throw new Error("DER: high tag numbers are not used here"); }
    var first = bytes[at + 1];
    var len, header;
    if (first < 0x80) { len = first; header = 2; } else {
      var n = first & 0x7f;
      if (n === 0 || n > 4) { throw new Error("DER: bad length"); }
      len = 0;
      for (var i = 0; i < n; i++) { len = len * 256 + bytes[at + 2 + i]; }
      header = 2 + n;
    }
    var end = at + header + len;
    if (end > bytes.length) { throw new Error("DER: truncated"); }
    return { tag: tag, start: at, header: header, length: len, end: end,
      value: bytes.subarray(at + header, end), raw: bytes.subarray(at, end) };
  }
  // The TLVs inside a constructed one.
  function kids(t) {
    var own = t.raw;
    var out = [];
    var at = t.header;
    while (at < own.length) { var c = read(own, at); out.push(c); at = c.end; }
    return out;
  }

  // A certificate's issuer Name and serialNumber INTEGER, as their exact DER.
  function issuerAndSerial(certDer) {
    var cert = read(certDer, 0);
    if (cert.tag !== 0x30 || cert.end !== certDer.length) { throw new Error("certificate: not one SEQUENCE"); }
    var tbs = kids(cert)[0];
    var f = kids(tbs);
    var i = f[0].tag === 0xa0 ? 1 : 0;
    var serial = f[i], issuer = f[i + 2];
    if (serial.tag !== 0x02 || issuer.tag !== 0x30) { throw new Error("certificate: unexpected fields"); }
    return { issuer: issuer.raw, serial: serial.raw };
  }

  // ---------------------------------------------------------------- ECDSA

  // WebCrypto's raw r‖s (64 bytes) as the DER Ecdsa-Sig-Value X.509 and CMS carry.
  function ecdsaDer(raw) {
    raw = new Uint8Array(raw);
    if (raw.length !== 64) { throw new Error("ECDSA: expected a 64-byte P-256 signature"); }
    return seq(uint(raw.subarray(0, 32)), uint(raw.subarray(32)));
  }
  var ECDSA_SHA256 = seq(oid(OID.ecdsaSha256));
  var SHA256 = seq(oid(OID.sha256));

  // ---------------------------------------------------------------- PKCS#10

  // A certification request for the key whose SubjectPublicKeyInfo is `spki`, subject
  // CN=`name` (or an empty subject), signed by `sign`.
  async function csr(spki, name, sign) {
    var subject = name
      ? seq(setOf([seq(oid(OID.commonName), utf8(name))]))
      : seq();
    var info = seq(small(0), subject, new Uint8Array(spki), ctx(0, new Uint8Array(0)));
    var sig = ecdsaDer(await sign(info));
    return seq(info, ECDSA_SHA256, tlv(0x03, concat([new Uint8Array([0]), sig])));
  }

  // ---------------------------------------------------------------- CMS SignedData

  // Attached SignedData over `content` (bytes): id-data eContent, SHA-256, the signer by
  // issuer and serial number, signed attributes contentType, messageDigest and signingTime,
  // ecdsa-with-SHA256, and the certificate. `digest(bytes) → Promise<32 bytes>`.
  async function signedData(certDer, content, signingTime, sign, digest) {
    var ias = issuerAndSerial(certDer);
    var md = new Uint8Array(await digest(content));
    var attrs = [
      seq(oid(OID.contentType), setOf([oid(OID.data)])),
      seq(oid(OID.messageDigest), setOf([octets(md)])),
      seq(oid(OID.signingTime), setOf([time(signingTime)])),
    ];
    // Signed as a universal SET OF (RFC 5652 §5.4), carried as [0] IMPLICIT.
    var signedSet = setOf(attrs);
    var sig = ecdsaDer(await sign(signedSet));
    var signedAttrs = concat([new Uint8Array([0xa0]), signedSet.subarray(1)]);
    var signer = seq(small(1), seq(ias.issuer, ias.serial), SHA256, signedAttrs, ECDSA_SHA256, octets(sig));
    var sd = seq(
      small(1),
      setOf([SHA256]),
      seq(oid(OID.data), ctx(0, octets(content))),
      ctx(0, certDer),
      setOf([signer])
    );
    return seq(oid(OID.signedData), ctx(0, sd));
  }

  // ---------------------------------------------------------------- base64 and PEM

  function b64(bytes) {
    var s = "";
    var a = new Uint8Array(bytes);
    for (var i = 0; i < a.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, a.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }
  function b64url(bytes) { return b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
  function unb64(text) {
    var s = String(text).replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
    while (s.length % 4) { s += "="; }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function pemToDer(pem) {
    var m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
    if (!m) { throw new Error("PEM: no certificate"); }
    return unb64(m[1]);
  }

  global.DojangDer = {
    concat: concat, tlv: tlv, seq: seq, setOf: setOf, oid: oid, time: time, uint: uint,
    read: read, kids: kids, issuerAndSerial: issuerAndSerial, ecdsaDer: ecdsaDer,
    csr: csr, signedData: signedData, b64: b64, b64url: b64url, unb64: unb64, pemToDer: pemToDer,
    OID: OID,
  };
})(typeof self !== "undefined" ? self : this);
