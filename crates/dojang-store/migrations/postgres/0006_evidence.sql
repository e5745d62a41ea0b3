-- dojang schema v6: the OCSP response that proved the signer's certificate good when a request
-- was signed (DER, signed by the CA; no personal data), returned with every verify result as
-- self-contained evidence. Twin of ../sqlite/0006.
ALTER TABLE requests ADD COLUMN signer_ocsp BYTEA;
