"""LinkHub's barocert Python SDK (1.8.0, unmodified) against dojang: the KAKAO product.

Run by compat/run.sh inside compat/with-server.sh, which starts dojang, registers a relying
party and keeps an auto-approving dojang-app for the receiver. Written the way barocert's own
examples use the SDK: fields wrapped with the SDK's `_encrypt`, the service and auth URLs
pointed at dojang.
"""

import time

from barocert import (KakaoCMS, KakaoIdentity, KakaoMultiSign, KakaoMultiSignTokens, KakaoSign,
                      KakaocertService)

import judge
from judge import (BIRTHDAY, CLIENT_CODE, HP, IDLE_EXPIRE_IN, NAME, check, expect_error,
                   idle_person, openssl_content, receiver, wait_expired)

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
judge.plan(40)

service = judge.pointed_at_dojang(KakaocertService)
wait_signed = judge.wait_answered

# 김철수 never answers: verify is refused now, and again once the request has expired (checked
# at the end, so the wait overlaps the other calls).
idle = service.requestIdentity(CLIENT_CODE, KakaoIdentity(
    **idle_person(service._encrypt), reqTitle="응답 없는 요청", expireIn=IDLE_EXPIRE_IN,
    token=service._encrypt("t"), appUseYN=False))
idle_at = time.monotonic()
expect_error(-40130002, service.verifyIdentity, CLIENT_CODE, idle.receiptID)

# 본인인증: request, status, verify (and verify again: refused).
identity = KakaoIdentity(
    receiverHP=service._encrypt(HP),
    receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY),
    reqTitle="본인인증 요청 메시지",
    extraMessage=service._encrypt("본인인증 추가 메시지"),
    expireIn=1000,
    token=service._encrypt("본인인증 요청 토큰"),
    appUseYN=False,
)
receipt = service.requestIdentity(CLIENT_CODE, identity)
check(len(receipt.receiptID) == 32 and receipt.receiptID.isdigit(), "receiptID")
status = wait_signed(service.getIdentityStatus, receipt.receiptID)
check(status.state == 1, "identity state")
check(status.clientCode == CLIENT_CODE and status.reqTitle == "본인인증 요청 메시지", "status fields")
result = service.verifyIdentity(CLIENT_CODE, receipt.receiptID)
check(result.state == 1 and result.receiptID == receipt.receiptID, "verify")
check(openssl_content(result.signedData) == "본인인증 요청 토큰", "identity signedData")
receiver(result)
expect_error(-40130003, service.verifyIdentity, CLIENT_CODE, receipt.receiptID)

# 전자서명 (단건).
sign = KakaoSign(
    receiverHP=service._encrypt(HP),
    receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY),
    signTitle="전자서명(단건) 서명 요청 제목",
    extraMessage=service._encrypt("전자서명(단건) 추가 메시지"),
    expireIn=1000,
    token=service._encrypt("전자서명(단건) 요청 원문"),
    tokenType="TEXT",
    appUseYN=False,
)
receipt = service.requestSign(CLIENT_CODE, sign)
status = wait_signed(service.getSignStatus, receipt.receiptID)
check(status.state == 1 and status.signTitle == "전자서명(단건) 서명 요청 제목", "sign status")
result = service.verifySign(CLIENT_CODE, receipt.receiptID)
check(openssl_content(result.signedData) == "전자서명(단건) 요청 원문", "sign signedData")
receiver(result)

# 전자서명 (다건): five documents, as the SDK examples send.
multi = KakaoMultiSign(
    receiverHP=service._encrypt(HP),
    receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY),
    reqTitle="전자서명(복수) 요청 메시지 제목",
    extraMessage=service._encrypt("전자서명(복수) 추가 메시지"),
    expireIn=1000,
    tokens=[],
    tokenType="TEXT",
    appUseYN=False,
)
for i in range(5):
    multi.tokens.append(KakaoMultiSignTokens(
        signTitle="전자서명(복수) 서명 요청 제목 %d" % i,
        token=service._encrypt("전자서명(복수) 요청 원문 %d" % i)))
receipt = service.requestMultiSign(CLIENT_CODE, multi)
wait_signed(service.getMultiSignStatus, receipt.receiptID)
result = service.verifyMultiSign(CLIENT_CODE, receipt.receiptID)
check(len(result.multiSignedData) == 5, "five signatures")
check(openssl_content(result.multiSignedData[3]) == "전자서명(복수) 요청 원문 3", "document 3")
receiver(result)

# 출금동의.
cms = KakaoCMS(
    receiverHP=service._encrypt(HP),
    receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY),
    reqTitle="출금동의 요청 메시지 제목",
    extraMessage=service._encrypt("출금동의 추가 메시지"),
    expireIn=1000,
    requestCorp=service._encrypt("청구기관명"),
    bankName=service._encrypt("출금은행"),
    bankAccountNum=service._encrypt("32-12-1234-1234"),
    bankAccountName=service._encrypt(NAME),
    bankAccountBirthday=service._encrypt(BIRTHDAY),
    bankServiceType=service._encrypt("CMS"),
    appUseYN=False,
)
receipt = service.requestCMS(CLIENT_CODE, cms)
wait_signed(service.getCMSStatus, receipt.receiptID)
result = service.verifyCMS(CLIENT_CODE, receipt.receiptID)
check("32-12-1234-1234" in openssl_content(result.signedData), "cms signedData")
receiver(result)

# 간편로그인: verifyLogin by the txID the person's app returned with; once only.
tx_id = judge.app_to_app_login("login-nonce-py")
result = service.verifyLogin(CLIENT_CODE, tx_id)
check(result.txID == tx_id and result.state == 1, "login verify")
check(openssl_content(result.signedData) == "login-nonce-py", "login signedData")
receiver(result)
expect_error(-40530003, service.verifyLogin, CLIENT_CODE, tx_id)

# Refusals, each with its code in barocert's pattern.
expect_error(-40130001, service.getIdentityStatus, CLIENT_CODE, "1" * 32)
too_long = KakaoIdentity(
    receiverHP=service._encrypt(HP), receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY), reqTitle="가" * 41, expireIn=1000,
    token=service._encrypt("t"), appUseYN=False)
e = expect_error(-40121042, service.requestIdentity, CLIENT_CODE, too_long)
print("too long title:", e.code, e.message)

# The idle person's request, expired by now.
wait_expired(service.getIdentityStatus, idle.receiptID, idle_at)
expect_error(-40130005, service.verifyIdentity, CLIENT_CODE, idle.receiptID)

# A wrong SecretKey.
check(judge.wrong_secret_key("KakaocertService") == -10000004, "wrong SecretKey")

judge.finish("barocert KAKAO")
