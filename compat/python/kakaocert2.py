"""LinkHub's kakaocert Python SDK 2.52.0 (API 2.0, unmodified) against dojang over TLS:
requestESign / getESignState / verifyESign, requestVerifyAuth / getVerifyAuthState /
verifyAuth, requestCMS / getCMSState / verifyCMS, written as the SDK's examples use them
(PascalCase request objects), and the SDK's exception with dojang's code for every refusal.
Run by compat/run.sh inside compat/with-server.sh; kc_judge.py says how the SDK reaches dojang."""

import time

from kakaocert import RequestCMS, RequestESign, RequestVerifyAuth

import kc_judge
from kc_judge import (CLIENT_CODE, IDLE_BIRTHDAY, IDLE_HP, IDLE_NAME, NAME, check, expect_error,
                      signed_by_receiver, answered, person)

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
kc_judge.plan(20)

service = kc_judge.pointed_at_dojang()


# 전자서명
r = service.requestESign(CLIENT_CODE, RequestESign(**person(
    TMSTitle="TMSTitle 0423", TMSMessage="TMSMessage0423", Token="Token Value 2345")), False)
check(len(r.receiptId) == 32 and r.receiptId.isdigit(), "receiptId")
st = answered(service.getESignState, r.receiptId)
check(st.state == 1 and st.tmstitle == "TMSTitle 0423" and st.payload == "Payload123",
      "esign state")
check(st.clientCode == CLIENT_CODE and st.verifyNameYN is True and st.completeDT, "esign fields")
v = service.verifyESign(CLIENT_CODE, r.receiptId)
check(v.receiptId == r.receiptId, "esign verify")
signed_by_receiver(v.signedData, "Token Value 2345")
expect_error(-10300003, service.verifyESign, CLIENT_CODE, r.receiptId)
check(service.getESignState(CLIENT_CODE, r.receiptId).verifyDT, "verifyDT after verify")

# 본인인증
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**person(
    TMSTitle="본인인증", Token="one-time 42")))
st = answered(service.getVerifyAuthState, r.receiptId)
check(st.callCenterName is None, "callCenterName: none sent, null")
v = service.verifyAuth(CLIENT_CODE, r.receiptId)
# kakaocert's VerifyAuth procedure: the relying party compares signedData with its Token.
check(v.signedData == "one-time 42", "signedData == Token")
expect_error(-10300003, service.verifyAuth, CLIENT_CODE, r.receiptId)

# 출금동의
r = service.requestCMS(CLIENT_CODE, RequestCMS(**person(
    TMSTitle="출금동의", BankCode="004", BankAccountName=NAME, BankAccountNum="9-4324-5117-58",
    ClientUserID="clientUserID-0423-01")), False)
answered(service.getCMSState, r.receiptId)
v = service.verifyCMS(CLIENT_CODE, r.receiptId)
consent, _ = kc_judge.openssl(v.signedData)
check("9-4324-5117-58" in consent and "KB국민은행" in consent, "cms consent")

# Refusals: unknown receipt, a field over its limit, a name that is not the holder's, too
# early, expired, and a wrong SecretKey.
expect_error(-10300001, service.getESignState, CLIENT_CODE, "1" * 32)
expect_error(-10300001, service.verifyESign, CLIENT_CODE, "1" * 32)
expect_error(-10201042, service.requestESign, CLIENT_CODE,
             RequestESign(**person(TMSTitle="가" * 41, Token="x")), False)
expect_error(-10300009, service.requestVerifyAuth, CLIENT_CODE,
             RequestVerifyAuth(**dict(person(TMSTitle="t", Token="x"), ReceiverName="김아무개")))
idle = person(TMSTitle="응답 없는 요청", Token="x")
idle.update(ReceiverName=IDLE_NAME, ReceiverHP=IDLE_HP, ReceiverBirthDay=IDLE_BIRTHDAY,
            Expires_in=2)
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**idle))
expect_error(-10300002, service.verifyAuth, CLIENT_CODE, r.receiptId)
time.sleep(2.5)
check(service.getVerifyAuthState(CLIENT_CODE, r.receiptId).state == 2, "expired state")
expect_error(-10300005, service.verifyAuth, CLIENT_CODE, r.receiptId)
wrong = kc_judge.pointed_at_dojang(kc_judge.WRONG_SECRET_KEY)
expect_error(-10000004, wrong.getESignState, CLIENT_CODE, "1" * 32)

kc_judge.finish("kakaocert (Python SDK 2.52.0, over TLS)")
