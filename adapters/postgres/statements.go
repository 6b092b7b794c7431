package postgres

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// maxStatements bounds the prepared statements kept per pool. The diary's
// statement text depends on its filters, sort, paging mode and page size,
// so a client could make up many shapes; past the bound, new shapes run
// unprepared (parsed and planned per request, as before), which is correct,
// only slower.
const maxStatements = 64

// statements keeps the prepared statements of one pool, by text. A
// *sql.Stmt prepares itself on each connection the first time it runs
// there and re-prepares on the connections that replace closed ones, so a
// statement is parsed once per connection and, once PostgreSQL has settled
// on its generic plan (after five executions), planned once per connection
// too.
//
// Prepared statements need a server-side session per connection: behind
// PgBouncer, use session pooling, or transaction pooling from PgBouncer
// 1.21 with max_prepared_statements set.
type statements struct {
	db *sqlx.DB

	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	closed bool
}

// pools maps a pool (*sqlx.DB) to its *statements. (*DB).Close forgets the
// entry and closes its statements.
var pools sync.Map

// statementsOf returns db's statement cache, making it on first use.
func statementsOf(db *sqlx.DB) *statements {
	if s, ok := pools.Load(db); ok {
		return s.(*statements)
	}
	s, _ := pools.LoadOrStore(db, &statements{db: db, stmts: map[string]*sql.Stmt{}})
	return s.(*statements)
}

// closeStatements closes db's prepared statements and forgets them; a
// later use of db makes a new, empty cache.
func closeStatements(db *sqlx.DB) {
	v, ok := pools.LoadAndDelete(db)
	if !ok {
		return
	}
	s := v.(*statements)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
}

// query runs the statement text with args, prepared, or unprepared when
// the cache is full. An error preparing it is returned as it is.
func (s *statements) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, text)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.QueryContext(ctx, text, args...)
	}
	return st.QueryContext(ctx, args...)
}

// prepared returns the statement prepared from text, preparing it when
// new; nil, nil when the cache is full or closed.
func (s *statements) prepared(ctx context.Context, text string) (*sql.Stmt, error) {
	s.mu.RLock()
	st, full := s.stmts[text], s.closed || len(s.stmts) >= maxStatements
	s.mu.RUnlock()
	if st != nil || full {
		return st, nil
	}
	// Prepared outside the lock: it takes a round trip (or a connection
	// attempt, when the server is down) that other requests need not wait
	// for. Two requests may prepare the same text at once; one keeps its
	// statement and the other's is closed.
	st, err := s.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.stmts[text]; old != nil {
		_ = st.Close()
		return old, nil
	}
	if s.closed || len(s.stmts) >= maxStatements {
		_ = st.Close()
		return nil, nil
	}
	s.stmts[text] = st
	return st, nil
}

// txStatements are statements prepared on the pool (see statements) for
// one transaction. prepare readies them before the transaction starts:
// preparing takes a connection of the pool for a moment, which a
// transaction holding one must not wait for. In the transaction each runs
// on the transaction's connection, prepared there the first time and
// kept there after it (database/sql's Tx.StmtContext), so a batch of
// large statements is parsed and planned once per connection rather than
// per batch.
type txStatements map[string]*sql.Stmt

// prepare returns the prepared statements of texts; a text the cache has
// no room for is left out and runs unprepared.
func (s *statements) prepare(ctx context.Context, texts ...string) (txStatements, error) {
	out := make(txStatements, len(texts))
	for _, text := range texts {
		st, err := s.prepared(ctx, text)
		if err != nil {
			return nil, err
		}
		if st != nil {
			out[text] = st
		}
	}
	return out, nil
}

// query runs text with args in tx, prepared when it was.
func (p txStatements) query(ctx context.Context, tx *sqlx.Tx, text string, args ...any) (*sql.Rows, error) {
	if st := p[text]; st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, text, args...)
}
