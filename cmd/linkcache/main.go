// Command linkcache is the -toolexec wrapper that `make test` gives `go test`:
// it runs every tool the go command asks for, as asked, except that it keeps
// what the linker writes in a cache folder and, when the same link is asked for
// again, copies the kept binary instead of linking.
//
// Why: Go caches compiled packages but links every test binary anew on every
// `go test` run (golang/go#69290 proposes caching link outputs): with about 20
// test binaries of 3 to 27 MB, linking was ~10 % of a `make test` run's CPU on
// a 2-core machine (docs/benchmarks.md "Test binaries kept").
//
// What makes a link "the same": the build ID that the go command passes to the
// linker (-buildid) starts with the link's action ID, the go command's hash of
// everything the link reads (the content IDs of every package linked in, the
// flags, the linker's own ID); the key is that ID together with the linker's
// path and its flags (not the paths of its input and output files, which are
// in the go command's temporary work folder one time and in its build cache
// the next). A binary linked from the same inputs is the same bytes (the go
// command relies on the same ID to skip relinking a `go test -c -o` target
// that is up to date).
//
// The cache folder is $LINKCACHE_DIR, else linkcache in the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache). Binaries unused for a day are removed, and
// the least recently used beyond 2 GiB. Any trouble with the cache
// (unreadable, full disk) falls back to linking. LINKCACHE_LOG=1 reports hits
// and stores on standard error.
//
// It must not change what any tool does: every other tool, and every link it
// cannot key (no -buildid, no -o), runs untouched.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: linkcache TOOL [ARGS...] (as go test -toolexec)")
		os.Exit(2)
	}
	tool, args := os.Args[1], os.Args[2:]
	if strings.TrimSuffix(filepath.Base(tool), ".exe") == "link" {
		if key, out, ok := linkKey(tool, args); ok {
			os.Exit(cachedLink(tool, args, key, out))
		}
	}
	os.Exit(run(tool, args))
}

// run runs the tool and returns its exit code.
func run(tool string, args []string) int {
	cmd := exec.Command(tool, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "linkcache:", err)
		return 1
	}
	return 0
}

// workDir matches the go command's temporary work folders in arguments
// (go-build followed by digits, under any temporary directory).
var workDir = regexp.MustCompile(`[^\s=]*/go-build[0-9]+/`)

// linkKey returns the cache key of a link and the file it writes, or false
// when the link cannot be keyed.
func linkKey(tool string, args []string) (key, out string, ok bool) {
	var buildID string
	for i, a := range args {
		switch {
		case a == "-o" && i+1 < len(args):
			out = args[i+1]
		case strings.HasPrefix(a, "-buildid="):
			buildID = strings.TrimPrefix(a, "-buildid=")
		}
	}
	if out == "" || buildID == "" || strings.HasPrefix(buildID, "/") {
		return "", "", false
	}
	// Left out of the key: where the link writes, where its import
	// configuration and its main package's archive are (the last argument):
	// a work folder one time, the build cache the next. What they hold is in
	// the action ID.
	h := sha256.New()
	fmt.Fprintf(h, "linkcache 2\x00%s\x00", tool)
	for i := 0; i < len(args)-1; i++ {
		if args[i] == "-o" || args[i] == "-importcfg" {
			i++
			continue
		}
		fmt.Fprintf(h, "%s\x00", workDir.ReplaceAllString(args[i], "$$WORK/"))
	}
	return hex.EncodeToString(h.Sum(nil)), out, true
}

// cachedLink copies the kept binary for key to out, or links and keeps what
// the linker wrote.
func cachedLink(tool string, args []string, key, out string) int {
	dir, err := cacheDir()
	if err != nil {
		return run(tool, args)
	}
	kept := filepath.Join(dir, key[:2], key)
	if err := copyFile(kept, out); err == nil {
		now := time.Now()
		_ = os.Chtimes(kept, now, now) // in use: not trimmed
		logf("hit %s", filepath.Base(out))
		return 0
	}
	if code := run(tool, args); code != 0 {
		return code
	}
	if err := os.MkdirAll(filepath.Dir(kept), 0o755); err == nil {
		tmp := fmt.Sprintf("%s.%d.tmp", kept, os.Getpid())
		if copyFile(out, tmp) == nil && os.Rename(tmp, kept) == nil {
			logf("stored %s", filepath.Base(out))
		}
		_ = os.Remove(tmp)
	}
	trim(dir)
	return 0
}

func cacheDir() (string, error) {
	if d := os.Getenv("LINKCACHE_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "linkcache"), nil
}

// copyFile copies from to a new file to (executable), replacing it.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// trimAge is how long a kept binary stays unused before trim removes it, and
// maxBytes how much the kept binaries may take together (the least recently
// used go first).
const (
	trimAge  = 24 * time.Hour
	maxBytes = 2 << 30
)

// trim removes the kept binaries unused for trimAge, then the least recently
// used ones until the rest take at most maxBytes.
func trim(dir string) {
	type kept struct {
		path string
		size int64
		used time.Time
	}
	var all []kept
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			all = append(all, kept{path, info.Size(), info.ModTime()})
		}
		return nil
	})
	sort.Slice(all, func(i, j int) bool { return all[i].used.After(all[j].used) })
	var total int64
	for _, k := range all {
		total += k.size
		if total > maxBytes || time.Since(k.used) > trimAge {
			_ = os.Remove(k.path)
		}
	}
}

func logf(format string, a ...any) {
	if os.Getenv("LINKCACHE_LOG") == "1" {
		fmt.Fprintf(os.Stderr, "linkcache: "+format+"\n", a...)
	}
}
