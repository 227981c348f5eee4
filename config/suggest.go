package config

// nearest returns the candidate closest to s by [distance], when it is
// close enough to be a likely misspelling: at most 2 edits, or a third of
// the candidate's length for longer names, and fewer edits than the
// candidate has characters. The first of equally close candidates wins.
func nearest(s string, candidates []string) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := distance(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD >= len(best) || bestD > max(2, len(best)/3) {
		return "", false
	}
	return best, true
}

// distance is the edit distance between a and b, ignoring ASCII case:
// the number of single-byte insertions, deletions, substitutions and
// swaps of two adjacent bytes that turn one into the other (Levenshtein
// distance counting a transposition as one edit, so DNS is one edit from
// DSN).
func distance(a, b string) int {
	a, b = foldASCII(a), foldASCII(b)
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// foldASCII returns s with ASCII upper-case letters lowered.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
