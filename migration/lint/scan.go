package lint

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a token of a migration file.
type tokKind int

const (
	tWord   tokKind = iota + 1 // keyword, bare identifier or number
	tIdent                     // `quoted identifier`, without its quotes
	tString                    // 'string' or "string", without its quotes
	tPunct                     // one character: ( ) , ; = . and the rest
)

// token is one token of a file and the line it starts on.
type token struct {
	kind tokKind
	text string
	line int
}

// is reports whether t is the word w (case-insensitive).
func (t token) is(w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

// isPunct reports whether t is the punctuation p.
func (t token) isPunct(p string) bool { return t.kind == tPunct && t.text == p }

// name is t as an identifier (a word or a quoted identifier), or "".
func (t token) name() string {
	if t.kind == tWord || t.kind == tIdent {
		return t.text
	}
	return ""
}

// statement is one statement of a file: its tokens (without the final ;),
// its text (tokens joined by single spaces), the line of its first token
// and its comments: those between the previous statement's line and it,
// inside it, and after its ; on the same line.
type statement struct {
	toks     []token
	text     string
	line     int
	comments []comment
}

// comment is the text of one comment (without -- # /* */) and its line.
type comment struct {
	text string
	line int
}

// split cuts src into statements at every ; outside quotes and comments,
// and returns the comments after the last statement apart.
// Comments are -- (followed by a space or the end of the line), # and
// /* */; the content of an executable comment /*! ... */ or /*M! ... */
// is read as code, as the server does. A compound statement (BEGIN ...
// END with ; inside) is cut into pieces: migrations here have none.
func split(src string) ([]statement, []comment, error) {
	var (
		out     []statement
		cur     statement
		line    = 1
		inExec  bool // inside /*! ... */
		pending []comment
		endLine = -1 // line of the last ; (a comment after it on that line is the previous statement's)
	)
	flush := func() {
		if len(cur.toks) > 0 {
			cur.text = tokText(cur.toks)
			out = append(out, cur)
		}
		cur, endLine = statement{}, line
	}
	// A comment belongs to the statement it is in, to the statement whose
	// ; ends its line, or to the next statement.
	addComment := func(c comment) {
		switch {
		case len(cur.toks) > 0:
			cur.comments = append(cur.comments, c)
		case c.line == endLine && len(out) > 0:
			out[len(out)-1].comments = append(out[len(out)-1].comments, c)
		default:
			pending = append(pending, c)
		}
	}
	add := func(t token) {
		if len(cur.toks) == 0 {
			cur.line, cur.comments, pending = t.line, pending, nil
		}
		cur.toks = append(cur.toks, t)
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#' || (c == '-' && strings.HasPrefix(src[i:], "--") && (i+2 == len(src) || isSpace(src[i+2]))):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			text := strings.TrimPrefix(strings.TrimPrefix(src[i:i+j], "#"), "--")
			addComment(comment{text: strings.TrimSpace(text), line: line})
			i += j
		case strings.HasPrefix(src[i:], "/*!") || strings.HasPrefix(src[i:], "/*M!"):
			i += strings.IndexByte(src[i:], '!') + 1
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			inExec = true
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
			text := src[i+2 : i+2+j]
			addComment(comment{text: strings.TrimSpace(text), line: line})
			line += strings.Count(text, "\n")
			i += j + 4
		case c == '*' && inExec && strings.HasPrefix(src[i:], "*/"):
			inExec = false
			i += 2
		case c == '\'' || c == '"' || c == '`':
			text, n, err := quoted(src[i:])
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", line, err)
			}
			kind := tString
			if c == '`' {
				kind = tIdent
			}
			add(token{kind: kind, text: text, line: line})
			line += strings.Count(src[i:i+n], "\n")
			i += n
		case isWordByte(c):
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			add(token{kind: tWord, text: src[i:j], line: line})
			i = j
		case c == ';':
			flush()
			i++
		default:
			add(token{kind: tPunct, text: string(c), line: line})
			i++
		}
	}
	flush()
	return out, pending, nil
}

// quoted reads the quoted string or identifier at the start of s and
// returns its content and its length in s. A quote is escaped by doubling
// it, and in strings also by a backslash.
func quoted(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && q != '`' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case c == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case c == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated %c", q)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isWordByte reports whether c may be part of a keyword, bare identifier or
// number (any byte of a multi-byte UTF-8 character may be).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// splitTop cuts toks at the commas outside parentheses.
func splitTop(toks []token) [][]token {
	var out [][]token
	depth, from := 0, 0
	for i, t := range toks {
		switch {
		case t.isPunct("("):
			depth++
		case t.isPunct(")"):
			depth--
		case t.isPunct(",") && depth == 0:
			out = append(out, toks[from:i])
			from = i + 1
		}
	}
	return append(out, toks[from:])
}

// words is a cursor over tokens with case-insensitive keyword matching.
type words struct {
	toks []token
	i    int
}

func (w *words) peek() token {
	if w.i < len(w.toks) {
		return w.toks[w.i]
	}
	return token{}
}

// accept consumes the keywords (or punctuation) kw if they come next, all
// of them.
func (w *words) accept(kw ...string) bool {
	if w.i+len(kw) > len(w.toks) {
		return false
	}
	for j, k := range kw {
		if t := w.toks[w.i+j]; !t.is(k) && !t.isPunct(k) {
			return false
		}
	}
	w.i += len(kw)
	return true
}

// next consumes and returns the next token.
func (w *words) next() token {
	t := w.peek()
	if w.i < len(w.toks) {
		w.i++
	}
	return t
}

// rest is the tokens not consumed yet.
func (w *words) rest() []token { return w.toks[w.i:] }

// tableName consumes a table name, db.table or table, and returns the
// table part.
func (w *words) tableName() string {
	n := w.next().name()
	if w.peek().isPunct(".") {
		w.next()
		n = w.next().name()
	}
	return n
}

// group consumes a parenthesised group and returns the tokens inside it,
// or nil if no ( comes next.
func (w *words) group() []token {
	if !w.peek().isPunct("(") {
		return nil
	}
	depth := 0
	for j := w.i; j < len(w.toks); j++ {
		switch {
		case w.toks[j].isPunct("("):
			depth++
		case w.toks[j].isPunct(")"):
			depth--
			if depth == 0 {
				g := w.toks[w.i+1 : j]
				w.i = j + 1
				return g
			}
		}
	}
	g := w.toks[w.i+1:]
	w.i = len(w.toks)
	return g
}
