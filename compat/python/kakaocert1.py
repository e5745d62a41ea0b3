"""LinkHub's kakaocert Python SDK 1.0.0 (API 1.0, unmodified; the API the seed documents
describe) against dojang over TLS: requestESign / getESignResult, requestVerifyAuth /
getVerifyAuthResult, requestCMS / getCMSResult, written as the SDK's examples use them.
API 1.0 has no verify call: the result GET that first finds the request signed carries the
signature, and dojang hands it out once (a second GET is refused as "already verified").
Run by compat/run.sh inside compat/with-server.sh; kc_judge.py says how the SDK reaches dojang."""

import time

from kakaocert import RequestCMS, RequestESign, RequestVerifyAuth

import kc_judge
from kc_judge import (BIRTHDAY, CLIENT_CODE, HP, IDLE_BIRTHDAY, IDLE_HP, IDLE_NAME, NAME,
                      check, expect_error, signed_by_receiver)

service = kc_judge.pointed_at_dojang()


def person(**fields):
    return dict(CallCenterNum="1600-8536", Expires_in=60, ReceiverBirthDay=BIRTHDAY,
                ReceiverHP=HP, ReceiverName=NAME, SubClientID="", isAllowSimpleRegistYN=False,
                isVerifyNameYN=True, PayLoad="Payload123", **fields)


def answered(get_result, receipt_id):
    """Poll the result until the person answered; that answer is the one with the signature."""
    for _ in range(150):
        result = get_result(CLIENT_CODE, receipt_id)
        if result.state != 0:
            return result
        check(result.signedData is None, "no signature while waiting")
        time.sleep(0.2)
    raise AssertionError("no answer from the app")


def holder(result):
    check(result.receiverName == NAME and result.receiverHP == HP, "receiver name and phone")
    check(result.receiverBirthday == BIRTHDAY and len(result.ci) == 88, "receiver birth, ci")


# 전자서명
r = service.requestESign(CLIENT_CODE, RequestESign(**person(
    TMSTitle="TMSTitle 0423", TMSMessage="TMSMessage0423", Token="Token Value 2345")))
check(len(r.receiptId) == 32 and r.receiptId.isdigit(), "receiptId")
res = answered(service.getESignResult, r.receiptId)
check(res.state == 1 and res.tmstitle == "TMSTitle 0423" and res.payload == "Payload123",
      "esign result")
check(res.receiptID == r.receiptId and res.clientCode == CLIENT_CODE and res.verifyDT,
      "esign result fields")
signed_by_receiver(res.signedData, "Token Value 2345")
check(res.token == "Token Value 2345", "token")
holder(res)
expect_error(-10300003, service.getESignResult, CLIENT_CODE, r.receiptId)

# 본인인증: ResultVerifyAuth names the signature returnToken.
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**person(
    TMSTitle="본인인증", Token="one-time 42")))
res = answered(service.getVerifyAuthResult, r.receiptId)
check(res.returnToken == res.signedData, "returnToken")
signed_by_receiver(res.returnToken, "one-time 42")
holder(res)

# 출금동의
r = service.requestCMS(CLIENT_CODE, RequestCMS(**person(
    TMSTitle="출금동의", BankCode="088", BankAccountName=NAME, BankAccountNum="9-4324-5117-58",
    ClientUserID="clientUserID-0423-01")))
res = answered(service.getCMSResult, r.receiptId)
consent, _ = kc_judge.openssl(res.signedData)
check("9-4324-5117-58" in consent and "신한은행" in consent, "cms consent")
holder(res)

# Refusals: unknown receipt, a field over its limit, a name that is not the holder's, a
# request nobody answers (waiting, then expired: answers, not errors, in API 1.0), and a
# wrong SecretKey.
expect_error(-10300001, service.getESignResult, CLIENT_CODE, "1" * 32)
expect_error(-10201042, service.requestESign, CLIENT_CODE,
             RequestESign(**person(TMSTitle="가" * 41, Token="x")))
expect_error(-10300009, service.requestVerifyAuth, CLIENT_CODE,
             RequestVerifyAuth(**dict(person(TMSTitle="t", Token="x"), ReceiverName="김아무개")))
idle = person(TMSTitle="응답 없는 요청", Token="x")
idle.update(ReceiverName=IDLE_NAME, ReceiverHP=IDLE_HP, ReceiverBirthDay=IDLE_BIRTHDAY,
            Expires_in=2)
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**idle))
res = service.getVerifyAuthResult(CLIENT_CODE, r.receiptId)
check(res.state == 0 and res.signedData is None and res.returnToken is None, "too early")
time.sleep(2.5)
res = service.getVerifyAuthResult(CLIENT_CODE, r.receiptId)
check(res.state == 2 and res.signedData is None, "expired")
wrong = kc_judge.pointed_at_dojang(kc_judge.WRONG_SECRET_KEY)
expect_error(-10000004, wrong.getESignResult, CLIENT_CODE, "1" * 32)

print("kakaocert (Python SDK 1.0.0, API 1.0, over TLS): %d checks passed" % kc_judge.checks)
