// Command compose-check loads compose files the way Docker Compose does (compose-go: the
// Compose Specification's schema, interpolation, merging of the files in order, and the
// cross-checks of services, networks, volumes and secrets) and prints the resulting project as
// JSON. Anything the specification does not allow, an unknown key included, is an error.
//
//	compose-check [-profile NAME]... FILE...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type profiles []string

func (p *profiles) String() string     { return strings.Join(*p, ",") }
func (p *profiles) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	var active profiles
	flag.Var(&active, "profile", "a profile to enable (repeatable)")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-profile NAME]... FILE...")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithConsistency(true),
		cli.WithProfiles(active),
	)
	if err == nil {
		project, loadErr := options.LoadProject(context.Background())
		if err = loadErr; err == nil {
			var out []byte
			if out, err = project.MarshalJSON(); err == nil {
				fmt.Println(string(out))
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
