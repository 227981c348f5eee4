package compat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MainBranches are the branches whose merge base with HEAD is the default
// base revision, in the order tried.
var MainBranches = []string{"main", "origin/main"}

// ErrShallow: the revision needed is not in the clone, which is shallow.
var ErrShallow = errors.New("the clone is shallow")

// Base is a resolved base revision.
type Base struct {
	// Commit is the full commit hash.
	Commit string
	// Short is its abbreviated hash, as printed in findings.
	Short string
	// How says where it came from: the revision named (e.g. "v1.2.0"),
	// "merge base of HEAD with main", or "HEAD^ (HEAD is the merge base with
	// main)".
	How string
}

// String is e.g. "1a2b3c4 (merge base of HEAD with main)", or only the
// short hash when How is the commit itself.
func (b Base) String() string {
	if b.How == "" || strings.HasPrefix(b.Commit, b.How) {
		return b.Short
	}
	return b.Short + " (" + b.How + ")"
}

// Repo is a git repository: the directory of a checkout (its top level or
// any directory inside it).
type Repo struct {
	// Dir is the checkout. Empty: the current directory.
	Dir string
}

// git runs git in the repository and returns its standard output, trimmed.
func (r Repo) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// commit resolves rev to a commit hash; ok is false when there is no such
// commit.
func (r Repo) commit(ctx context.Context, rev string) (hash string, ok bool, err error) {
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

func (r Repo) shallow(ctx context.Context) bool {
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	return err == nil && out == "true"
}

func (r Repo) short(ctx context.Context, commit string) string {
	if out, err := r.git(ctx, "rev-parse", "--short", commit); err == nil {
		return out
	}
	return commit[:min(len(commit), 7)]
}

// shallowFix is the advice when a clone lacks the history needed.
const shallowFix = "fetch the history (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0) or name the base revision with -base"

// ResolveBase returns the base revision whose queries are checked. A
// non-empty rev is any revision git knows (a tag such as v1.2.0, a branch,
// a commit). An empty rev is the default: the merge base of HEAD with the
// first of [MainBranches] that exists; when that is HEAD itself (CI on
// main, or a branch with no commits of its own), HEAD's first parent HEAD^,
// the release before the change at HEAD. A shallow clone that lacks the
// commit needed is an error matching [ErrShallow] that names the fix.
func (r Repo) ResolveBase(ctx context.Context, rev string) (Base, error) {
	if rev != "" {
		hash, ok, err := r.commit(ctx, rev)
		switch {
		case err != nil:
			return Base{}, fmt.Errorf("compat: resolve the base %q: %w", rev, err)
		case !ok && r.shallow(ctx):
			return Base{}, fmt.Errorf("compat: base revision %q is not in this clone: %w; %s", rev, ErrShallow, shallowFix)
		case !ok:
			return Base{}, fmt.Errorf("compat: unknown base revision %q (a tag, branch or commit; a tag of a fresh CI clone may need git fetch --tags)", rev)
		}
		return Base{Commit: hash, Short: r.short(ctx, hash), How: rev}, nil
	}
	head, ok, err := r.commit(ctx, "HEAD")
	if err != nil || !ok {
		if err == nil {
			err = errors.New("no commit at HEAD")
		}
		return Base{}, fmt.Errorf("compat: resolve HEAD: %w", err)
	}
	branch := ""
	for _, b := range MainBranches {
		if _, ok, err := r.commit(ctx, b); err != nil {
			return Base{}, fmt.Errorf("compat: resolve %s: %w", b, err)
		} else if ok {
			branch = b
			break
		}
	}
	if branch == "" {
		return Base{}, fmt.Errorf("compat: no branch %s to take the merge base with: name the base revision with -base", strings.Join(MainBranches, " or "))
	}
	mb, err := r.git(ctx, "merge-base", "HEAD", branch)
	if err != nil {
		if r.shallow(ctx) {
			return Base{}, fmt.Errorf("compat: no merge base of HEAD with %s in this clone: %w; %s", branch, ErrShallow, shallowFix)
		}
		return Base{}, fmt.Errorf("compat: merge base of HEAD with %s: %w", branch, err)
	}
	if mb != head {
		return Base{Commit: mb, Short: r.short(ctx, mb), How: "merge base of HEAD with " + branch}, nil
	}
	parent, ok, err := r.commit(ctx, "HEAD^")
	switch {
	case err != nil:
		return Base{}, fmt.Errorf("compat: resolve HEAD^: %w", err)
	case !ok && r.shallow(ctx):
		return Base{}, fmt.Errorf("compat: HEAD is the merge base with %s and its parent HEAD^ is not in this clone: %w; %s", branch, ErrShallow, shallowFix)
	case !ok:
		return Base{}, fmt.Errorf("compat: HEAD is the merge base with %s and has no parent (the first commit): there is no earlier release; name one with -base", branch)
	}
	return Base{Commit: parent, Short: r.short(ctx, parent), How: "HEAD^: HEAD is the merge base with " + branch}, nil
}

// Checkout checks commit out into a temporary worktree (git worktree add
// --detach) and returns its directory and a function that removes it. On
// an error nothing is left behind.
func (r Repo) Checkout(ctx context.Context, commit string) (dir string, remove func() error, err error) {
	parent, err := os.MkdirTemp("", "hubdb-compat-")
	if err != nil {
		return "", nil, fmt.Errorf("compat: %w", err)
	}
	dir = filepath.Join(parent, "base")
	remove = func() error {
		// A context of its own: removing must work after ctx ended.
		_, gitErr := r.git(context.Background(), "worktree", "remove", "--force", dir)
		rmErr := os.RemoveAll(parent)
		if gitErr != nil {
			// The worktree's directory is gone: prune its record instead.
			_, gitErr = r.git(context.Background(), "worktree", "prune")
		}
		if err := errors.Join(gitErr, rmErr); err != nil {
			return fmt.Errorf("compat: remove the worktree %s: %w", dir, err)
		}
		return nil
	}
	if _, err := r.git(ctx, "worktree", "add", "--detach", "--quiet", dir, commit); err != nil {
		_ = remove()
		return "", nil, fmt.Errorf("compat: check the base out: %w", err)
	}
	return dir, remove, nil
}

// BaseQueries reads the queries of base from its generated code, in a
// temporary worktree removed before it returns.
func (r Repo) BaseQueries(ctx context.Context, base Base) (qs []Query, err error) {
	dir, remove, err := r.Checkout(ctx, base.Commit)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rmErr := remove(); rmErr != nil && err == nil {
			err = rmErr
		}
	}()
	qs, err = ReadQueries(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("compat: base %s: %w", base.Short, err)
	}
	return qs, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
