package dbx

import (
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Conditions of values the schema cannot hold. With the strict sql_mode
// (STRICT_TRANS_TABLES, MariaDB's and MySQL's default) the server refuses
// the statement; inside Write the whole transaction is rolled back, and
// the connection stays usable.
var (
	// ErrDataTooLong: a string or binary value longer than its column
	// (1406).
	ErrDataTooLong = errors.New("dbx: data too long for column")
	// ErrBadValue: a value the column's type cannot represent: invalid
	// UTF-8 or a character outside the column's character set (1366), a
	// value not in an ENUM or SET (1265), an invalid date or time (1292),
	// or a JSON document that does not parse (4038, 3140).
	ErrBadValue = errors.New("dbx: incorrect value for column")
	// ErrOutOfRange: a number outside its column's range (1264, 1690).
	ErrOutOfRange = errors.New("dbx: value out of range")
	// ErrPacketTooLarge: a statement or result bigger than the server's
	// max_allowed_packet (1153, 1301), or refused by the driver before it
	// was sent (mysql.ErrPktTooLarge).
	ErrPacketTooLarge = errors.New("dbx: packet larger than max_allowed_packet")
)

// inputKind maps an error caused by a bad value to its condition, or nil.
func inputKind(err error) error {
	if errors.Is(err, mysql.ErrPktTooLarge) {
		return ErrPacketTooLarge
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return nil
	}
	switch me.Number {
	case 1406:
		return ErrDataTooLong
	case 1366, 1265, 1292, 4038, 3140:
		return ErrBadValue
	case 1264, 1690:
		return ErrOutOfRange
	case 1153, 1301:
		return ErrPacketTooLarge
	case 1105:
		// MariaDB's answer to a prepared statement argument sent in
		// pieces (COM_STMT_SEND_LONG_DATA, which the driver uses for an
		// argument beyond max_allowed_packet) is this generic number.
		if strings.Contains(me.Message, "max_allowed_packet") {
			return ErrPacketTooLarge
		}
	}
	return nil
}

// defaultDriverMaxAllowedPacket is go-sql-driver's default
// maxAllowedPacket (64 MiB), which mysql.NewConfig and ParseDSN set when
// the DSN names none; dbx replaces it with 0, "ask the server".
const defaultDriverMaxAllowedPacket = 64 << 20
