// What the Node test programs share: the environment compat/with-server.sh sets, checks that
// count, `openssl cms -verify` against dojang's CA, and promises over the SDKs' callbacks.
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = process.env;
let checks = 0;

module.exports = {
  env,
  CLIENT_CODE: env.DOJANG_CLIENT_CODE,
  check(cond, what) {
    assert.ok(cond, what);
    checks += 1;
  },
  checks: () => checks,
  // An SDK method with (…args, success, error) callbacks, as a promise.
  caller: (service) => (method, ...args) => new Promise((resolve, reject) =>
    service[method](...args, resolve, reject)),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  // The content of a base64 SignedData, after `openssl cms -verify` against dojang's CA.
  opensslContent(signedData) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-'));
    const der = path.join(dir, 's.der');
    fs.writeFileSync(der, Buffer.from(signedData, 'base64'));
    const out = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', der,
      '-CAfile', env.DOJANG_CA_PEM], { stdio: ['ignore', 'pipe', 'ignore'] });
    fs.rmSync(dir, { recursive: true });
    return out.toString('utf8');
  },
};
