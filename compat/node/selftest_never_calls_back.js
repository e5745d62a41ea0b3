// Not a judge: a deliberately broken one, for compat/counted-selftest.sh. Its "SDK" never calls
// back (or, with STUB_CALLS_BACK=1, answers at once), written the way the real judges use
// judge.js. Without a count, Node would exit 0 here with the program's promise still pending.
'use strict';
const { check, finish, plan, promised } = require('./judge');

plan(2);
const sdk = {
  getIdentityStatus(clientCode, receiptID, success) {
    if (process.env.STUB_CALLS_BACK === '1') success({ state: 1 });
  },
};
const { call } = promised(sdk);

(async () => {
  check(true, 'before the call');
  const st = await call('getIdentityStatus', 'client', 'receipt');
  check(st.state === 1, 'answered');
  finish('never-calls-back stub');
})().catch((e) => { console.error(e); process.exit(1); });
