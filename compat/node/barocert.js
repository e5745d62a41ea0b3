// LinkHub's barocert Node SDK (1.8.0, unmodified) against dojang, KAKAO product: every request /
// status / verify call (verifyLogin by the txID of an app-to-app login), fields wrapped with the
// SDK's `_encrypt`, as its own test files do, and the refusals: verify twice, verify before the
// person answered, an expired request, an unknown receipt, a title over 40 characters and a
// wrong SecretKey.
// Node's quirks meet the server here: bodies drop falsy values, x-bc-date carries
// milliseconds from the local clock, GETs carry no version header.
// Run by compat/run.sh inside compat/with-server.sh.
'use strict';
const barocert = require('barocert');
const {
  env, CLIENT_CODE, IDLE_EXPIRE_IN, check, finish, plan, barocertConfig, promised, receiver,
  idlePerson, expired, wrongSecretKey, opensslContent, appToAppLogin,
} = require('./judge');

// Every run makes exactly this many checks (compat/counted.sh holds the program to it).
plan(34);

barocert.config(barocertConfig());
const kakao = barocert.KakaocertService();
const enc = (t) => kakao._encrypt(t);
const { call, answered, expectError } = promised(kakao);

const person = () => ({
  receiverHP: enc(env.DOJANG_RECEIVER_HP),
  receiverName: enc(env.DOJANG_RECEIVER_NAME),
  receiverBirthday: enc(env.DOJANG_RECEIVER_BIRTHDAY),
  expireIn: 1000,
  appUseYN: false,
});

(async () => {
  // 김철수 never answers: verify is refused now, and again once the request has expired
  // (checked at the end, so the wait overlaps the other calls).
  const idle = await call('requestIdentity', CLIENT_CODE, {
    ...idlePerson(enc), reqTitle: '응답 없는 요청', token: enc('t'), expireIn: IDLE_EXPIRE_IN,
  });
  const idleAt = Date.now();
  await expectError(-40130002, 'verifyIdentity', CLIENT_CODE, idle.receiptID);

  let r = await call('requestIdentity', CLIENT_CODE, {
    ...person(), reqTitle: '본인인증 요청 메시지', extraMessage: enc('본인인증 추가 메시지'),
    token: enc('본인인증 요청 토큰'),
  });
  check(/^\d{32}$/.test(r.receiptID), 'receiptID');
  let st = await answered('getIdentityStatus', r.receiptID);
  check(st.state === 1 && st.appUseYN === false, 'identity status');
  let v = await call('verifyIdentity', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '본인인증 요청 토큰', 'identity signature');
  receiver(v);
  await expectError(-40130003, 'verifyIdentity', CLIENT_CODE, r.receiptID);

  r = await call('requestSign', CLIENT_CODE, {
    ...person(), signTitle: '전자서명(단건) 서명 요청 제목', tokenType: 'TEXT',
    token: enc('전자서명(단건) 요청 원문'),
  });
  st = await answered('getSignStatus', r.receiptID);
  check(st.state === 1 && st.signTitle === '전자서명(단건) 서명 요청 제목', 'sign status');
  v = await call('verifySign', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '전자서명(단건) 요청 원문', 'sign signature');
  receiver(v);

  r = await call('requestMultiSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명(복수) 요청 메시지 제목', tokenType: 'TEXT',
    tokens: [0, 1, 2].map((i) => ({ signTitle: `서명 ${i}`, token: enc(`원문 ${i}`) })),
  });
  st = await answered('getMultiSignStatus', r.receiptID);
  check(st.state === 1, 'multi-sign status');
  v = await call('verifyMultiSign', CLIENT_CODE, r.receiptID);
  check(v.multiSignedData.map(opensslContent).join('|') === '원문 0|원문 1|원문 2', 'multi-sign');
  receiver(v);

  r = await call('requestCMS', CLIENT_CODE, {
    ...person(), reqTitle: '출금동의 요청 메시지 제목', requestCorp: enc('청구기관'),
    bankName: enc('출금은행'), bankAccountNum: enc('32-12-1234-1234'),
    bankAccountName: enc(env.DOJANG_RECEIVER_NAME),
    bankAccountBirthday: enc(env.DOJANG_RECEIVER_BIRTHDAY), bankServiceType: enc('CMS'),
  });
  st = await answered('getCMSStatus', r.receiptID);
  check(st.state === 1, 'cms status');
  v = await call('verifyCMS', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData).includes('32-12-1234-1234'), 'cms');
  receiver(v);

  // 간편로그인: verifyLogin by the txID the person's app returned with; once only.
  const txID = appToAppLogin('login-nonce-js');
  v = await call('verifyLogin', CLIENT_CODE, txID);
  check(v.txID === txID && v.state === 1, 'login verify');
  check(opensslContent(v.signedData) === 'login-nonce-js', 'login signature');
  receiver(v);
  await expectError(-40530003, 'verifyLogin', CLIENT_CODE, txID);

  // Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
  await expectError(-40130001, 'getIdentityStatus', CLIENT_CODE, '1'.repeat(32));
  await expectError(-40121042, 'requestIdentity', CLIENT_CODE,
    { ...person(), reqTitle: '가'.repeat(41), token: enc('t') });
  check(wrongSecretKey('KakaocertService') === -10000004, 'wrong SecretKey');
  await expired(call, 'getIdentityStatus', idle.receiptID, idleAt);
  await expectError(-40130005, 'verifyIdentity', CLIENT_CODE, idle.receiptID);
  finish('barocert KAKAO (Node SDK 1.8.0)');
})().catch((e) => { console.error(e); process.exit(1); });
