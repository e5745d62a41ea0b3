// LinkHub's barocert Node SDK (1.8.0, unmodified) against dojang, KAKAO product: every request /
// status / verify call, fields wrapped with the SDK's `_encrypt`, as its own test files do.
// Node's quirks meet the server here: bodies drop falsy values, x-bc-date carries
// milliseconds from the local clock, GETs carry no version header.
// Run by compat/run.sh inside compat/with-server.sh.
'use strict';
const barocert = require('barocert');
const { env, CLIENT_CODE, check, checks, caller, sleep, opensslContent } = require('./judge');

barocert.config({
  LinkID: env.DOJANG_LINK_ID,
  SecretKey: env.DOJANG_SECRET_KEY,
  AuthURL: env.DOJANG_URL,
  ServiceURL: env.DOJANG_URL,
  IPRestrictOnOff: true,
  UseLocalTimeYN: true,
  defaultErrorHandler: (e) => console.error('unhandled', e),
});
const kakao = barocert.KakaocertService();
const enc = (t) => kakao._encrypt(t);
const call = caller(kakao);

async function answered(statusMethod, receiptID) {
  for (let i = 0; i < 150; i++) {
    const s = await call(statusMethod, CLIENT_CODE, receiptID);
    if (s.state !== 0) return s;
    await sleep(200);
  }
  throw new Error('no answer from the app');
}

function receiver(v) {
  check(v.receiverName === env.DOJANG_RECEIVER_NAME && v.receiverHP === env.DOJANG_RECEIVER_HP,
    'receiver');
  check(v.receiverYear + v.receiverDay === env.DOJANG_RECEIVER_BIRTHDAY, 'birth');
  check(v.ci.length === 88, 'ci');
}

const person = () => ({
  receiverHP: enc(env.DOJANG_RECEIVER_HP),
  receiverName: enc(env.DOJANG_RECEIVER_NAME),
  receiverBirthday: enc(env.DOJANG_RECEIVER_BIRTHDAY),
  expireIn: 1000,
  appUseYN: false,
});

(async () => {
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
  try {
    await call('verifyIdentity', CLIENT_CODE, r.receiptID);
    throw new Error('verified twice');
  } catch (e) {
    check(e.code === -40130003, `verify twice: ${JSON.stringify(e)}`);
  }

  r = await call('requestSign', CLIENT_CODE, {
    ...person(), signTitle: '전자서명(단건) 서명 요청 제목', tokenType: 'TEXT',
    token: enc('전자서명(단건) 요청 원문'),
  });
  await answered('getSignStatus', r.receiptID);
  v = await call('verifySign', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData) === '전자서명(단건) 요청 원문', 'sign signature');

  r = await call('requestMultiSign', CLIENT_CODE, {
    ...person(), reqTitle: '전자서명(복수) 요청 메시지 제목', tokenType: 'TEXT',
    tokens: [0, 1, 2].map((i) => ({ signTitle: `서명 ${i}`, token: enc(`원문 ${i}`) })),
  });
  await answered('getMultiSignStatus', r.receiptID);
  v = await call('verifyMultiSign', CLIENT_CODE, r.receiptID);
  check(v.multiSignedData.map(opensslContent).join('|') === '원문 0|원문 1|원문 2', 'multi-sign');

  r = await call('requestCMS', CLIENT_CODE, {
    ...person(), reqTitle: '출금동의 요청 메시지 제목', requestCorp: enc('청구기관'),
    bankName: enc('출금은행'), bankAccountNum: enc('32-12-1234-1234'),
    bankAccountName: enc(env.DOJANG_RECEIVER_NAME),
    bankAccountBirthday: enc(env.DOJANG_RECEIVER_BIRTHDAY), bankServiceType: enc('CMS'),
  });
  await answered('getCMSStatus', r.receiptID);
  v = await call('verifyCMS', CLIENT_CODE, r.receiptID);
  check(opensslContent(v.signedData).includes('32-12-1234-1234'), 'cms');
  receiver(v);
  console.log(`barocert KAKAO (Node SDK 1.8.0): ${checks()} checks passed`);
})().catch((e) => { console.error(e); process.exit(1); });
