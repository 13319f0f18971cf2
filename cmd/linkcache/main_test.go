package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinkKey(t *testing.T) {
	args := func(work, buildID string) []string {
		return []string{"-o", work + "b001/exe/a.out", "-importcfg", work + "b001/importcfg.link",
			"-buildmode=exe", "-buildid=" + buildID, "-extld=gcc", work + "b001/_pkg_.a"}
	}
	k1, out, ok := linkKey("/go/pkg/tool/linux_amd64/link", args("/tmp/go-build111/", "A/B/C/A"))
	if !ok || out != "/tmp/go-build111/b001/exe/a.out" {
		t.Fatalf("key %q, out %q, ok %v", k1, out, ok)
	}
	if k2, _, _ := linkKey("/go/pkg/tool/linux_amd64/link", args("/dev/shm/x/go-build222/", "A/B/C/A")); k2 != k1 {
		t.Error("the work folder changed the key")
	}
	cached := args("/tmp/go-build111/", "A/B/C/A")
	cached[len(cached)-1] = "/root/.cache/go-build/ee/eed861a5-d" // the main package from the build cache
	if k6, _, _ := linkKey("/go/pkg/tool/linux_amd64/link", cached); k6 != k1 {
		t.Error("the main package's archive path changed the key")
	}
	if k3, _, _ := linkKey("/go/pkg/tool/linux_amd64/link", args("/tmp/go-build111/", "Z/B/C/Z")); k3 == k1 {
		t.Error("another action ID gave the same key")
	}
	if k4, _, _ := linkKey("/go/pkg/tool/linux_amd64/link", append([]string{"-s"}, args("/tmp/go-build111/", "A/B/C/A")...)); k4 == k1 {
		t.Error("another flag gave the same key")
	}
	if k5, _, _ := linkKey("/other/go/pkg/tool/linux_amd64/link", args("/tmp/go-build111/", "A/B/C/A")); k5 == k1 {
		t.Error("another linker gave the same key")
	}
	if _, _, ok := linkKey("link", []string{"-o", "x", "main.a"}); ok {
		t.Error("a link without -buildid was keyed")
	}
	if _, _, ok := linkKey("link", []string{"-V=full"}); ok {
		t.Error("the linker's version query was keyed")
	}
}

// TestBuildsThroughTheCache builds a program with the go command through the
// wrapper: the first link is stored, the same build again is a hit with the
// same bytes, and a change of source or of linker flags links anew.
func TestBuildsThroughTheCache(t *testing.T) {
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "linkcache")
	if out, err := exec.Command("go", "build", "-o", wrapper, ".").CombinedOutput(); err != nil {
		t.Fatalf("build linkcache: %v\n%s", err, out)
	}
	mod := filepath.Join(dir, "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module probe\n\ngo 1.24\n")
	cache := filepath.Join(dir, "cache")
	build := func(out string, flags ...string) (log string) {
		t.Helper()
		args := append([]string{"build", "-toolexec", wrapper, "-o", out}, flags...)
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "LINKCACHE_DIR="+cache, "LINKCACHE_LOG=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("go build: %v\n%s", err, stderr.String())
		}
		return stderr.String()
	}
	says := func(bin, want string) {
		t.Helper()
		out, err := exec.Command(bin).Output()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Fatalf("%s printed %q (%v), want %q", bin, out, err, want)
		}
	}

	write("main.go", "package main\n\nimport \"fmt\"\n\nvar v = \"one\"\n\nfunc main() { fmt.Println(v) }\n")
	one := filepath.Join(dir, "one")
	if log := build(one); !strings.Contains(log, "linkcache: stored") {
		t.Fatalf("first build: %q, want a stored link", log)
	}
	says(one, "one")
	again := filepath.Join(dir, "again")
	if log := build(again); !strings.Contains(log, "linkcache: hit") {
		t.Fatalf("same build: %q, want a hit", log)
	}
	a, _ := os.ReadFile(one)
	b, _ := os.ReadFile(again)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the kept binary differs from the linked one (%d and %d bytes)", len(a), len(b))
	}
	flagged := filepath.Join(dir, "flagged")
	if log := build(flagged, "-ldflags=-X main.v=flag"); strings.Contains(log, "linkcache: hit") {
		t.Fatalf("other linker flags: %q, want a new link", log)
	}
	says(flagged, "flag")

	write("main.go", "package main\n\nimport \"fmt\"\n\nvar v = \"two\"\n\nfunc main() { fmt.Println(v) }\n")
	two := filepath.Join(dir, "two")
	if log := build(two); strings.Contains(log, "linkcache: hit") {
		t.Fatalf("changed source: %q, want a new link", log)
	}
	says(two, "two")
}
