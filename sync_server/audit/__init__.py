"""The audit log: a hash chain and Merkle tree over every write, signed checkpoints, proofs, the server's key."""
