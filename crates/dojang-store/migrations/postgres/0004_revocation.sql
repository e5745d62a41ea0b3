-- dojang schema v4: revocation (the reason of every revoked certificate, for the CRL and OCSP),
-- and a phone-only lookup of members (operators find people by phone). Twin of ../sqlite/0004.

-- RFC 5280 CRLReason: 0 unspecified, 1 keyCompromise, 3 affiliationChanged, 4 superseded,
-- 5 cessationOfOperation. Certificates revoked before this version were all superseded by a
-- new enrolment.
ALTER TABLE certificates ADD COLUMN revocation_reason INTEGER;
UPDATE certificates SET revocation_reason = 4 WHERE revoked_at IS NOT NULL;
CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- Keyed HMAC of the phone number alone. Rows written before this version get it when the store
-- opens (it needs the data key, which SQL does not have).
ALTER TABLE members ADD COLUMN phone_lookup BYTEA;
CREATE INDEX members_phone ON members (phone_lookup);
