-- OmniTensor L2 node schema, version 2: historical state.
--
-- For every key a block changes, the value the key had BEFORE that block ("prior"; the empty
-- value: the key was absent). The state after block N of key K is then the prior of K's first
-- change after N, or, if K has not changed since N, its current value in table state. Rows
-- exist from the block named by meta 'history_from' on (0 for a chain started with this
-- table; the head at upgrade time for an older database); older states are not answered.
CREATE TABLE state_history (
    key          BLOB NOT NULL,
    block_number BIGINT NOT NULL,
    prior        BLOB NOT NULL,
    PRIMARY KEY (key, block_number)
);
