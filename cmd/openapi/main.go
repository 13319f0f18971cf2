// Command openapi writes the OpenAPI document the server serves at
// /openapi.json to standard output or to the file named by -o (go generate
// uses it to regenerate the Go client in api/client).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/passnumerique/passledger/api"
)

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	doc, err := api.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	doc = append(doc, '\n')
	if *out == "" {
		_, err = os.Stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}
