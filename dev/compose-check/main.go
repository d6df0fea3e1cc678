// compose-check loads Compose files the way `docker compose config` does — compose-spec/compose-go's loader with
// schema validation, interpolation, normalization and consistency checks — and prints the normalized model as
// YAML on stdout, or the loader's error on stderr (exit 1). No Docker engine is needed.
//
// Usage: compose-check [-env-file FILE]... [-profile NAME]... FILE...
// Variables come from the process environment and the env files (like `docker compose --env-file`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var envFiles, profiles list
	flag.Var(&envFiles, "env-file", "env file to read variables from (repeatable)")
	flag.Var(&profiles, "profile", "profile to enable (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-env-file FILE]... [-profile NAME]... FILE...")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions(flag.Args(),
		cli.WithOsEnv,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(false),
	)
	if err == nil {
		var out []byte
		project, loadErr := opts.LoadProject(context.Background())
		if loadErr == nil {
			out, err = project.MarshalYAML()
		} else {
			err = loadErr
		}
		if err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
		os.Exit(1)
	}
}
