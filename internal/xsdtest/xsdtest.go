// Package xsdtest validates XML documents, in tests, against the official ISO 20022
// schemas (XSD) with xmllint.
//
// The schemas are not part of this repository: ISO 20022 publishes them, and this
// workplace may only take them from its package registries. Each Schema says where
// it comes from — a Debian package of the distribution (downloaded with
// `apt-get download`, unpacked with `dpkg-deb -x`, never installed) or a Go module
// from the module proxy (`go mod download`, checked by the Go checksum database) —
// and the SHA-256 of the schema file, checked after every fetch so that a test
// never validates against anything else. Fetched files are cached under the user's
// cache directory (os.UserCacheDir()/passledger/iso20022), so a machine fetches
// each once; a missing schema is fetched by the test that needs it, never skipped.
//
// pain.001.001.09, the version passledger writes by default, has no source here (no
// Debian package nor Go module on the proxy carries its XSD; see the README):
// its files are checked for well-formedness and re-read by the tests' own parsers.
//
// Only tests import this package.
package xsdtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Schema is one official XSD and where this workplace can take it from.
type Schema struct {
	// File is the schema's file name, e.g. "pain.001.001.03.xsd".
	File string
	// SHA256 is the hex SHA-256 of the file as ISO 20022 published it.
	SHA256 string
	// fetch copies the schema from its source into path.
	fetch func(path string) error
}

// Pain00100103 is the ISO 20022 pain.001.001.03 schema (SWIFTStandards build of
// 2009-01-08), as Debian ships it in tryton-modules-account-payment-sepa (GPL-3+
// package; the schema itself is ISO 20022's, published for free use).
var Pain00100103 = Schema{
	File:   "pain.001.001.03.xsd",
	SHA256: "ae2bbba02a6be0119a26f4afcb65ced067453cb1b81d38b26bcc569f19eca93e",
	fetch: fromDebian("tryton-modules-account-payment-sepa",
		"usr/lib/python3/dist-packages/trytond/modules/account_payment_sepa/tests/pain.001.001.03.xsd"),
}

// Camt05300108 is the ISO 20022 camt.053.001.08 schema (Standards Editor build of
// 2019-02-14), as the Go module github.com/moov-io/iso20022 v0.2.1 (Apache-2.0)
// carries it under docs/specifications.
var Camt05300108 = Schema{
	File:   "camt.053.001.08.xsd",
	SHA256: "ca0b135cc8e2dde5b2f99af6b6c514a8f29d6e7c6cf98e9ea84d247189868ff5",
	fetch: fromGoModule("github.com/moov-io/iso20022@v0.2.1",
		"docs/specifications/banktocustomer_cash_management_8/camt.053.001.08.xsd"),
}

// Validate fails t unless doc is valid against s (Check).
func Validate(t testing.TB, doc []byte, s Schema) {
	t.Helper()
	if err := Check(doc, s); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
}

// Check returns nil if doc is valid against s, as `xmllint --noout --schema`
// judges it, else an error with xmllint's messages. It fetches s first if this
// machine has not cached it yet.
func Check(doc []byte, s Schema) error {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return errors.New("xsdtest: xmllint is missing: run `make tools` (Debian package libxml2-utils)")
	}
	xsd, err := Path(s)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "xsdtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		return err
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
		return fmt.Errorf("xsdtest: not valid against %s: %w\n%s", s.File, err, out)
	}
	return nil
}

// Path returns the path of s in the cache, fetching it if it is missing, and
// checks its SHA-256.
func Path(s Schema) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "passledger", "iso20022")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, s.File)
	if _, err := os.Stat(path); err != nil {
		// Fetch into a private name and rename: test processes that run in
		// parallel never see a half-written schema.
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if err := s.fetch(tmp); err != nil {
			_ = os.Remove(tmp)
			return "", fmt.Errorf("xsdtest: fetch %s: %w", s.File, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != s.SHA256 {
		return "", fmt.Errorf("xsdtest: %s has SHA-256 %x, want %s: not the published schema (delete it to fetch again)", path, sum, s.SHA256)
	}
	return path, nil
}

// fromDebian takes file (a path inside the package) from Debian package pkg.
func fromDebian(pkg, file string) func(string) error {
	return func(dst string) error {
		dir, err := os.MkdirTemp("", "xsdtest-deb")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		download := func() ([]byte, error) {
			cmd := exec.Command("apt-get", "download", pkg)
			cmd.Dir = dir
			return cmd.CombinedOutput()
		}
		if _, err := download(); err != nil {
			// A fresh machine's package lists may be empty or stale.
			if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
				return fmt.Errorf("apt-get update: %w\n%s", err, out)
			}
			if out, err := download(); err != nil {
				return fmt.Errorf("apt-get download %s: %w\n%s", pkg, err, out)
			}
		}
		debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
		if len(debs) != 1 {
			return fmt.Errorf("apt-get download %s gave %d packages", pkg, len(debs))
		}
		x := filepath.Join(dir, "x")
		if out, err := exec.Command("dpkg-deb", "-x", debs[0], x).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb -x: %w\n%s", err, out)
		}
		return copyFile(filepath.Join(x, file), dst)
	}
}

// fromGoModule takes file (a path inside the module) from module (path@version),
// downloaded through the Go module proxy.
func fromGoModule(module, file string) func(string) error {
	return func(dst string) error {
		cmd := exec.Command("go", "mod", "download", "-json", module)
		cmd.Dir = os.TempDir() // outside this module: go.mod and go.sum stay as they are
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go mod download %s: %w\n%s", module, err, out)
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil {
			return err
		}
		if m.Error != "" || m.Dir == "" {
			return fmt.Errorf("go mod download %s: %s", module, m.Error)
		}
		return copyFile(filepath.Join(m.Dir, file), dst)
	}
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
