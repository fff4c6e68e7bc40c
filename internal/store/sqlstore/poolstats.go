package sqlstore

import "database/sql"

// PoolStats returns the statistics of the connection pools by name:
// "write" and, when it is a separate pool, "read". It lets the metrics
// package export pool usage without knowing the backend.
func (s *Store) PoolStats() map[string]sql.DBStats {
	out := map[string]sql.DBStats{"write": s.write.Stats()}
	if s.read != s.write {
		out["read"] = s.read.Stats()
	}
	return out
}
