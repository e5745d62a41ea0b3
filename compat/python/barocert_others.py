"""LinkHub's barocert Python SDK (1.8.0, unmodified) against dojang: the NAVER, PASS and TOSS
products, every request / status / verify call of each, written as barocert's examples use
them (fields wrapped with the SDK's `_encrypt`), and for each product the refusals: verify
twice, verify before the person answered, an expired request, an unknown receipt, a field over
its limit and a wrong SecretKey.

Each product's section starts with a request to the idle person (expireIn 2 seconds) and checks
it has expired at its end, so the wait overlaps the other calls. Only one request per person
and relying party may wait at a time, so the three cannot run at once.
"""

import time

from barocert import (NavercertService, NaverCMS, NaverIdentity, NaverMultiSign,
                      NaverMultiSignTokens, NaverSign, PasscertService, PassCMS,
                      PassCMSVerify, PassIdentity, PassIdentityVerify, PassLogin,
                      PassLoginVerify, PassSign, PassSignVerify, TosscertService, TossCMS,
                      TossIdentity, TossMultiSign, TossMultiSignTokens, TossSign,
                      TossUserIdentity)

import judge
from judge import (BIRTHDAY, CLIENT_CODE, HP, IDLE_EXPIRE_IN, IDLE_HP, IDLE_NAME, NAME, check,
                   expect_error, idle_person, openssl_content, receiver, wait_answered,
                   wait_expired, wrong_secret_key)

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
judge.plan(57)

# --- NAVER -------------------------------------------------------------------------------
naver = judge.pointed_at_dojang(NavercertService)
e = naver._encrypt

# 김철수 never answers: verify is refused now, and again once the request has expired (checked
# at the end of this section).
idle = naver.requestIdentity(CLIENT_CODE, NaverIdentity(
    **idle_person(e), callCenterNum="1588-1600", expireIn=IDLE_EXPIRE_IN, appUseYN=False))
idle_at = time.monotonic()
expect_error(-42130002, naver.verifyIdentity, CLIENT_CODE, idle.receiptID)

r = naver.requestIdentity(CLIENT_CODE, NaverIdentity(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    callCenterNum="1588-1600", expireIn=1000, appUseYN=False))
st = wait_answered(naver.getIdentityStatus, r.receiptID)
check(st.state == 1 and st.callCenterNum == "1588-1600", "naver identity status")
v = naver.verifyIdentity(CLIENT_CODE, r.receiptID)
check(len(openssl_content(v.signedData)) == 32, "naver identity signs dojang's nonce")
receiver(v)
expect_error(-42130003, naver.verifyIdentity, CLIENT_CODE, r.receiptID)

r = naver.requestSign(CLIENT_CODE, NaverSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="전자서명(단건) 요청 메시지 제목", reqMessage=e("전자서명(단건) 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, token=e("전자서명(단건) 요청 원문"),
    tokenType="TEXT", appUseYN=False))
st = wait_answered(naver.getSignStatus, r.receiptID)
check(st.state == 1 and st.tokenType == "TEXT", "naver sign status")
v = naver.verifySign(CLIENT_CODE, r.receiptID)
check(openssl_content(v.signedData) == "전자서명(단건) 요청 원문", "naver sign")
receiver(v)

multi = NaverMultiSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="전자서명(복수) 요청 메시지 제목", reqMessage=e("전자서명(복수) 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, tokens=[], appUseYN=False)
for i in range(3):
    multi.tokens.append(NaverMultiSignTokens(tokenType="TEXT", token=e("원문 %d" % i)))
r = naver.requestMultiSign(CLIENT_CODE, multi)
st = wait_answered(naver.getMultiSignStatus, r.receiptID)
check(list(st.tokenTypes) == ["TEXT"] * 3, "naver multi-sign token types")
v = naver.verifyMultiSign(CLIENT_CODE, r.receiptID)
check([openssl_content(d) for d in v.multiSignedData] == ["원문 0", "원문 1", "원문 2"],
      "naver multi-sign")

r = naver.requestCMS(CLIENT_CODE, NaverCMS(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="출금동의 요청 메시지 제목", reqMessage=e("출금동의 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, requestCorp=e("청구 기관명"),
    bankName=e("출금은행"), bankAccountNum=e("123-456-7890"), bankAccountName=e(NAME),
    bankAccountBirthday=e(BIRTHDAY), appUseYN=False))
st = wait_answered(naver.getCMSStatus, r.receiptID)
v = naver.verifyCMS(CLIENT_CODE, r.receiptID)
check("123-456-7890" in openssl_content(v.signedData), "naver cms")

# Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
expect_error(-42430001, naver.getCMSStatus, CLIENT_CODE, "2" * 32)
expect_error(-42221042, naver.requestSign, CLIENT_CODE, NaverSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY), reqTitle="가" * 41,
    reqMessage=e("m"), callCenterNum="1588-1600", expireIn=1000, token=e("t"),
    tokenType="TEXT", appUseYN=False))
check(wrong_secret_key("NavercertService") == -10000004, "naver wrong SecretKey")
wait_expired(naver.getIdentityStatus, idle.receiptID, idle_at)
expect_error(-42130005, naver.verifyIdentity, CLIENT_CODE, idle.receiptID)

# --- PASS --------------------------------------------------------------------------------
pas = judge.pointed_at_dojang(PasscertService)
e = pas._encrypt
idle_verify = PassIdentityVerify(receiverHP=e(IDLE_HP), receiverName=e(IDLE_NAME))

# 김철수 never answers: verify is refused now, and again once the request has expired (checked
# at the end of this section).
idle = pas.requestIdentity(CLIENT_CODE, PassIdentity(
    **idle_person(e), reqTitle="응답 없는 요청", callCenterNum="1588-1600",
    expireIn=IDLE_EXPIRE_IN, token=e("t"), appUseYN=False))
idle_at = time.monotonic()
expect_error(-44130002, pas.verifyIdentity, CLIENT_CODE, idle.receiptID, idle_verify)

r = pas.requestIdentity(CLIENT_CODE, PassIdentity(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="본인인증 요청 메시지 제목", reqMessage=e("본인인증 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, token=e("본인인증 요청 원문"),
    userAgreementYN=True, receiverInfoYN=True, appUseYN=False, useTssYN=False))
st = wait_answered(pas.getIdentityStatus, r.receiptID)
check(st.state == 1, "pass identity")
# PASS's verify body must name the request's person: someone else's details verify nothing.
expect_error(-44130008, pas.verifyIdentity, CLIENT_CODE, r.receiptID,
             PassIdentityVerify(receiverHP=e(IDLE_HP), receiverName=e(NAME)))
expect_error(-44130009, pas.verifyIdentity, CLIENT_CODE, r.receiptID,
             PassIdentityVerify(receiverHP=e(HP), receiverName=e(IDLE_NAME)))
v = pas.verifyIdentity(CLIENT_CODE, r.receiptID,
                       PassIdentityVerify(receiverHP=e(HP), receiverName=e(NAME)))
check(openssl_content(v.signedData) == "본인인증 요청 원문", "pass identity signature")
receiver(v)
expect_error(-44130003, pas.verifyIdentity, CLIENT_CODE, r.receiptID,
             PassIdentityVerify(receiverHP=e(HP), receiverName=e(NAME)))

r = pas.requestSign(CLIENT_CODE, PassSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="전자서명 요청 메시지 제목", reqMessage=e("전자서명 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, token=e("https://www.passcert.co.kr"),
    tokenType="URL", userAgreementYN=True, receiverInfoYN=True, originalTypeCode="TR",
    originalURL="https://www.passcert.co.kr", originalFormatCode="HTML", appUseYN=False))
wait_answered(pas.getSignStatus, r.receiptID)
v = pas.verifySign(CLIENT_CODE, r.receiptID,
                   PassSignVerify(receiverHP=e(HP), receiverName=e(NAME)))
check(openssl_content(v.signedData) == "https://www.passcert.co.kr", "pass sign")

r = pas.requestCMS(CLIENT_CODE, PassCMS(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="출금동의 요청 메시지 제목", reqMessage=e("출금동의 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, userAgreementYN=True, receiverInfoYN=True,
    bankName=e("국민은행"), bankAccountNum=e("19-321442-1231"), bankAccountName=e(NAME),
    bankWithdraw=e("1,000,000원"), bankServiceType=e("CMS"), appUseYN=False))
wait_answered(pas.getCMSStatus, r.receiptID)
v = pas.verifyCMS(CLIENT_CODE, r.receiptID,
                  PassCMSVerify(receiverHP=e(HP), receiverName=e(NAME)))
check("19-321442-1231" in openssl_content(v.signedData), "pass cms")

r = pas.requestLogin(CLIENT_CODE, PassLogin(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="간편로그인 요청 메시지 제목", reqMessage=e("간편로그인 요청 메시지"),
    callCenterNum="1588-1600", expireIn=1000, token=e("간편로그인 요청 원문"),
    userAgreementYN=True, receiverInfoYN=True, appUseYN=False, useTssYN=False))
wait_answered(pas.getLoginStatus, r.receiptID)
v = pas.verifyLogin(CLIENT_CODE, r.receiptID,
                    PassLoginVerify(receiverHP=e(HP), receiverName=e(NAME)))
check(openssl_content(v.signedData) == "간편로그인 요청 원문", "pass login")
# The verify body must be encrypted with the SecretKey.
expect_error(-44421241, pas.verifyLogin, CLIENT_CODE, r.receiptID,
             PassLoginVerify(receiverHP=HP, receiverName=NAME))

# Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
expect_error(-44430001, pas.getLoginStatus, CLIENT_CODE, "2" * 32)
expect_error(-44121042, pas.requestIdentity, CLIENT_CODE, PassIdentity(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY), reqTitle="가" * 41,
    callCenterNum="1588-1600", expireIn=1000, token=e("t"), appUseYN=False))
check(wrong_secret_key("PasscertService") == -10000004, "pass wrong SecretKey")
wait_expired(pas.getIdentityStatus, idle.receiptID, idle_at)
expect_error(-44130005, pas.verifyIdentity, CLIENT_CODE, idle.receiptID, idle_verify)

# --- TOSS --------------------------------------------------------------------------------
toss = judge.pointed_at_dojang(TosscertService)
e = toss._encrypt

# 김철수 never answers: verify is refused now, and again once the request has expired (checked
# at the end of this section).
idle = toss.requestIdentity(CLIENT_CODE, TossIdentity(
    **idle_person(e), expireIn=IDLE_EXPIRE_IN, token=e("t")))
idle_at = time.monotonic()
expect_error(-46230002, toss.verifyIdentity, CLIENT_CODE, idle.receiptID)

r = toss.requestUserIdentity(CLIENT_CODE, TossUserIdentity(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY), expireIn=1000))
wait_answered(toss.getUserIdentityStatus, r.receiptID)
v = toss.verifyUserIdentity(CLIENT_CODE, r.receiptID)
check(len(v.di) == 64, "toss di")
receiver(v)

r = toss.requestIdentity(CLIENT_CODE, TossIdentity(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY), expireIn=1000,
    token=e("본인인증 요청 원문")))
wait_answered(toss.getIdentityStatus, r.receiptID)
v = toss.verifyIdentity(CLIENT_CODE, r.receiptID)
check(openssl_content(v.signedData) == "본인인증 요청 원문", "toss identity")

r = toss.requestSign(CLIENT_CODE, TossSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="전자서명(단건) 요청 메시지 제목", expireIn=1000, token=e("전자서명(단건) 요청 원문"),
    tokenType="TEXT"))
wait_answered(toss.getSignStatus, r.receiptID)
v = toss.verifySign(CLIENT_CODE, r.receiptID)
check(openssl_content(v.signedData) == "전자서명(단건) 요청 원문", "toss sign")

multi = TossMultiSign(receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
                      expireIn=1000, tokens=[])
for i in range(2):
    multi.tokens.append(TossMultiSignTokens(reqTitle="서명 %d" % i, tokenType="TEXT",
                                            token=e("토스 원문 %d" % i)))
r = toss.requestMultiSign(CLIENT_CODE, multi)
wait_answered(toss.getMultiSignStatus, r.receiptID)
v = toss.verifyMultiSign(CLIENT_CODE, r.receiptID)
check(openssl_content(v.multiSignedData[1]) == "토스 원문 1", "toss multi-sign")

r = toss.requestCMS(CLIENT_CODE, TossCMS(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY),
    reqTitle="출금동의 요청 메시지 제목", expireIn=1000, requestCorp=e("청구 기관명"),
    bankName=e("출금은행"), bankAccountNum=e("9-4324-5117-58"), bankAccountName=e(NAME),
    bankAccountBirthday=e(BIRTHDAY)))
wait_answered(toss.getCMSStatus, r.receiptID)
v = toss.verifyCMS(CLIENT_CODE, r.receiptID)
check("9-4324-5117-58" in openssl_content(v.signedData), "toss cms")
expect_error(-46530003, toss.verifyCMS, CLIENT_CODE, r.receiptID)

# Refusals: an unknown receipt, a title over 40 characters, a wrong SecretKey, and expiry.
expect_error(-46130001, toss.getUserIdentityStatus, CLIENT_CODE, "2" * 32)
expect_error(-46321042, toss.requestSign, CLIENT_CODE, TossSign(
    receiverHP=e(HP), receiverName=e(NAME), receiverBirthday=e(BIRTHDAY), reqTitle="가" * 41,
    expireIn=1000, token=e("t"), tokenType="TEXT"))
check(wrong_secret_key("TosscertService") == -10000004, "toss wrong SecretKey")
wait_expired(toss.getIdentityStatus, idle.receiptID, idle_at)
expect_error(-46230005, toss.verifyIdentity, CLIENT_CODE, idle.receiptID)

judge.finish("barocert NAVER, PASS, TOSS")
