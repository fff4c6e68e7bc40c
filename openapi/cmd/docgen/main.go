// Command docgen regenerates the API references docs/api/private.md and
// docs/api/public.md from the OpenAPI documents openapi/private.yaml and
// openapi/public.yaml. Run it from the repository root:
//
//	go run ./openapi/cmd/docgen
//
// or through `go generate ./openapi`. With -check it writes nothing and
// fails when a committed reference is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mauth/mauth/openapi/docgen"
)

func main() {
	root := flag.String("root", ".", "repository root the documents' paths are relative to")
	check := flag.Bool("check", false, "only check that the committed references are current")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	for _, d := range docgen.Documents() {
		md, err := d.Render()
		if err != nil {
			return err
		}
		path := filepath.Join(root, filepath.FromSlash(d.Output))
		if check {
			old, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("read %s: %w", d.Output, err)
			}
			if !bytes.Equal(old, md) {
				return fmt.Errorf("%s is stale: regenerate with %s", d.Output, docgen.RegenerateCommand)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(d.Output), err)
		}
		if err := os.WriteFile(path, md, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", d.Output, err)
		}
	}
	return nil
}
