"""Case numbers as the store keeps them."""

# Case ids are 64-bit (BIGINT; SQLite's INTEGER): a larger number names no case, and the database driver
# would refuse to bind it (an OverflowError or a DataError, not a "no such case").
MAX_CASE_ID = 2**63 - 1
