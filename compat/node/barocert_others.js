// LinkHub's barocert Node SDK (1.8.0, unmodified) against dojang: the NAVER, PASS and TOSS
// products, every request / status / verify call of each, written as the SDK's own test files
// (navercert_test.js, passcert_test.js, tosscert_test.js) write them, fields wrapped with the
// SDK's `_encrypt`. Every approved request: status state 1, its signature through
// `openssl cms -verify` with the expected content, the enrolled person as the receiver. Every
// product: the refusals verify twice, verify before the person answered, an expired request,
// an unknown receipt, a title over 40 characters and a wrong SecretKey.
// Each product starts with a request to the idle person and checks its expiry at its end, so
// the wait overlaps the other calls (only one request per person and relying party may wait at
// a time, so the three products cannot share one wait).
// Run by compat/run.sh inside compat/with-server.sh.
'use strict';
const barocert = require('barocert');
const {
  env, CLIENT_CODE, IDLE_EXPIRE_IN, check, finish, plan, sleep, barocertConfig, promised, receiver,
  idlePerson, expired, wrongSecretKey, opensslContent,
} = require('./judge');

// Every run makes exactly this many checks (compat/counted.sh holds the program to it).
plan(87);

const NAME = env.DOJANG_RECEIVER_NAME;
const HP = env.DOJANG_RECEIVER_HP;
const BIRTHDAY = env.DOJANG_RECEIVER_BIRTHDAY;
barocert.config(barocertConfig());

async function naver() {
  const navercertService = barocert.NavercertService();
  const enc = (t) => navercertService._encrypt(t);
  const { call, answered, expectError } = promised(navercertService);
  const person = () => ({
    receiverHP: enc(HP), receiverName: enc(NAME), receiverBirthday: enc(BIRTHDAY),
    callCenterNum: '1588-1234', expireIn: 1000,
  });

  // 김철수 never answers: verify is refused now, and again once the request has expired.
  const idle = await call('requestIdentity', CLIENT_CODE,
    { ...idlePerson(enc), callCenterNum: '1588-1234', expireIn: IDLE_EXPIRE_IN });
  const idleAt = Date.now();
  await expectError(-42130002, 'verifyIdentity', CLIENT_CODE, idle.receiptID);

  // 본인인증: no title or token; the person signs a nonce of dojang's.
  let r = await call('requestIdentity', CLIENT_CODE, person());
  let st = await answered('getIdentityStatus', r.receiptID);
  check(st.state === 1 && st.callCenterNum === '1588-1234', 'naver identity status');
  let v = await call('verifyIdentity', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData).length === 32, 'naver identity signs a nonce');
  receiver(v);
  await expectError(-42130003, 'verifyIdentity', CLIENT_CODE, r.receiptID);

  // 전자서명(단건)
  r = await call('requestSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명(단건) 요청 메시지 제목',
    reqMessage: enc('전자서명(단건) 요청 메시지'), tokenType: 'TEXT',
    token: enc('전자서명(단건) 요청 원문'),
  });
  st = await answered('getSignStatus', r.receiptID);
  check(st.state === 1 && st.reqTitle === '전자서명(단건) 요청 메시지 제목', 'naver sign status');
  v = await call('verifySign', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '전자서명(단건) 요청 원문', 'naver sign');
  receiver(v);

  // 전자서명(복수)
  r = await call('requestMultiSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명(복수) 요청 메시지 제목',
    reqMessage: enc('전자서명(복수) 요청 메시지'),
    tokens: [1, 2].map((i) => ({ tokenType: 'TEXT', token: enc(`전자서명(복수) 요청 원문 ${i}`) })),
  });
  st = await answered('getMultiSignStatus', r.receiptID);
  check(st.state === 1 && st.tokenTypes.join() === 'TEXT,TEXT', 'naver multi-sign status');
  v = await call('verifyMultiSign', CLIENT_CODE, r.receiptID);
  check(v.multiSignedData.map(opensslContent).join('|') ===
    '전자서명(복수) 요청 원문 1|전자서명(복수) 요청 원문 2', 'naver multi-sign');
  receiver(v);

  // 출금동의
  r = await call('requestCMS', CLIENT_CODE, {
    ...person(), reqTitle: '출금동의 요청 메시지 제목', reqMessage: enc('출금동의 요청 메시지'),
    requestCorp: enc('청구기관'), bankName: enc('출금은행'), bankAccountNum: enc('123-456-7890'),
    bankAccountName: enc(NAME), bankAccountBirthday: enc(BIRTHDAY),
  });
  st = await answered('getCMSStatus', r.receiptID);
  check(st.state === 1, 'naver cms status');
  v = await call('verifyCMS', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData).includes('123-456-7890'), 'naver cms');
  receiver(v);

  // Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
  await expectError(-42230001, 'getSignStatus', CLIENT_CODE, '1'.repeat(32));
  await expectError(-42221042, 'requestSign', CLIENT_CODE, {
    ...person(), reqTitle: '가'.repeat(41), reqMessage: enc('m'), tokenType: 'TEXT', token: enc('t'),
  });
  check(wrongSecretKey('NavercertService') === -10000004, 'naver wrong SecretKey');
  await expired(call, 'getIdentityStatus', idle.receiptID, idleAt);
  await expectError(-42130005, 'verifyIdentity', CLIENT_CODE, idle.receiptID);
}

async function pass() {
  const passcertService = barocert.PasscertService();
  const enc = (t) => passcertService._encrypt(t);
  const { call, answered, expectError } = promised(passcertService);
  const person = () => ({
    receiverHP: enc(HP), receiverName: enc(NAME), receiverBirthday: enc(BIRTHDAY),
    callCenterNum: '1600-9854', expireIn: 1000, userAgreementYN: true, receiverInfoYN: true,
  });
  // PASS's verify calls name the receiver again, encrypted.
  const verifyBody = () => ({ receiverHP: enc(HP), receiverName: enc(NAME) });

  // 김철수 never answers: verify is refused now, and again once the request has expired.
  const idle = await call('requestIdentity', CLIENT_CODE, {
    ...idlePerson(enc), reqTitle: '응답 없는 요청', callCenterNum: '1600-9854',
    expireIn: IDLE_EXPIRE_IN, token: enc('t'),
  });
  const idleAt = Date.now();
  const idleVerify = { receiverHP: enc(env.DOJANG_IDLE_HP), receiverName: enc(env.DOJANG_IDLE_NAME) };
  await expectError(-44130002, 'verifyIdentity', CLIENT_CODE, idle.receiptID, idleVerify);

  // 본인인증
  let r = await call('requestIdentity', CLIENT_CODE, {
    ...person(), reqTitle: '본인인증 요청 메시지 제목', reqMessage: enc('본인인증 요청 메시지'),
    token: enc('본인인증 요청 원문'),
  });
  let st = await answered('getIdentityStatus', r.receiptID);
  check(st.state === 1 && st.reqTitle === '본인인증 요청 메시지 제목', 'pass identity status');
  let v = await call('verifyIdentity', CLIENT_CODE, r.receiptID, verifyBody());
  check(opensslContent(v.signedData) === '본인인증 요청 원문', 'pass identity');
  receiver(v);
  await expectError(-44130003, 'verifyIdentity', CLIENT_CODE, r.receiptID, verifyBody());

  // 전자서명: a URL token, signed as its text; the status still names the type that was sent.
  r = await call('requestSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명 요청 메시지 제목', reqMessage: enc('전자서명 요청 메시지'),
    tokenType: 'URL', token: enc('https://www.passcert.co.kr'), originalTypeCode: 'TR',
    originalURL: 'https://www.passcert.co.kr', originalFormatCode: 'HTML',
  });
  st = await answered('getSignStatus', r.receiptID);
  check(st.state === 1 && st.tokenType === 'URL', `pass sign status: tokenType ${st.tokenType}`);
  v = await call('verifySign', CLIENT_CODE, r.receiptID, verifyBody());
  check(opensslContent(v.signedData) === 'https://www.passcert.co.kr', 'pass sign');
  receiver(v);

  // 출금동의, with the `token` passcert_test.js sends too (PASS's options dojang has no use for
  // are accepted and ignored).
  r = await call('requestCMS', CLIENT_CODE, {
    ...person(), reqTitle: '출금동의 요청 메시지 제목', reqMessage: enc('출금동의 요청 메시지'),
    token: enc('출금동의 요청 원문'), bankName: enc('국민은행'),
    bankAccountNum: enc('9-4324-5117-58'), bankAccountName: enc(NAME),
    bankServiceType: enc('CMS'), bankWithdraw: enc('1,000,000원'),
  });
  st = await answered('getCMSStatus', r.receiptID);
  check(st.state === 1, 'pass cms status');
  v = await call('verifyCMS', CLIENT_CODE, r.receiptID, verifyBody());
  check(opensslContent(v.signedData).includes('9-4324-5117-58'), 'pass cms');
  receiver(v);

  // 간편로그인
  r = await call('requestLogin', CLIENT_CODE, {
    ...person(), reqTitle: '간편로그인 요청 메시지 제목', reqMessage: enc('간편로그인 요청 메시지'),
    token: enc('간편로그인 요청 원문'),
  });
  st = await answered('getLoginStatus', r.receiptID);
  check(st.state === 1, 'pass login status');
  v = await call('verifyLogin', CLIENT_CODE, r.receiptID, verifyBody());
  check(opensslContent(v.signedData) === '간편로그인 요청 원문', 'pass login');
  receiver(v);

  // Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
  await expectError(-44430001, 'getLoginStatus', CLIENT_CODE, '1'.repeat(32));
  await expectError(-44121042, 'requestIdentity', CLIENT_CODE,
    { ...person(), reqTitle: '가'.repeat(41), token: enc('t') });
  check(wrongSecretKey('PasscertService') === -10000004, 'pass wrong SecretKey');
  await expired(call, 'getIdentityStatus', idle.receiptID, idleAt);
  await expectError(-44130005, 'verifyIdentity', CLIENT_CODE, idle.receiptID, idleVerify);
}

async function toss() {
  const tosscertService = barocert.TosscertService();
  const enc = (t) => tosscertService._encrypt(t);
  const { call, answered, expectError } = promised(tosscertService);
  const person = () => ({
    receiverHP: enc(HP), receiverName: enc(NAME), receiverBirthday: enc(BIRTHDAY), expireIn: 1000,
  });

  // 김철수 never answers: verify is refused now, and again once the request has expired.
  const idle = await call('requestIdentity', CLIENT_CODE,
    { ...idlePerson(enc), token: enc('t'), expireIn: IDLE_EXPIRE_IN });
  const idleAt = Date.now();
  await expectError(-46230002, 'verifyIdentity', CLIENT_CODE, idle.receiptID);

  // 본인확인
  let r = await call('requestUserIdentity', CLIENT_CODE,
    { ...person(), token: enc('본인확인 요청 원문') });
  let st = await answered('getUserIdentityStatus', r.receiptID);
  check(st.state === 1, 'toss user identity status');
  let v = await call('verifyUserIdentity', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '본인확인 요청 원문', 'toss user identity');
  check(/^[0-9a-f]{64}$/.test(v.di), 'toss di');
  receiver(v);
  await expectError(-46130003, 'verifyUserIdentity', CLIENT_CODE, r.receiptID);

  // 본인인증
  r = await call('requestIdentity', CLIENT_CODE, { ...person(), token: enc('본인인증 요청 원문') });
  st = await answered('getIdentityStatus', r.receiptID);
  check(st.state === 1, 'toss identity status');
  v = await call('verifyIdentity', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '본인인증 요청 원문', 'toss identity');
  receiver(v);

  // 전자서명(단건)
  r = await call('requestSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명(단건) 요청 메시지 제목', tokenType: 'TEXT',
    token: enc('전자서명(단건) 요청 원문'),
  });
  st = await answered('getSignStatus', r.receiptID);
  check(st.state === 1, 'toss sign status');
  v = await call('verifySign', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '전자서명(단건) 요청 원문', 'toss sign');
  receiver(v);

  // 전자서명(복수)
  r = await call('requestMultiSign', CLIENT_CODE, {
    ...person(),
    tokens: [1, 2].map((i) => ({
      reqTitle: `전자서명(복수) 요청 메시지 제목 ${i}`, tokenType: 'TEXT',
      token: enc(`전자서명(복수) 요청 원문 ${i}`),
    })),
  });
  st = await answered('getMultiSignStatus', r.receiptID);
  check(st.state === 1, 'toss multi-sign status');
  v = await call('verifyMultiSign', CLIENT_CODE, r.receiptID);
  check(v.multiSignedData.map(opensslContent).join('|') ===
    '전자서명(복수) 요청 원문 1|전자서명(복수) 요청 원문 2', 'toss multi-sign');
  receiver(v);

  // 출금동의
  r = await call('requestCMS', CLIENT_CODE, {
    ...person(), reqTitle: '출금동의 요청 메시지 제목', requestCorp: enc('청구기관'),
    bankName: enc('출금은행'), bankAccountNum: enc('123-456-7890'), bankAccountName: enc(NAME),
    bankAccountBirthday: enc(BIRTHDAY),
  });
  st = await answered('getCMSStatus', r.receiptID);
  check(st.state === 1, 'toss cms status');
  v = await call('verifyCMS', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData).includes('123-456-7890'), 'toss cms');
  receiver(v);

  // Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
  await expectError(-46530001, 'getCMSStatus', CLIENT_CODE, '1'.repeat(32));
  await expectError(-46321042, 'requestSign', CLIENT_CODE,
    { ...person(), reqTitle: '가'.repeat(41), tokenType: 'TEXT', token: enc('t') });
  check(wrongSecretKey('TosscertService') === -10000004, 'toss wrong SecretKey');
  await expired(call, 'getIdentityStatus', idle.receiptID, idleAt);
  await expectError(-46230005, 'verifyIdentity', CLIENT_CODE, idle.receiptID);
}

(async () => {
  // A product whose call fails stops there; the next still runs, once the failed one's idle
  // request can no longer be waiting.
  for (const product of [naver, pass, toss]) {
    await product().catch(async (e) => {
      check(false, `${product.name}: ${e instanceof Error ? e.stack : JSON.stringify(e)}`);
      await sleep(IDLE_EXPIRE_IN * 1000 + 500);
    });
  }
  finish('barocert NAVER, PASS, TOSS (Node SDK 1.8.0)');
})();
