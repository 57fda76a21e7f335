package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Settings of the long-running commands come, strongest first, from:
//
//  1. flags on the command line;
//  2. environment variables: FLOE_ and the flag's name in capitals with
//     '-' as '_' (--gc-interval is FLOE_GC_INTERVAL);
//  3. the TOML file --config (or FLOE_CONFIG) names: each flag's name as
//     a key, in a table named after the command ([server], [node],
//     [dev]), or at the top level for settings every command reading the
//     file has (log-level, listen…); the table wins. One file can so
//     serve a whole machine;
//  4. the flags' defaults.
//
// --print-config prints the settings that result, as a file --config
// reads, and exits.

// configurable are the commands that take --config and FLOE_* variables:
// the daemons an operator deploys. One-shot admin commands keep to their
// flags, so a stray FLOE_USER cannot change whom `admin key create` acts
// for.
var configurable = map[string]bool{"server": true, "node": true, "dev": true}

// addConfigFlags adds --config and --print-config to fs, the flag set of
// command name, when name is configurable.
func addConfigFlags(fs *flag.FlagSet, name string) {
	if !configurable[name] {
		return
	}
	fs.String("config", "", "read settings from this TOML `file` (flag names as keys; flags and FLOE_* variables override it)")
	fs.Bool("print-config", false, "print the settings in effect, as a --config file, and exit")
}

// envName is the environment variable that sets flag name.
func envName(name string) string {
	return "FLOE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applySettings fills the flags of fs not set on the command line from
// the environment and the --config file, then handles --print-config.
// fs must have been parsed.
func applySettings(fs *flag.FlagSet, env *environ) error {
	cfgFlag := fs.Lookup("config")
	if cfgFlag == nil {
		return nil
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	path := cfgFlag.Value.String()
	if !onCommandLine["config"] {
		if path = env.getenv(envName("config")); path != "" {
			if err := fs.Set("config", path); err != nil {
				return usageErrorf("%s: %v", envName("config"), err)
			}
		}
	}
	var file map[string]any
	if path != "" {
		var err error
		if file, err = readConfigFile(path, fs); err != nil {
			return err
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || onCommandLine[f.Name] || f.Name == "config" {
			return
		}
		if v := env.getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageErrorf("%s: %v", envName(f.Name), e)
			}
			return
		}
		v, ok := file[f.Name]
		if !ok {
			return
		}
		values := []any{v}
		if list, isList := v.([]any); isList {
			values = list // a repeatable flag
		}
		for _, one := range values {
			if e := fs.Set(f.Name, fmt.Sprint(one)); e != nil {
				err = usageErrorf("%s: %s: %v", path, f.Name, e)
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if p := fs.Lookup("print-config"); p != nil && p.Value.String() == "true" {
		printConfig(env.stdout, fs)
		return errHelp
	}
	return nil
}

// readConfigFile reads the TOML file at path: the top-level keys and
// those of the table named after fs's command. A key that is not one of
// the command's flags is an error, so a typo never goes unnoticed; the
// tables of other commands are left to them.
func readConfigFile(path string, fs *flag.FlagSet) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--config: %v", err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(b, &doc); err != nil {
		return nil, usageErrorf("--config %s: %v", path, err)
	}
	out := map[string]any{}
	add := func(m map[string]any, where string) error {
		for k, v := range m {
			if k == "config" || k == "print-config" || fs.Lookup(k) == nil {
				return usageErrorf("--config %s: %s%q is not a setting of floe %s", path, where, k, fs.Name())
			}
			out[k] = v
		}
		return nil
	}
	top := map[string]any{}
	for k, v := range doc {
		if _, ok := v.(map[string]any); ok {
			if !configurable[k] {
				return nil, usageErrorf("--config %s: [%s] is not a command's table (want [server], [node] or [dev])", path, k)
			}
			continue
		}
		top[k] = v
	}
	if err := add(top, ""); err != nil {
		return nil, err
	}
	if t, ok := doc[fs.Name()].(map[string]any); ok {
		if err := add(t, "["+fs.Name()+"] "); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// printConfig writes every setting of fs as a TOML table for its command,
// with a database URL's password hidden.
func printConfig(w io.Writer, fs *flag.FlagSet) {
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" || f.Name == "print-config" {
			return
		}
		v := f.Value.String()
		if strings.Contains(f.Name, "database-url") {
			v = redactURL(v)
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			lines = append(lines, fmt.Sprintf("%s = %s", f.Name, v))
			return
		}
		lines = append(lines, fmt.Sprintf("%s = %s", f.Name, tomlString(v)))
	})
	sort.Strings(lines)
	fmt.Fprintf(w, "[%s]\n%s\n", fs.Name(), strings.Join(lines, "\n"))
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// redactURL hides the password of a URL such as postgres://u:pw@host/db.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// listFlag is a repeatable flag whose values may also come
// comma-separated, as one environment variable or config string gives
// them.
type listFlag struct {
	list  *[]string
	check func(string) error
}

func (l *listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l *listFlag) Set(v string) error {
	for _, one := range strings.Split(v, ",") {
		if one = strings.TrimSpace(one); one == "" {
			continue
		}
		if err := l.check(one); err != nil {
			return err
		}
		*l.list = append(*l.list, one)
	}
	return nil
}
