-- Tamper-evident audit (SQLite): every row of the audit log, the
-- activation history and the signature audit is a link of a hash chain.
-- A chain is (table, shard); a row carries its shard, its position (seq,
-- from 1), its content hash chain_content = SHA-256(content) and
-- chain_hash = SHA-256(previous chain_hash || chain_content),
-- the genesis hash being 32 zero bytes. audit_chain_head holds each chain's
-- last link; rows written before this migration stay unchained;
-- audit_chain_legacy records how many there are and their largest id.
-- Within a chain, ids grow with seq (a writer takes its id after locking
-- the head), so verification walks each table once in id order (its
-- primary key) and needs no index on the chain columns.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN chain_shard INTEGER;
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_log ADD COLUMN chain_content BLOB;
ALTER TABLE audit_log ADD COLUMN chain_hash BLOB;
ALTER TABLE pa_activation_history ADD COLUMN chain_shard INTEGER;
ALTER TABLE pa_activation_history ADD COLUMN chain_seq INTEGER;
ALTER TABLE pa_activation_history ADD COLUMN chain_content BLOB;
ALTER TABLE pa_activation_history ADD COLUMN chain_hash BLOB;
ALTER TABLE pa_signature_audit ADD COLUMN chain_shard INTEGER;
ALTER TABLE pa_signature_audit ADD COLUMN chain_seq INTEGER;
ALTER TABLE pa_signature_audit ADD COLUMN chain_content BLOB;
ALTER TABLE pa_signature_audit ADD COLUMN chain_hash BLOB;

CREATE TABLE audit_chain_head (
    chain TEXT    NOT NULL,
    shard INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    PRIMARY KEY (chain, shard)
) STRICT;
WITH RECURSIVE s (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM s WHERE shard < 63)
INSERT INTO audit_chain_head (chain, shard, seq, hash)
    SELECT c.chain, s.shard, 0, zeroblob(32)
    FROM (SELECT 'audit_log' AS chain UNION ALL SELECT 'pa_activation_history' UNION ALL SELECT 'pa_signature_audit') AS c, s;

CREATE TABLE audit_chain_legacy (
    chain     TEXT    NOT NULL PRIMARY KEY,
    max_id    INTEGER NOT NULL,
    row_count INTEGER NOT NULL
) STRICT;
INSERT INTO audit_chain_legacy (chain, max_id, row_count) SELECT 'audit_log', COALESCE(MAX(id), 0), COUNT(*) FROM audit_log;
INSERT INTO audit_chain_legacy (chain, max_id, row_count) SELECT 'pa_activation_history', COALESCE(MAX(id), 0), COUNT(*) FROM pa_activation_history;
INSERT INTO audit_chain_legacy (chain, max_id, row_count) SELECT 'pa_signature_audit', COALESCE(MAX(id), 0), COUNT(*) FROM pa_signature_audit;

-- The audit signing key (ECDSA P-256): the private key sealed with the
-- server key (secretbox), the public key in PKIX DER.
CREATE TABLE audit_key (
    id                TEXT    NOT NULL PRIMARY KEY,
    public_key        BLOB    NOT NULL,
    private_key       BLOB    NOT NULL,
    timestamp_created INTEGER NOT NULL
) STRICT;

-- Signed checkpoints: payload is the canonical encoding of every chain
-- head, signature its ECDSA signature (ASN.1) by audit_key key_id.
CREATE TABLE audit_checkpoint (
    id                INTEGER PRIMARY KEY,
    timestamp_created INTEGER NOT NULL,
    key_id            TEXT    NOT NULL,
    payload           BLOB    NOT NULL,
    signature         BLOB    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE audit_checkpoint;
DROP TABLE audit_key;
DROP TABLE audit_chain_legacy;
DROP TABLE audit_chain_head;
ALTER TABLE pa_signature_audit DROP COLUMN chain_hash;
ALTER TABLE pa_signature_audit DROP COLUMN chain_content;
ALTER TABLE pa_signature_audit DROP COLUMN chain_seq;
ALTER TABLE pa_signature_audit DROP COLUMN chain_shard;
ALTER TABLE pa_activation_history DROP COLUMN chain_hash;
ALTER TABLE pa_activation_history DROP COLUMN chain_content;
ALTER TABLE pa_activation_history DROP COLUMN chain_seq;
ALTER TABLE pa_activation_history DROP COLUMN chain_shard;
ALTER TABLE audit_log DROP COLUMN chain_hash;
ALTER TABLE audit_log DROP COLUMN chain_content;
ALTER TABLE audit_log DROP COLUMN chain_seq;
ALTER TABLE audit_log DROP COLUMN chain_shard;
