package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/store/sqlstore"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want sqlstore.ErrorClass
	}{
		{"unique", &pgconn.PgError{Code: "23505"}, sqlstore.ErrorUniqueViolation},
		{"foreign key", &pgconn.PgError{Code: "23503"}, sqlstore.ErrorForeignKeyViolation},
		{"serialization", &pgconn.PgError{Code: "40001"}, sqlstore.ErrorRetryable},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, sqlstore.ErrorRetryable},
		{"wrapped", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"}), sqlstore.ErrorRetryable},
		{"not null", &pgconn.PgError{Code: "23502"}, sqlstore.ErrorOther},
		{"plain", errors.New("boom"), sqlstore.ErrorOther},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, classify(tc.err)) })
	}
}
