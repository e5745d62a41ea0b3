"""LinkHub's kakaocert Python SDK 1.0.0 (API 1.0, unmodified; the API seed 001 describes)
against dojang over TLS: requestESign / getESignResult, requestVerifyAuth /
getVerifyAuthResult, requestCMS / getCMSResult, written as the SDK's examples use them.

What seed 001 promises, checked: receipt ids of 20 digits; GetESignResult is a result check that
may be called again and again and carries signedData (at most 4096) and token whenever the state
is 1; states are 0, 1 or 2 only; every field marked required is required, every length is a
limit. GetVerifyAuthResult is the verify of an identity request (seed 002's rule: once), whose
signedData is the Token the relying party sent.
Run by compat/run.sh inside compat/with-server.sh; kc_judge.py says how the SDK reaches dojang."""

import time

from kakaocert import RequestCMS, RequestESign, RequestVerifyAuth

import kc_judge
from kc_judge import (BIRTHDAY, CLIENT_CODE, HP, IDLE_BIRTHDAY, IDLE_HP, IDLE_NAME, NAME,
                      check, expect_error, signed_by_receiver, answered, person)

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
kc_judge.plan(64)

service = kc_judge.pointed_at_dojang()


def holder(result):
    check(result.receiverName == NAME and result.receiverHP == HP, "receiver name and phone")
    check(result.receiverBirthday == BIRTHDAY and len(result.ci) == 88, "receiver birth, ci")


def twenty_digits(receipt_id):
    check(len(receipt_id) == 20 and receipt_id.isdigit(), "receiptID String 20: %s" % receipt_id)


# 전자서명 (seed 001): request, result until signed, and the result again.
r = service.requestESign(CLIENT_CODE, RequestESign(**person(
    TMSTitle="TMSTitle 0423", TMSMessage="TMSMessage0423", Token="Token Value 2345")))
twenty_digits(r.receiptId)
res = answered(service.getESignResult, r.receiptId)
for attempt in ("first", "second"):
    if attempt == "second":
        res = service.getESignResult(CLIENT_CODE, r.receiptId)
    check(res.state == 1 and res.tmstitle == "TMSTitle 0423" and res.payload == "Payload123",
          "esign result (%s)" % attempt)
    check(res.receiptID == r.receiptId and res.clientCode == CLIENT_CODE and res.verifyDT,
          "esign result fields (%s)" % attempt)
    check(len(res.signedData) <= 4096, "signedData String 4096 (%s)" % attempt)
    signed_by_receiver(res.signedData, "Token Value 2345")
    check(res.token == "Token Value 2345", "token (%s)" % attempt)
    check(res.callCenterName is None, "callCenterName: none sent, null")
    holder(res)

# 본인인증: the verify, once; signedData is the Token sent (seed 002's own check).
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**person(
    TMSTitle="본인인증", Token="one-time 42", CallCenterName="도장센터")))
twenty_digits(r.receiptId)
res = answered(service.getVerifyAuthResult, r.receiptId)
check(res.state == 1 and res.signedData == "one-time 42", "signedData == Token")
check(res.returnToken == res.signedData, "returnToken")
check(res.callCenterName == "도장센터", "callCenterName as sent")
holder(res)
expect_error(-10300003, service.getVerifyAuthResult, CLIENT_CODE, r.receiptId)

# 출금동의: a result check like e-sign's.
r = service.requestCMS(CLIENT_CODE, RequestCMS(**person(
    TMSTitle="출금동의", BankCode="088", BankAccountName=NAME, BankAccountNum="9-4324-5117-58",
    ClientUserID="clientUserID-0423-01")))
res = answered(service.getCMSResult, r.receiptId)
consent, _ = kc_judge.openssl(res.signedData)
check("9-4324-5117-58" in consent and "신한은행" in consent, "cms consent")
check(service.getCMSResult(CLIENT_CODE, r.receiptId).signedData == res.signedData, "cms again")
holder(res)

# Required fields ("O" in seed 001): each missing one refused with its code, named as sent.
REQUIRED = [("CallCenterNum", -10201074), ("Expires_in", -10201061),
            ("ReceiverBirthDay", -10201021), ("ReceiverHP", -10201011),
            ("ReceiverName", -10201001), ("Token", -10201031), ("TMSTitle", -10201041)]
for field, code in REQUIRED:
    body = person(TMSTitle="t", Token="x")
    body.pop(field)
    e = expect_error(code, service.requestESign, CLIENT_CODE, RequestESign(**body))
    check(field in e.message, "%s named: %s" % (field, e.message))
# Limits: a field over its length, refused with its code, named as sent.
LIMITS = [("ReceiverName", "가" * 21, -10201002), ("Token", "t" * 501, -10201032),
          ("TMSTitle", "가" * 41, -10201042), ("TMSMessage", "가" * 501, -10201051),
          ("CallCenterNum", "1" * 21, -10201071), ("PayLoad", "p" * 201, -10201161),
          ("Expires_in", 1001, -10201063)]
for field, value, code in LIMITS:
    body = person(TMSTitle="t", Token="x")
    body[field] = value
    e = expect_error(code, service.requestESign, CLIENT_CODE, RequestESign(**body))
    check(field in e.message, "%s named: %s" % (field, e.message))

# Refusals: an unknown receipt and one in another API's form, a name that is not the
# holder's, a request nobody answers (waiting, then expired: answers, not errors), a wrong key.
expect_error(-10300001, service.getESignResult, CLIENT_CODE, "1" * 20)
expect_error(-10201081, service.getESignResult, CLIENT_CODE, "1" * 32)
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
expect_error(-10000004, wrong.getESignResult, CLIENT_CODE, "1" * 20)

kc_judge.finish("kakaocert (Python SDK 1.0.0, API 1.0, over TLS)")
