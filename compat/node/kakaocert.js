// LinkHub's kakaocert Node SDK (2.51.0, unmodified) against dojang: RequestESign /
// GetESignState / VerifyESign, RequestVerifyAuth / GetVerifyAuthState / VerifyAuth, RequestCMS /
// GetCMSState / VerifyCMS, written as the SDK's own test file uses them (PascalCase bodies),
// with the service and auth URLs on dojang (the SDK accepts an http:// service URL).
// Run by compat/run.sh inside compat/with-server.sh.
'use strict';
const { execFileSync } = require('child_process');
const kakaocert = require('kakaocert');
const {
  env, CLIENT_CODE, check, finish, plan, promised, sleep, opensslContent,
} = require('./judge');

// Every run makes exactly this many checks (compat/counted.sh holds the program to it).
plan(19);

kakaocert.config({
  LinkID: env.DOJANG_LINK_ID,
  SecretKey: env.DOJANG_SECRET_KEY,
  AuthURL: env.DOJANG_URL,
  ServiceURL: env.DOJANG_URL,
  defaultErrorHandler: (e) => console.error('unhandled', e),
});
const service = kakaocert.KakaocertService();
const { call, answered, expectError } = promised(service);

const person = {
  ReceiverBirthDay: env.DOJANG_RECEIVER_BIRTHDAY,
  ReceiverHP: env.DOJANG_RECEIVER_HP,
  ReceiverName: env.DOJANG_RECEIVER_NAME,
  CallCenterNum: '1600-8536',
  Expires_in: 60,
  isAllowSimpleRegistYN: false,
  isVerifyNameYN: true,
  PayLoad: 'Payload123',
};

(async () => {
  // 전자서명
  let r = await call('requestESign', CLIENT_CODE,
    { ...person, TMSTitle: 'TMSTitle 0423', TMSMessage: 'TMSMessage0423', Token: 'Token Value 2345' });
  check(/^\d{32}$/.test(r.receiptId), 'receiptId');
  let st = await answered('getESignState', r.receiptId);
  check(st.state === 1 && st.tmstitle === 'TMSTitle 0423' && st.payload === 'Payload123', 'esign state');
  check(st.clientCode === CLIENT_CODE && st.verifyNameYN === true, 'esign fields');
  check(st.callCenterName === null, 'callCenterName: none sent, null');
  let v = await call('verifyESign', CLIENT_CODE, r.receiptId);
  check(v.receiptId === r.receiptId, 'esign verify');
  check(opensslContent(v.signedData) === 'Token Value 2345', 'esign signature');
  await expectError(-10300003, 'verifyESign', CLIENT_CODE, r.receiptId);

  // 본인인증
  r = await call('requestVerifyAuth', CLIENT_CODE,
    { ...person, TMSTitle: '본인인증', Token: 'one-time 42' });
  await answered('getVerifyAuthState', r.receiptId);
  v = await call('verifyAuth', CLIENT_CODE, r.receiptId);
  // kakaocert's VerifyAuth procedure: the relying party compares signedData with its Token.
  check(v.signedData === 'one-time 42', 'verifyauth signedData == Token');
  await expectError(-10300003, 'verifyAuth', CLIENT_CODE, r.receiptId);

  // App-to-app (isAppUseYN): a tx_id, which opens the person's app on the request
  // (`dojang-app open dojang://request?txID=…`); then verify with the app's signature segment.
  r = await call('requestESign', CLIENT_CODE,
    { ...person, TMSTitle: '앱투앱 약정', Token: 'app to app' }, true);
  check(/^[0-9a-f]{40}$/.test(r.tx_id || ''), `tx_id ${r.tx_id}`);
  st = await call('getESignState', CLIENT_CODE, r.receiptId);
  check(st.state === 0 && st.appUseYN === true && st.tx_id === r.tx_id, 'app-to-app state');
  execFileSync(env.DOJANG_APP, ['--profile', env.DOJANG_RECEIVER_PROFILE, 'open',
    `dojang://request?txID=${r.tx_id}`], { timeout: 60000 });
  v = await call('verifyESign', CLIENT_CODE, r.receiptId, 'signature-from-the-app');
  check(opensslContent(v.signedData) === 'app to app', 'app-to-app signature');

  // 출금동의
  r = await call('requestCMS', CLIENT_CODE, {
    ...person, TMSTitle: '출금동의', BankCode: '004', BankAccountName: env.DOJANG_RECEIVER_NAME,
    BankAccountNum: '9-4324-5117-58', ClientUserID: 'clientUserID-0423-01',
  });
  await answered('getCMSState', r.receiptId);
  v = await call('verifyCMS', CLIENT_CODE, r.receiptId);
  const consent = opensslContent(v.signedData);
  check(consent.includes('9-4324-5117-58') && consent.includes('KB국민은행'), 'cms consent');

  // Refusals: unknown receipt, a name that is not the holder's, too early, expired.
  await expectError(-10300001, 'getESignState', CLIENT_CODE, '1'.repeat(32));
  await expectError(-10300009, 'requestVerifyAuth', CLIENT_CODE,
    { ...person, ReceiverName: '김아무개', TMSTitle: 't', Token: 'x' });
  r = await call('requestVerifyAuth', CLIENT_CODE, {
    ...person, ReceiverHP: env.DOJANG_IDLE_HP, ReceiverName: env.DOJANG_IDLE_NAME,
    ReceiverBirthDay: env.DOJANG_IDLE_BIRTHDAY, TMSTitle: 't', Token: 'x', Expires_in: 2,
  });
  await expectError(-10300002, 'verifyAuth', CLIENT_CODE, r.receiptId);
  await sleep(2500);
  check((await call('getVerifyAuthState', CLIENT_CODE, r.receiptId)).state === 2, 'expired');
  await expectError(-10300005, 'verifyAuth', CLIENT_CODE, r.receiptId);
  await expectError(-10201042, 'requestESign', CLIENT_CODE,
    { ...person, TMSTitle: '가'.repeat(41), Token: 'x' });
  finish('kakaocert (Node SDK 2.51.0)');
})().catch((e) => { console.error(e); process.exit(1); });
