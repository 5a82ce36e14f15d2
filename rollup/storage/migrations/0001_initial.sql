-- OmniTensor L2 node schema, version 1.
-- Portable SQL for SQLite and PostgreSQL. The runner maps the type name BLOB to BYTEA for
-- PostgreSQL; everything else is common. Integers are BIGINT (64-bit signed); 256-bit
-- quantities are 32-byte big-endian BLOBs. Statements are separated by lines ending in ';'.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- The single-writer lease: one row per lease name; holder '' means nobody.
CREATE TABLE lease (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    epoch      BIGINT NOT NULL
);
INSERT INTO lease (name, holder, expires_at, epoch) VALUES ('sequencer', '', 0, 0);

CREATE TABLE blocks (
    number          BIGINT PRIMARY KEY,
    hash            BLOB NOT NULL UNIQUE,
    parent_hash     BLOB NOT NULL,
    timestamp       BIGINT NOT NULL,
    state_root      BLOB NOT NULL,
    tx_root         BLOB NOT NULL,
    withdrawal_root BLOB NOT NULL,
    gas_used        BIGINT NOT NULL,
    gas_limit       BIGINT NOT NULL,
    base_fee        BLOB NOT NULL,
    tx_count        BIGINT NOT NULL,
    raw             BLOB NOT NULL
);

CREATE TABLE transactions (
    hash         BLOB PRIMARY KEY,
    raw          BLOB NOT NULL,
    sender       BLOB NOT NULL,
    nonce        BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    idx          BIGINT NOT NULL
);
CREATE INDEX transactions_block ON transactions (block_number, idx);

CREATE TABLE receipts (
    tx_hash             BLOB PRIMARY KEY,
    block_number        BIGINT NOT NULL,
    idx                 BIGINT NOT NULL,
    status              BIGINT NOT NULL,
    gas_used            BIGINT NOT NULL,
    cumulative_gas_used BIGINT NOT NULL,
    effective_gas_price BLOB NOT NULL,
    raw                 BLOB NOT NULL
);
CREATE INDEX receipts_block ON receipts (block_number, idx);

CREATE TABLE logs (
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_index     BIGINT NOT NULL,
    tx_hash      BLOB NOT NULL,
    address      BLOB NOT NULL,
    topic0       BLOB,
    topic1       BLOB,
    topic2       BLOB,
    topic3       BLOB,
    data         BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX logs_address ON logs (address, block_number);
CREATE INDEX logs_topic0 ON logs (topic0, block_number);

-- Current state only: one row per state-tree leaf, in tree-index order for restart.
CREATE TABLE state (
    key        BLOB PRIMARY KEY,
    tree_index BIGINT NOT NULL UNIQUE,
    value      BLOB NOT NULL
);

-- Acknowledged, not yet included transactions, in arrival order.
CREATE TABLE pending_txs (
    seq        BIGINT PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,
    raw        BLOB NOT NULL,
    sender     BLOB NOT NULL,
    nonce      BIGINT NOT NULL,
    arrived_at DOUBLE PRECISION NOT NULL
);

-- Transactions that were acknowledged and will never be included, with the reason.
CREATE TABLE tx_outcomes (
    hash        BLOB PRIMARY KEY,
    reason      TEXT NOT NULL,
    replaced_by BLOB,
    at          DOUBLE PRECISION NOT NULL
);

CREATE TABLE withdrawals (
    leaf_index   BIGINT PRIMARY KEY,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB NOT NULL,
    leaf         BLOB NOT NULL
);
CREATE INDEX withdrawals_tx ON withdrawals (tx_hash);
