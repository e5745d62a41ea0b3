-- dojang schema v10: how each certificate's holder proved who they are ('sms', 'bank', 'desk'),
-- checked at approval against a request's isAllowSimpleRegistYN = false (more than a phone
-- check) and isVerifyNameYN = true (a verified real name). Certificates issued before this
-- version are 'unknown' and count as the weakest, except those a registration-desk code
-- recorded, which are 'desk'. A renewal keeps the proof of the certificate it renews.
-- Twin of ../postgres/0010.
ALTER TABLE certificates ADD COLUMN proof TEXT NOT NULL DEFAULT 'unknown';
UPDATE certificates SET proof = 'desk'
    WHERE serial IN (SELECT serial FROM ra_codes WHERE serial IS NOT NULL);
