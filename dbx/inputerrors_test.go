package dbx

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestInputKind maps the server's and the driver's bad-value errors to
// their conditions through DBError.Is, and leaves others alone.
func TestInputKind(t *testing.T) {
	longData := "Parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet' bytes"
	for _, tt := range []struct {
		cause error
		want  error // nil: none of the input conditions
	}{
		{&mysql.MySQLError{Number: 1406}, ErrDataTooLong},
		{&mysql.MySQLError{Number: 1366}, ErrBadValue},
		{&mysql.MySQLError{Number: 1265}, ErrBadValue},
		{&mysql.MySQLError{Number: 1292}, ErrBadValue},
		{&mysql.MySQLError{Number: 1264}, ErrOutOfRange},
		{&mysql.MySQLError{Number: 1153}, ErrPacketTooLarge},
		{&mysql.MySQLError{Number: 1105, Message: longData}, ErrPacketTooLarge},
		{fmt.Errorf("exec: %w", mysql.ErrPktTooLarge), ErrPacketTooLarge},
		{&mysql.MySQLError{Number: 1105, Message: "something else"}, nil},
		{&mysql.MySQLError{Number: 1062}, nil},
		{errors.New("data too long"), nil},
	} {
		err := error(&DBError{DB: "ess", Op: "exec", Err: tt.cause})
		for _, kind := range []error{ErrDataTooLong, ErrBadValue, ErrOutOfRange, ErrPacketTooLarge} {
			if got := errors.Is(err, kind); got != (kind == tt.want) {
				t.Errorf("errors.Is(%v, %v) = %v", tt.cause, kind, got)
			}
		}
	}
	// The existing conditions still win for their numbers.
	if err := error(&DBError{DB: "ess", Err: &mysql.MySQLError{Number: 1062}}); !errors.Is(err, ErrDuplicateKey) {
		t.Error("1062 no longer matches ErrDuplicateKey")
	}
}
