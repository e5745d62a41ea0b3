// What the Node test programs share: the environment compat/with-server.sh sets, checks that
// count, `openssl cms -verify` against dojang's CA, promises over the SDKs' callbacks, waiting
// for the app's answer, the idle person's expiring requests and a wrong SecretKey.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = process.env;
const CLIENT_CODE = env.DOJANG_CLIENT_CODE;
// expireIn of the requests to the idle person: they run out while the program goes on.
const IDLE_EXPIRE_IN = 2;
let planned;
let checks = 0;
let finished = false;
const failed = [];
// A check that counts. A failed one is reported and the program goes on, so that one deviation
// does not hide the next; finish() then fails the program.
const check = (cond, what) => {
  if (planned === undefined) throw new Error(`check() before plan(): ${what}`);
  checks += 1;
  if (!cond) {
    failed.push(what);
    console.error(`FAILED: ${what}`);
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  env,
  CLIENT_CODE,
  IDLE_EXPIRE_IN,
  check,
  sleep,
  // How many checks the program makes, every run, declared before the first one: printed as
  // the line `compat-judge: plan <n>` that compat/counted.sh holds the count line to.
  plan(n) {
    if (planned !== undefined) throw new Error('plan() called twice');
    planned = n;
    console.log(`compat-judge: plan ${n}`);
    // An SDK call that never calls back leaves the program's promise pending, and Node then
    // exits with status 0 as if all went well: a program that did not reach finish() fails
    // here, and compat/counted.sh fails it again for the missing count line.
    process.on('exit', (code) => {
      if (!finished && code === 0) {
        console.error(`judge: exited after ${checks} of ${n} checks without reaching finish()`);
        process.exitCode = 1;
      }
    });
  },
  // The end of a program: what passed, the count line (`compat-judge: ran <n>`), and exit
  // status 1 when anything failed or the count is not the plan.
  finish(what) {
    finished = true;
    console.log(`${what}: ${checks - failed.length} of ${checks} checks passed`);
    console.log(`compat-judge: ran ${checks}`);
    if (checks !== planned) {
      console.error(`${what}: planned ${planned} checks, ran ${checks}`);
      process.exitCode = 1;
    }
    if (failed.length) {
      console.error(`${what}: ${failed.length} FAILED:\n  ${failed.join('\n  ')}`);
      process.exitCode = 1;
    }
  },
  // barocert.config as LinkHub's examples write it, with both URLs on dojang.
  barocertConfig: (secretKey = env.DOJANG_SECRET_KEY) => ({
    LinkID: env.DOJANG_LINK_ID,
    SecretKey: secretKey,
    AuthURL: env.DOJANG_URL,
    ServiceURL: env.DOJANG_URL,
    IPRestrictOnOff: true,
    UseLocalTimeYN: true,
    defaultErrorHandler: (e) => console.error('unhandled', e),
  }),
  // An SDK service's methods, which take (…args, success, error) callbacks, as promises:
  // call(method, …args); answered(statusMethod, receiptID) asks until the app has answered;
  // expectError(code, method, …args) expects the SDK's error with that code.
  promised(service) {
    const call = (method, ...args) => new Promise((resolve, reject) =>
      service[method](...args, resolve, (e) => reject(e instanceof Error ? e : { method, ...e })));
    return {
      call,
      async answered(statusMethod, receiptID) {
        for (let i = 0; i < 150; i++) {
          const s = await call(statusMethod, CLIENT_CODE, receiptID);
          if (s.state !== 0) return s;
          await sleep(200);
        }
        throw new Error('no answer from the app');
      },
      async expectError(code, method, ...args) {
        let answer;
        try {
          answer = await call(method, ...args);
        } catch (e) {
          check(e.code === code, `${method}: expected ${code}, got ${JSON.stringify(e)}`);
          return e;
        }
        check(false, `${method}: expected error ${code}, got ${JSON.stringify(answer)}`);
        return undefined;
      },
    };
  },
  // A barocert verify result names the enrolled person who approved.
  receiver(v) {
    check(v.receiverName === env.DOJANG_RECEIVER_NAME && v.receiverHP === env.DOJANG_RECEIVER_HP,
      `receiver: ${v.receiverName} ${v.receiverHP}`);
    check(v.receiverYear + v.receiverDay === env.DOJANG_RECEIVER_BIRTHDAY, 'birth');
    check(v.ci.length === 88, 'ci');
  },
  // receiverHP, receiverName and receiverBirthday of the person whose app never answers.
  idlePerson: (encrypt) => ({
    receiverHP: encrypt(env.DOJANG_IDLE_HP),
    receiverName: encrypt(env.DOJANG_IDLE_NAME),
    receiverBirthday: encrypt(env.DOJANG_IDLE_BIRTHDAY),
  }),
  // Waits until a request answered at `requestedAt` (Date.now()) with expireIn IDLE_EXPIRE_IN
  // has run out, and checks that its status says so (state 2).
  async expired(call, statusMethod, receiptID, requestedAt) {
    await sleep(Math.max(0, requestedAt + IDLE_EXPIRE_IN * 1000 + 500 - Date.now()));
    check((await call(statusMethod, CLIENT_CODE, receiptID)).state === 2, 'expired state');
  },
  // The error code barocert's `serviceName` (e.g. 'NavercertService') answers when configured
  // with a wrong SecretKey: another application, so another process (the SDK's configuration
  // and services are module-wide).
  wrongSecretKey(serviceName) {
    const out = execFileSync(process.execPath, ['-e', `
      const barocert = require('barocert');
      const judge = require('./judge');
      barocert.config(judge.barocertConfig('U3dXeHFVKzBURXJCWHkvOVRWaklQRW5JMFZUVU1NU1E='));
      barocert.${serviceName}().getIdentityStatus(judge.CLIENT_CODE, '1'.repeat(32),
        (answer) => console.log('accepted', JSON.stringify(answer)), (e) => console.log(e.code));
    `], { cwd: __dirname }).toString().trim();
    if (!/^-\d+$/.test(out)) throw new Error(`${serviceName} with a wrong SecretKey: ${out}`);
    return Number(out);
  },
  // The txID of a simple login approved on 홍길동's phone: dojang's native API asks for it
  // app-to-app (`dojang rp login request --app-to-app`), the person's app opens its scheme URL
  // (`dojang-app open`) and returns to the relying party with the txID that KAKAO's verifyLogin
  // takes (Kakao's own app-to-app login starts in the Kakao app).
  appToAppLogin(token) {
    const asked = execFileSync(env.DOJANG_BIN, ['rp', 'login', 'request',
      '--name', env.DOJANG_RECEIVER_NAME, '--phone', env.DOJANG_RECEIVER_HP,
      '--birth', env.DOJANG_RECEIVER_BIRTHDAY, '--token', token,
      '--app-to-app', 'https://rp.example.org/back'],
    { env: { ...env, DOJANG_SECRET: env.DOJANG_SECRET_KEY } });
    const opened = execFileSync(env.DOJANG_APP, ['--profile', env.DOJANG_RECEIVER_PROFILE,
      'open', JSON.parse(asked.toString()).scheme]).toString();
    const m = /txID=([0-9a-f]{40})/.exec(opened);
    if (!m) throw new Error(`no txID in: ${opened}`);
    return m[1];
  },
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
